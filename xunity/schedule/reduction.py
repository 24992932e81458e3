"""`decompose_reduction`: split a block's `init` region into its own block.

A reduction block with an `init` region runs the init when every reduce
binding is 0 (convert-tir-to-cpu guards it so).  `decompose_reduction(B, L)`
moves the init into a block "<B>_init" with B's spatial iteration variables,
placed right before loop L under copies of the loops between L and B that
the spatial bindings use; B keeps only its update.  Legalized reductions are
already in this form (`*_init` / `*_update` blocks, TVM's decomposed form),
so the primitive serves kernels written with `init`.

L must be at or above every loop a reduce binding uses, so each output
element's init still runs before its first update.  The one difference: an
empty reduction (reduce extent 0) now initialises its output, as TVM's
decomposed form does, where the guarded init did not run at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from xdsl.ir import Block, BlockArgument, Operation, OpResult, SSAValue
from xdsl.rewriter import InsertPoint, Rewriter

from xunity.dialects import tir
from xunity.schedule.analysis import (
    IndexAnalysis,
    defined_in,
    depends_on,
    nonneg,
    provably_le,
    unique_block_name,
)
from xunity.schedule.building import insert_guard, insert_nest
from xunity.schedule.errors import fail
from xunity.schedule.trace import BlockRef

if TYPE_CHECKING:
    from xunity.schedule.schedule import Schedule

_PRIMITIVE = "decompose_reduction"


def decompose_reduction(
    sch: Schedule, block: tir.BlockOp, loop: tir.ForOp
) -> tir.BlockOp:
    if not isinstance(block, tir.BlockOp) or not sch.func.is_ancestor(block):
        raise fail(_PRIMITIVE, "expected a tir.block of the scheduled function")
    sch._check_loop(_PRIMITIVE, loop)
    init = block.init
    if init is None:
        raise fail(
            _PRIMITIVE,
            f'block "{block.block_name.data}" has no init region (legalized '
            "reductions are decomposed already)",
        )
    loops = sch.get_loops_of_op(block)
    if loop not in loops:
        raise fail(_PRIMITIVE, "the loop must enclose the block")
    kinds = [kind.data for kind in block.iter_kinds.data]
    reduce = [b for b, k in zip(block.bindings, kinds, strict=True) if k == "reduce"]
    spatial = [i for i, kind in enumerate(kinds) if kind == tir.IterKind.SPATIAL]
    position = loops.index(loop)
    for outer in loops[:position]:
        if any(depends_on(binding, outer.induction_var) for binding in reduce):
            raise fail(
                _PRIMITIVE,
                "the loop must be at or above every loop bound to a reduce "
                "iteration variable",
            )
    for index, arg in enumerate(init.block.args):
        if kinds[index] == tir.IterKind.REDUCE and arg.uses:
            raise fail(_PRIMITIVE, "the init region uses a reduce iteration variable")
    copied = [
        inner
        for inner in loops[position:]
        if any(depends_on(block.bindings[i], inner.induction_var) for i in spatial)
    ]
    for inner in copied:
        if any(depends_on(binding, inner.induction_var) for binding in reduce):
            raise fail(
                _PRIMITIVE,
                "a loop is bound to both spatial and reduce iteration variables",
            )
        bounds = (inner.lb, inner.ub, inner.step)
        if any(defined_in(bound, loop) for bound in bounds):
            raise fail(
                _PRIMITIVE, "a loop bound depends on a loop under the target loop"
            )
    for index in spatial:
        if not _copyable(block.bindings[index], loop):
            raise fail(
                _PRIMITIVE,
                "a spatial binding is computed by an op that cannot be copied "
                "(only arith)",
            )

    analysis = IndexAnalysis(sch.func)
    ranges = analysis.ranges(loops)
    guarded = []
    for index in spatial:
        expr = analysis.expr(block.bindings[index])
        extent = analysis.expr(block.extents[index])
        guarded.append(
            expr is None
            or extent is None
            or not (nonneg(expr, ranges) and provably_le(expr + 1, extent, ranges))
        )
    refs = (BlockRef(block.block_name.data), sch.loop_ref(loop))

    mapping: dict[SSAValue, SSAValue] = {}
    new_loops = [
        tir.ForOp(inner.lb, inner.ub, inner.step, inner.kind.data) for inner in copied
    ]
    for old, new in zip(copied, new_loops, strict=True):
        mapping[old.induction_var] = new.induction_var
    point = insert_nest(new_loops, InsertPoint.before(loop))
    bindings = [_copy(block.bindings[i], loop, mapping, point) for i in spatial]
    point = insert_guard(
        [
            (binding, block.extents[index])
            for index, binding, needed in zip(spatial, bindings, guarded, strict=True)
            if needed
        ],
        point,
    )

    init_block = _init_block(sch, block, init.block, spatial, bindings)
    Rewriter.insert_op(init_block, point)
    block.detach_region(init)
    sch.record(_PRIMITIVE, *refs)
    return init_block


def _init_block(
    sch: Schedule,
    block: tir.BlockOp,
    init: Block,
    spatial: list[int],
    bindings: list[SSAValue],
) -> tir.BlockOp:
    """A spatial block running the ops of `init`, declaring what they access."""
    accessed = [op for op in init.walk() if isinstance(op, tir.LoadOp | tir.StoreOp)]
    loads = {op.buffer for op in accessed if isinstance(op, tir.LoadOp)}
    stores = {op.buffer for op in accessed if isinstance(op, tir.StoreOp)}
    declared = dict.fromkeys([*block.reads, *block.writes])
    new = tir.BlockOp(
        unique_block_name(sch.func, f"{block.block_name.data}_init"),
        [
            tir.IterVar(tir.IterKind.SPATIAL, binding, block.extents[index])
            for index, binding in zip(spatial, bindings, strict=True)
        ],
        reads=[buffer for buffer in declared if buffer in loads],
        writes=[buffer for buffer in block.writes if buffer in stores],
    )
    body = new.body.block
    for index, arg in zip(spatial, body.args, strict=True):
        init.args[index].replace_all_uses_with(arg)
    terminator = body.last_op
    assert terminator is not None
    for op in list(init.ops):
        if not isinstance(op, tir.YieldOp):
            op.detach()
            body.insert_op_before(op, terminator)
    return new


def _copyable(value: SSAValue, loop: tir.ForOp) -> bool:
    """Whether `value` is computed from values outside `loop` and loop
    variables by arith ops only (inside `loop`)."""
    if not defined_in(value, loop) or isinstance(value, BlockArgument):
        return True
    owner = value.owner
    assert isinstance(owner, Operation)
    return owner.dialect_name() == "arith" and all(
        _copyable(operand, loop) for operand in owner.operands
    )


def _copy(
    value: SSAValue,
    loop: tir.ForOp,
    mapping: dict[SSAValue, SSAValue],
    point: InsertPoint,
) -> SSAValue:
    """`value` recomputed at `point`, loop variables replaced per `mapping`."""
    if value in mapping:
        return mapping[value]
    if not defined_in(value, loop):
        return value
    assert isinstance(value, OpResult)  # _copyable: a loop variable is in mapping
    owner = value.op
    operands = [_copy(operand, loop, mapping, point) for operand in owner.operands]
    clone = owner.clone_without_regions()
    clone.operands = operands
    Rewriter.insert_op(clone, point)
    mapping[value] = clone.results[value.index]
    return mapping[value]
