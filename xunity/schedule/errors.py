"""`ScheduleError`, shared by every primitive module."""


class ScheduleError(Exception):
    """A schedule primitive was called where its legality rule does not hold."""


def fail(primitive: str, rule: str) -> ScheduleError:
    """The error of `primitive`, worded "<primitive>: <rule>"."""
    return ScheduleError(f"{primitive}: {rule}")
