"""`Trace`: the primitive calls of a schedule, as text that replays.

One call per line; a loop is named by a block under it and its position
among that block's loops (outermost 0), factors are a list:

    split(add1[1], [None, 8])
    reorder(add1[2], add1[0])
    parallel(add1[0])

`Trace.parse` also accepts `;` between calls (for pass options) and quoted
block names (`"my block"[0]`) for names that are not identifiers.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from xdsl.dialects import func

    from xunity.schedule.schedule import Schedule, ScheduleError

PRIMITIVES = ("split", "reorder", "fuse", "parallel", "vectorize", "unroll")
"""The primitives a trace may call, each a `Schedule` method of that name."""


@dataclass(frozen=True)
class LoopRef:
    """Loop `index` (outermost 0) of the loops around block `block`."""

    block: str
    index: int

    def __str__(self) -> str:
        name = self.block if self.block.isidentifier() else f'"{self.block}"'
        return f"{name}[{self.index}]"


Argument = LoopRef | tuple[int | None, ...]


@dataclass(frozen=True)
class Instruction:
    """One primitive call."""

    primitive: str
    args: tuple[Argument, ...]

    def __str__(self) -> str:
        return f"{self.primitive}({', '.join(_format(arg) for arg in self.args)})"


def _format(arg: Argument) -> str:
    if isinstance(arg, LoopRef):
        return str(arg)
    return f"[{', '.join(str(value) for value in arg)}]"


@dataclass
class Trace:
    """A replayable list of primitive calls."""

    instructions: list[Instruction] = field(default_factory=list[Instruction])

    def __str__(self) -> str:
        return "".join(f"{instruction}\n" for instruction in self.instructions)

    @staticmethod
    def parse(text: str) -> Trace:
        """Read the text `str(trace)` prints (`;` also separates calls)."""
        trace = Trace()
        for number, line in enumerate(text.replace(";", "\n").splitlines(), 1):
            line = line.strip()
            if line and not line.startswith("#"):
                trace.instructions.append(_parse_call(line, number))
        return trace

    def apply(self, func_op: func.FuncOp) -> func.FuncOp:
        """Replay on a fresh copy of `func_op` and return the scheduled copy."""
        copy = func_op.clone()
        self.replay(copy)
        return copy

    def replay(self, func_op: func.FuncOp) -> Schedule:
        """Replay in place on `func_op`; the schedule records the trace anew."""
        from xunity.schedule.schedule import Schedule

        schedule = Schedule(func_op)
        for instruction in self.instructions:
            args = [
                schedule.resolve(arg) if isinstance(arg, LoopRef) else arg
                for arg in instruction.args
            ]
            getattr(schedule, instruction.primitive)(*args)
        return schedule


def _parse_call(line: str, number: int) -> Instruction:
    from xunity.schedule.schedule import ScheduleError

    def fail(rule: str) -> ScheduleError:
        return ScheduleError(f"trace: line {number}: {rule}: {line}")

    try:
        node = ast.parse(line, mode="eval").body
    except SyntaxError:
        raise fail("expected `primitive(arg, ...)`") from None
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
        raise fail("expected `primitive(arg, ...)`")
    if node.func.id not in PRIMITIVES:
        raise fail(f"unknown primitive {node.func.id!r}, want one of {PRIMITIVES}")
    if node.keywords:
        raise fail("arguments are positional")
    return Instruction(node.func.id, tuple(_argument(arg, fail) for arg in node.args))


def _argument(node: ast.expr, fail: Callable[[str], ScheduleError]) -> Argument:
    if isinstance(node, ast.Subscript):
        block = node.value
        name = (
            block.id
            if isinstance(block, ast.Name)
            else block.value
            if isinstance(block, ast.Constant)
            else None
        )
        index = node.slice
        if (
            isinstance(name, str)
            and isinstance(index, ast.Constant)
            and isinstance(index.value, int)
        ):
            return LoopRef(name, index.value)
    if isinstance(node, ast.List):
        values: list[int | None] = []
        for item in node.elts:
            value = item.value if isinstance(item, ast.Constant) else "bad"
            if value is not None and (
                not isinstance(value, int) or isinstance(value, bool)
            ):
                break
            values.append(value)
        else:
            return tuple(values)
    raise fail("an argument must be a loop `block[i]` or a list of ints / None")
