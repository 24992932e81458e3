"""Schedule primitives over tir kernels and their replayable traces."""

from xunity.schedule.schedule import Schedule, ScheduleError
from xunity.schedule.trace import BlockRef, Instruction, LoopRef, Trace

__all__ = ["BlockRef", "Instruction", "LoopRef", "Schedule", "ScheduleError", "Trace"]
