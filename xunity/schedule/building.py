"""IR building shared by the primitives that create loop nests and guards."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from xdsl.dialects import arith, scf
from xdsl.ir import Operation, SSAValue
from xdsl.rewriter import InsertPoint, Rewriter

from xunity.dialects import tir


def insert(op: Operation, point: InsertPoint) -> SSAValue:
    Rewriter.insert_op(op, point)
    return op.results[0]


def insert_nest(loops: Sequence[tir.ForOp], point: InsertPoint) -> InsertPoint:
    """Nest `loops` (outermost first) at `point`; returns the point inside the
    innermost body (or `point` itself for no loops)."""
    for outer, inner in pairwise(loops):
        Rewriter.insert_op(inner, InsertPoint.at_start(outer.body.block))
    if not loops:
        return point
    Rewriter.insert_op(loops[0], point)
    terminator = loops[-1].body.block.last_op
    assert terminator is not None
    return InsertPoint.before(terminator)


def insert_guard(
    bounded: Sequence[tuple[SSAValue, SSAValue]], point: InsertPoint
) -> InsertPoint:
    """`scf.if` (every value < its bound, unsigned: a negative value is out of
    range too) at `point`; returns the point inside it (or `point` itself for
    nothing to check)."""
    condition: SSAValue | None = None
    for value, bound in bounded:
        inside = insert(arith.CmpiOp(value, bound, "ult"), point)
        condition = (
            inside
            if condition is None
            else insert(arith.AndIOp(condition, inside), point)
        )
    if condition is None:
        return point
    guard = scf.IfOp(condition, [], [scf.YieldOp()])
    Rewriter.insert_op(guard, point)
    terminator = guard.true_region.block.last_op
    assert terminator is not None
    return InsertPoint.before(terminator)
