"""`tir-default-schedule`: schedules for unscheduled kernels (TVM dlight's role).

graph-legalize emits serial loop nests (the form schedules start from).
This pass picks a rule by the shape of each top-level loop nest and applies
it with the `Schedule` primitives:

- spatial nest (elementwise / injective: a perfect nest around one block
  whose iteration variables are all spatial): the loops outside the
  innermost non-unit loop are fused into one parallel loop, so every thread
  gets one contiguous range of rows; the innermost loop stays serial and
  unit-stride for LLVM's loop vectorizer.  When every outer loop has extent
  1 (a 1-D kernel), the innermost loop itself is parallel: the pool hands
  each thread one contiguous chunk, and the outlined chunk loop vectorizes.
- reduction nest (spatial loops around init blocks and reduce loops): the
  spatial loops are fused into one parallel loop; the reduce loops stay
  serial (float sums carry `reassoc`, so LLVM vectorizes a contiguous one).

Vectorization is LLVM's: the `vectorize` primitive needs a constant extent,
and a split to make one would put a remainder guard in the vector loop.

Skipped: kernels with a loop that is not serial or with a guard (already
scheduled: by their legalize rule, e.g. softmax, or by tir-apply-schedule),
matmul kernels (blocks `matmul_*`, which have their own micro-kernel), and
nests with a constant trip count below `min_parallel_work`, where a pool
launch costs more than it saves.  Parallel loops are legal here because a
block's spatial instances write disjoint elements (tir's block semantics,
which every legalize rule follows).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func, scf
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import BlockArgument, Operation, SSAValue
from xdsl.passes import ModulePass

from xunity.dialects import tir
from xunity.schedule import Schedule, ScheduleError

SKIPPED_BLOCK_PREFIXES = ("matmul",)
"""Kernels with a block named so are left to their own schedule."""


@dataclass(frozen=True)
class TirDefaultSchedulePass(ModulePass):
    """Parallelize the unscheduled tir kernels' loop nests (see the module doc)."""

    name = "tir-default-schedule"

    min_parallel_work: int = 1 << 15
    """Nests with a constant trip count below this stay serial."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for kernel in op.ops:
            if isinstance(kernel, func.FuncOp) and _is_unscheduled_kernel(kernel):
                schedule_kernel(kernel, self.min_parallel_work)


def schedule_kernel(kernel: func.FuncOp, min_parallel_work: int) -> None:
    """Apply the default rule to each top-level loop nest of `kernel`."""
    sch = Schedule(kernel)
    for root in _nest_roots(kernel.body.block.ops):
        if _work(root) < min_parallel_work:
            continue
        band = _spatial_band(root)
        if _is_spatial_nest(band):
            _schedule_spatial_nest(sch, band)
        else:
            _parallelize(sch, band)


# ---------------------------------------------------------------- rules
def _schedule_spatial_nest(sch: Schedule, band: list[tir.ForOp]) -> None:
    """Fuse and parallelize the loops outside the innermost non-unit one (or
    parallelize that one when they are all trivial)."""
    nontrivial = [i for i, loop in enumerate(band) if not _is_trivial(loop)]
    if not nontrivial:
        return
    vector = nontrivial[-1]
    outer = band[:vector]
    if all(_is_trivial(loop) for loop in outer):
        _parallelize(sch, [band[vector]])
        return
    _parallelize(sch, outer)


def _parallelize(sch: Schedule, loops: list[tir.ForOp]) -> None:
    """Fuse `loops` (directly nested, outermost first) and run the result on
    the thread pool, unless its extent is 1.  A primitive that refuses (e.g.
    a bound computed inside the nest) leaves the nest serial: still correct."""
    if not loops or all(_is_trivial(loop) for loop in loops):
        return
    try:
        fused = loops[0]
        for inner in loops[1:]:
            fused = sch.fuse(fused, inner)
        sch.parallel(fused)
    except ScheduleError:
        return


# ---------------------------------------------------------------- nest shape
def _is_unscheduled_kernel(kernel: func.FuncOp) -> bool:
    if "tir.kernel" not in kernel.attributes:
        return False
    for op in kernel.walk():
        if isinstance(op, tir.ForOp) and op.kind.data != tir.ForKind.SERIAL:
            return False
        if isinstance(op, scf.IfOp):
            return False
        if isinstance(op, tir.BlockOp) and op.block_name.data.startswith(
            SKIPPED_BLOCK_PREFIXES
        ):
            return False
    return True


def _nest_roots(ops: Iterable[Operation]) -> Iterator[tir.ForOp]:
    """The outermost loops bound to a block's spatial variable; loops bound to
    nothing (e.g. the 0-or-1-trip guards of gathers) are looked through."""
    for op in ops:
        if not isinstance(op, tir.ForOp):
            continue
        kinds = _bound_kinds(op)
        if not kinds:
            yield from _nest_roots(op.body.block.ops)
        elif kinds == {tir.IterKind.SPATIAL}:
            yield op


def _spatial_band(root: tir.ForOp) -> list[tir.ForOp]:
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


def _is_spatial_nest(band: list[tir.ForOp]) -> bool:
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
            if _depends_on(binding, loop.induction_var):
                kinds.add(kind.data)
    return kinds


def _depends_on(value: SSAValue, iv: BlockArgument) -> bool:
    if value is iv:
        return True
    owner = value.owner
    if not isinstance(owner, Operation):
        return False
    return any(_depends_on(operand, iv) for operand in owner.operands)


def _is_trivial(loop: tir.ForOp) -> bool:
    return tir.constant_index(loop.ub) == 1 and tir.constant_index(loop.lb) == 0


def _work(loop: tir.ForOp) -> float:
    """The nest's trip count (inf when an extent is not constant)."""
    lb, ub = tir.constant_index(loop.lb), tir.constant_index(loop.ub)
    step = tir.constant_index(loop.step)
    if lb is None or ub is None or step is None:
        return float("inf")
    trips = max(0, -(-(ub - lb) // step))
    inner = [op for op in loop.body.block.ops if isinstance(op, tir.ForOp)]
    return trips * max(1.0, sum(_work(op) for op in inner))
