"""`Trace`: the primitive calls of a schedule, as text that replays.

One call per line.  A loop is named by a block under it and its position
among that block's loops (outermost 0), a block by its name, factors and
loop lists are lists, buffer indices are ints, intrinsics are names:

    split(add1[1], [None, 8])
    tile([mm[0], mm[1]], [8, 4])
    cache_read(mm, 0)
    compute_at(mm_read0, mm[1])
    parallel(add1[0])
    tensorize(mm[2], gemm_f32_14x32)

`Trace.parse` also accepts `;` between calls (for pass options) and quoted
block and intrinsic names (`"my block"[0]`, `"my block"`) for names that
are not identifiers.  Each primitive's arguments are checked against its signature
in `SIGNATURES` when parsed.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field

from xunity.schedule.errors import ScheduleError


@dataclass(frozen=True)
class LoopRef:
    """Loop `index` (outermost 0) of the loops around block `block`."""

    block: str
    index: int

    def __str__(self) -> str:
        return f"{_block_text(self.block)}[{self.index}]"


@dataclass(frozen=True)
class BlockRef:
    """The block called `name`."""

    name: str

    def __str__(self) -> str:
        return _block_text(self.name)


def _block_text(name: str) -> str:
    return name if name.isidentifier() else f'"{name}"'


Argument = LoopRef | BlockRef | int | str | tuple[int | None, ...] | tuple[LoopRef, ...]
"""A `str` is an intrinsic name."""

# Argument kinds: what a trace may pass, and how an error describes it.
KINDS: dict[str, str] = {
    "loop": "a loop `block[i]`",
    "loops": "a list of loops `[block[i], ...]`",
    "factors": "a list of ints / None",
    "block": "a block name",
    "int": "an int",
    "intrinsic": "an intrinsic name such as gemm_f32_14x32",
}

SIGNATURES: dict[str, tuple[str, ...]] = {
    "split": ("loop", "factors"),
    "reorder": ("loop", "loop..."),
    "fuse": ("loop", "loop"),
    "parallel": ("loop",),
    "vectorize": ("loop",),
    "unroll": ("loop",),
    "tile": ("loops", "factors"),
    "cache_read": ("block", "int"),
    "cache_write": ("block", "int"),
    "compute_at": ("block", "loop"),
    "reverse_compute_at": ("block", "loop"),
    "decompose_reduction": ("block", "loop"),
    "tensorize": ("loop", "intrinsic"),
}
"""Each primitive's argument kinds; `kind...` repeats the kind (at least once)."""

PRIMITIVES = tuple(SIGNATURES)
"""The primitives a trace may call, each a `Schedule` method of that name."""


@dataclass(frozen=True)
class Instruction:
    """One primitive call."""

    primitive: str
    args: tuple[Argument, ...]

    def __str__(self) -> str:
        return f"{self.primitive}({', '.join(_format(arg) for arg in self.args)})"


def _format(arg: Argument) -> str:
    if isinstance(arg, tuple):
        return f"[{', '.join(str(value) for value in arg)}]"
    if isinstance(arg, str):
        return _block_text(arg)
    return str(arg)


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

    def block_names(self) -> set[str]:
        """The names of the blocks the trace refers to (directly or by a loop)."""
        names: set[str] = set()
        for instruction in self.instructions:
            for arg in instruction.args:
                items = arg if isinstance(arg, tuple) else (arg,)
                names |= {item.block for item in items if isinstance(item, LoopRef)}
                names |= {item.name for item in items if isinstance(item, BlockRef)}
        return names


def _parse_call(line: str, number: int) -> Instruction:
    def fail(rule: str) -> ScheduleError:
        return ScheduleError(f"trace: line {number}: {rule}: {line}")

    try:
        node = ast.parse(line, mode="eval").body
    except SyntaxError:
        raise fail("expected `primitive(arg, ...)`") from None
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
        raise fail("expected `primitive(arg, ...)`")
    primitive = node.func.id
    if primitive not in SIGNATURES:
        raise fail(f"unknown primitive {primitive!r}, want one of {PRIMITIVES}")
    if node.keywords:
        raise fail("arguments are positional")
    kinds = list(SIGNATURES[primitive])
    if kinds[-1].endswith("..."):
        repeated = kinds.pop().removesuffix("...")
        kinds += [repeated] * max(1, len(node.args) - len(kinds))
    if len(node.args) != len(kinds):
        raise fail(f"{primitive} takes {len(kinds)} arguments, got {len(node.args)}")
    args: list[Argument] = []
    for position, (kind, arg_node) in enumerate(zip(kinds, node.args, strict=True), 1):
        arg = _argument(kind, arg_node)
        if arg is None:
            raise fail(f"argument {position} of {primitive} must be {KINDS[kind]}")
        args.append(arg)
    return Instruction(primitive, tuple(args))


def _argument(kind: str, node: ast.expr) -> Argument | None:
    """`node` read as `kind`, or None if it is not one."""
    parsers: dict[str, Callable[[ast.expr], Argument | None]] = {
        "loop": _loop,
        "block": _block,
        "int": _int,
        "factors": _factors,
        "loops": _loops,
        "intrinsic": _intrinsic,
    }
    return parsers[kind](node)


def _block(node: ast.expr) -> BlockRef | None:
    if isinstance(node, ast.Name):
        return BlockRef(node.id)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return BlockRef(node.value)
    return None


def _intrinsic(node: ast.expr) -> str | None:
    block = _block(node)
    return None if block is None else block.name


def _int(node: ast.expr) -> int | None:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = _int(node.operand)
        return None if value is None else -value
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    return None


def _loop(node: ast.expr) -> LoopRef | None:
    if not isinstance(node, ast.Subscript):
        return None
    block, index = _block(node.value), _int(node.slice)
    if block is None or index is None:
        return None
    return LoopRef(block.name, index)


def _factors(node: ast.expr) -> tuple[int | None, ...] | None:
    if not isinstance(node, ast.List):
        return None
    values: list[int | None] = []
    for item in node.elts:
        is_none = isinstance(item, ast.Constant) and item.value is None
        value = None if is_none else _int(item)
        if value is None and not is_none:
            return None
        values.append(value)
    return tuple(values)


def _loops(node: ast.expr) -> tuple[LoopRef, ...] | None:
    if not isinstance(node, ast.List) or not node.elts:
        return None
    loops = [_loop(item) for item in node.elts]
    if any(loop is None for loop in loops):
        return None
    return tuple(loop for loop in loops if loop is not None)
