"""Loop-nest shapes that the default schedule rules match, and the one
schedule step they share (fuse a band of loops, run it on the pool).

A kernel's top-level nests are found by `nest_roots`; a nest's *band* is
its root and the loops nested directly in it that are bound only to
spatial block variables (`spatial_band`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from xdsl.ir import Operation

from xunity.dialects import tir
from xunity.schedule import Schedule, ScheduleError
from xunity.schedule.analysis import depends_on


def parallelize(sch: Schedule, loops: list[tir.ForOp]) -> None:
    """Fuse `loops` (directly nested, outermost first) and run the result on
    the thread pool, unless its extent is 1.  A primitive that refuses (e.g.
    a bound computed inside the nest) leaves the nest serial: still correct."""
    if not loops or all(is_trivial(loop) for loop in loops):
        return
    try:
        fused = loops[0]
        for inner in loops[1:]:
            fused = sch.fuse(fused, inner)
        sch.parallel(fused)
    except ScheduleError:
        return


def nest_roots(ops: Iterable[Operation]) -> Iterator[tir.ForOp]:
    """The outermost loops bound to a block's spatial variable; loops bound to
    nothing (e.g. the 0-or-1-trip guards of gathers) are looked through."""
    for op in ops:
        if not isinstance(op, tir.ForOp):
            continue
        kinds = _bound_kinds(op)
        if not kinds:
            yield from nest_roots(op.body.block.ops)
        elif kinds == {tir.IterKind.SPATIAL}:
            yield op


def spatial_band(root: tir.ForOp) -> list[tir.ForOp]:
    """`root` and the loops nested directly below it (nothing else in the
    bodies but pure index arithmetic) that are bound only to spatial variables."""
    band = [root]
    while True:
        body = [
            op
            for op in band[-1].body.block.ops
            if not isinstance(op, tir.YieldOp) and op.dialect_name() != "arith"
        ]
        if len(body) != 1 or not isinstance(body[0], tir.ForOp):
            return band
        if _bound_kinds(body[0]) != {tir.IterKind.SPATIAL}:
            return band
        band.append(body[0])


def is_spatial_nest(band: list[tir.ForOp]) -> bool:
    """The innermost band loop holds exactly one block, with only spatial
    iteration variables."""
    body = [
        op
        for op in band[-1].body.block.ops
        if not isinstance(op, tir.YieldOp) and op.dialect_name() != "arith"
    ]
    if len(body) != 1 or not isinstance(body[0], tir.BlockOp):
        return False
    return all(kind.data == tir.IterKind.SPATIAL for kind in body[0].iter_kinds.data)


def _bound_kinds(loop: tir.ForOp) -> set[tir.IterKind]:
    """The kinds of the block iteration variables whose binding uses `loop`."""
    kinds: set[tir.IterKind] = set()
    for block in loop.walk():
        if not isinstance(block, tir.BlockOp):
            continue
        for kind, binding in zip(block.iter_kinds.data, block.bindings, strict=True):
            if depends_on(binding, loop.induction_var):
                kinds.add(kind.data)
    return kinds


def is_trivial(loop: tir.ForOp) -> bool:
    return tir.constant_index(loop.ub) == 1 and tir.constant_index(loop.lb) == 0


def work(loop: tir.ForOp) -> float:
    """The nest's trip count (inf when an extent is not constant)."""
    lb, ub = tir.constant_index(loop.lb), tir.constant_index(loop.ub)
    step = tir.constant_index(loop.step)
    if lb is None or ub is None or step is None:
        return float("inf")
    trips = max(0, -(-(ub - lb) // step))
    inner = [op for op in loop.body.block.ops if isinstance(op, tir.ForOp)]
    return trips * max(1.0, sum(work(op) for op in inner))
