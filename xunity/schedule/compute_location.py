"""`compute_at` and `reverse_compute_at`: move a block into another block's loop.

    compute_at(P, L)          P, a producer alone in its own loop nest before
                              L's nest, moves to the start of L's body and
                              computes, per iteration of L, the box of its
                              output that the blocks under L read then.
    reverse_compute_at(C, L)  C, a consumer alone in its own nest after L's
                              nest, moves to the end of L's body and computes,
                              per iteration of L, the box of its domain whose
                              input the blocks under L have just finished.

The box is found by interval arithmetic on `SymExpr`s: loops at or above L
are fixed, the loops between L and the accessing block range over their
extents; every index must be affine in those inner loop variables (constant
coefficients), else the primitive refuses.  The moved block gets one loop per
iteration variable over the box, bound to `lo + t`, wrapped in
`scf.if (binding < extent)` wherever the box may leave the block's domain
(e.g. the last tile of a split with a remainder): it never runs a point it
did not run before.  A producer may compute an element in several
iterations (overlapping boxes); it is a pure function of inputs nothing in
between writes, so the values agree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from xdsl.dialects import arith
from xdsl.ir import Operation, SSAValue
from xdsl.rewriter import InsertPoint, Rewriter

from xunity.dialects import tir
from xunity.ir.symbolic import SymExpr
from xunity.schedule.analysis import (
    IndexAnalysis,
    Interval,
    accesses,
    accesses_of,
    ancestors,
    at_iter_vars,
    blocks_in,
    comes_before,
    defined_in,
    depends_on,
    interval,
    nonneg,
    provably_le,
    top_level,
    top_ops_between,
)
from xunity.schedule.building import insert, insert_guard, insert_nest
from xunity.schedule.errors import fail
from xunity.schedule.trace import BlockRef

if TYPE_CHECKING:
    from xunity.schedule.schedule import Schedule


def compute_at(sch: Schedule, block: tir.BlockOp, loop: tir.ForOp) -> None:
    primitive = "compute_at"
    top = _check_movable(sch, primitive, block, loop)
    loop_top = top_level(loop, sch.func)
    if not comes_before(top, loop_top):
        raise fail(primitive, "the block must come before the loop (a producer)")
    loads, outputs = accesses(block)
    if loads & outputs:
        raise fail(primitive, "the block must not read a buffer it writes")
    everything = list(range(len(block.iter_vars)))
    for buffer in outputs:
        for store in accesses_of(block, buffer):
            if not at_iter_vars(store, block, everything):
                raise fail(
                    primitive,
                    "the block must store at exactly its iteration variables "
                    "(out[v0, v1, ...])",
                )
    consumers = [other for other in blocks_in(loop) if accesses(other)[0] & outputs]
    if not consumers:
        raise fail(primitive, "no block under the loop reads what the block writes")
    for other in blocks_in(sch.func):
        if other is block:
            continue
        other_loads, other_stores = accesses(other)
        name = other.block_name.data
        if other_stores & outputs:
            raise fail(
                primitive,
                f'block "{name}" also writes the block\'s output; the block must '
                "be its only writer",
            )
        if other_loads & outputs and not loop.is_ancestor(other):
            raise fail(
                primitive, f'block "{name}" reads the block\'s output outside the loop'
            )
    for other in _blocks_of([*top_ops_between(top, loop_top, sch.func), loop_top]):
        if accesses(other)[1] & loads:
            raise fail(
                primitive,
                f'block "{other.block_name.data}" writes an input of the block '
                "between the block and the loop",
            )

    analysis = IndexAnalysis(sch.func)
    box = _box(
        sch,
        analysis,
        primitive,
        loop,
        [
            (consumer, list(access.indices))
            for consumer in consumers
            for buffer in outputs
            for access in accesses_of(consumer, buffer)
        ],
    )
    refs = (BlockRef(block.block_name.data), sch.loop_ref(loop))
    anchor = loop.body.block.first_op
    assert anchor is not None  # at least the terminator
    _place(sch, analysis, block, box, loop, InsertPoint.before(anchor))
    if top is not block:
        Rewriter.erase_op(top)
    sch.record(primitive, *refs)


def reverse_compute_at(sch: Schedule, block: tir.BlockOp, loop: tir.ForOp) -> None:
    primitive = "reverse_compute_at"
    top = _check_movable(sch, primitive, block, loop)
    loop_top = top_level(loop, sch.func)
    if not comes_before(loop_top, top):
        raise fail(primitive, "the block must come after the loop (a consumer)")
    loads, outputs = accesses(block)
    under = blocks_in(loop)
    produced = loads & {buffer for other in under for buffer in accesses(other)[1]}
    if not produced:
        raise fail(primitive, "the block reads nothing written under the loop")
    if len(produced) > 1:
        raise fail(
            primitive,
            "the block reads several buffers written under the loop; only one is "
            "supported",
        )
    buffer = produced.pop()
    # dim_of[p]: the buffer dim that iteration variable p indexes
    index_lists = {tuple(load.indices) for load in accesses_of(block, buffer)}
    ivs = list(block.iter_vars)
    indices = next(iter(index_lists))
    if len(index_lists) != 1 or sorted(indices, key=id) != sorted(ivs, key=id):
        raise fail(
            primitive,
            "the block must read the buffer written under the loop at its iteration "
            "variables, each once (in any order)",
        )
    dim_of = [indices.index(iv) for iv in ivs]
    writers = [other for other in blocks_in(sch.func) if buffer in accesses(other)[1]]
    fixed = [*sch.get_loops_of_op(loop), loop]
    for writer in writers:
        _check_writer(primitive, writer, buffer, loop, fixed)
    between = _blocks_of([loop_top, *top_ops_between(loop_top, top, sch.func)])
    for other in between:
        other_loads, other_stores = accesses(other)
        name = other.block_name.data
        if other_stores & (loads - {buffer}):
            raise fail(
                primitive,
                f'block "{name}" writes an input of the block between the loop and '
                "the block",
            )
        if (other_loads | other_stores) & outputs:
            raise fail(
                primitive,
                f'block "{name}" accesses the output of the block between the loop '
                "and the block",
            )
    for value in _external_values(block):
        owner = value.owner
        if (
            isinstance(owner, Operation)
            and owner.parent_op() is sch.func
            and comes_before(loop_top, owner)
        ):
            raise fail(primitive, "the block uses a value defined after the loop")

    analysis = IndexAnalysis(sch.func)
    boxes = [
        _box(
            sch,
            analysis,
            primitive,
            loop,
            [(writer, list(store.indices)) for store in accesses_of(writer, buffer)],
        )
        for writer in writers
    ]
    if any(box != boxes[0] for box in boxes[1:]):
        raise fail(
            primitive,
            "the writers of the buffer cover different regions per iteration of the "
            "loop",
        )
    domain = [analysis.expr(extent) for extent in block.extents]
    writer = writers[0]
    spatial = _spatial_positions(writer)
    writer_domain = [analysis.expr(writer.extents[position]) for position in spatial]
    if len(spatial) != len(dim_of) or not all(
        mine is not None and theirs is not None and mine.provably_equal(theirs)
        for mine, theirs in zip(domain, [writer_domain[d] for d in dim_of], strict=True)
    ):
        raise fail(
            primitive,
            f"the block's iteration domain must equal that of block \""
            f'{writer.block_name.data}", which writes the buffer',
        )
    refs = (BlockRef(block.block_name.data), sch.loop_ref(loop))
    terminator = loop.body.block.last_op
    assert terminator is not None
    box = [boxes[0][dim] for dim in dim_of]
    _place(sch, analysis, block, box, loop, InsertPoint.before(terminator))
    if top is not block:
        Rewriter.erase_op(top)
    sch.record(primitive, *refs)


# ---------------------------------------------------------------- checks
def _check_movable(
    sch: Schedule, primitive: str, block: object, loop: object
) -> Operation:
    """Common rules; returns the top-level op of the block's loop nest."""
    if not isinstance(block, tir.BlockOp) or not sch.func.is_ancestor(block):
        raise fail(primitive, "expected a tir.block of the scheduled function")
    sch._check_loop(primitive, loop)
    assert isinstance(loop, tir.ForOp)
    if any(isinstance(op, tir.BlockOp) for op in ancestors(block)):
        raise fail(primitive, "the block must not be nested in another block")
    if block.init is not None or any(
        kind.data != tir.IterKind.SPATIAL for kind in block.iter_kinds.data
    ):
        raise fail(
            primitive,
            "the block must have only spatial iteration variables and no init",
        )
    top = top_level(block, sch.func)
    if blocks_in(top) != [block]:
        raise fail(primitive, "the block must be the only block in its loop nest")
    if top.is_ancestor(loop):
        raise fail(primitive, "the loop must not be in the block's own loop nest")
    if any(defined_in(value, top) for value in _external_values(block)):
        raise fail(
            primitive, "the block's regions use a value computed in its loop nest"
        )
    return top


def _check_writer(
    primitive: str,
    writer: tir.BlockOp,
    buffer: SSAValue,
    loop: tir.ForOp,
    fixed: Sequence[tir.ForOp],
) -> None:
    """A writer of what a moved consumer reads must finish each element within
    one iteration of `loop`."""
    name = writer.block_name.data
    if not loop.is_ancestor(writer):
        raise fail(primitive, f'block "{name}" writes the buffer outside the loop')
    spatial = _spatial_positions(writer)
    if not all(
        at_iter_vars(store, writer, spatial)
        for store in accesses_of(writer, buffer)
        if isinstance(store, tir.StoreOp)
    ):
        raise fail(
            primitive,
            f'block "{name}" must store the buffer at exactly its spatial iteration '
            "variables",
        )
    for kind, binding in zip(writer.iter_kinds.data, writer.bindings, strict=True):
        if kind.data == tir.IterKind.REDUCE and any(
            depends_on(binding, outer.induction_var) for outer in fixed
        ):
            raise fail(
                primitive,
                f'block "{name}" reduces over the loop or a loop above it; its '
                "results are final only after the loop",
            )


def _spatial_positions(block: tir.BlockOp) -> list[int]:
    return [
        index
        for index, kind in enumerate(block.iter_kinds.data)
        if kind.data == tir.IterKind.SPATIAL
    ]


def _blocks_of(ops: Sequence[Operation]) -> list[tir.BlockOp]:
    return [block for op in ops for block in blocks_in(op)]


def _external_values(block: tir.BlockOp) -> list[SSAValue]:
    """The values `block` uses from outside, but for its bindings (which a
    move replaces)."""
    bindings = list(block.bindings)
    values = [value for value in block.operands if value not in bindings]
    values += [
        operand
        for region in block.regions
        for op in region.walk()
        for operand in op.operands
        if not defined_in(operand, block)
    ]
    return values


# ---------------------------------------------------------------- regions
def _box(
    sch: Schedule,
    analysis: IndexAnalysis,
    primitive: str,
    loop: tir.ForOp,
    accesses: Sequence[tuple[tir.BlockOp, list[SSAValue]]],
) -> list[Interval]:
    """Per dim, the interval `accesses` (index lists inside their blocks) cover
    in one iteration of `loop`."""
    box: list[Interval] | None = None
    for block, indices in accesses:
        name = block.block_name.data
        loops = sch.get_loops_of_op(block)
        inner = loops[loops.index(loop) + 1 :]
        inner_ranges: dict[str, SymExpr] = {}
        for nested in inner:
            extent = analysis.extent(nested)
            if extent is None or extent.free_vars() & set(inner_ranges):
                raise fail(
                    primitive,
                    f'cannot bound the accesses of block "{name}": a loop between it '
                    "and the target loop is not normalised or has a non-affine extent",
                )
            inner_ranges[analysis.loop_var(nested)] = extent
        env = _iter_var_env(analysis, block)
        if env is None:
            raise fail(
                primitive, f'cannot express the bindings of block "{name}" affinely'
            )
        dims: list[Interval] = []
        for index in indices:
            expr = analysis.expr(index, env)
            span = None if expr is None else interval(expr, inner_ranges)
            if span is None:
                raise fail(
                    primitive,
                    f'cannot bound an index of block "{name}": it must be affine in '
                    "the loops under the target loop",
                )
            dims.append(span)
        box = dims if box is None else _union(box, dims)
    assert box is not None
    return box


def _iter_var_env(
    analysis: IndexAnalysis, block: tir.BlockOp
) -> dict[SSAValue, SymExpr] | None:
    env: dict[SSAValue, SymExpr] = {}
    args = list(block.iter_vars)
    if block.init is not None:
        args += block.init.block.args
    bindings = list(block.bindings) * (2 if block.init is not None else 1)
    for arg, binding in zip(args, bindings, strict=True):
        expr = analysis.expr(binding)
        if expr is None:
            return None
        env[arg] = expr
    return env


def _place(
    sch: Schedule,
    analysis: IndexAnalysis,
    block: tir.BlockOp,
    box: Sequence[Interval],
    loop: tir.ForOp,
    point: InsertPoint,
) -> None:
    """Move `block` to `point` under one new loop per iteration variable over
    `box` (none where the box is one wide), binding each variable to `lo + t`,
    guarded by its extent unless the box provably stays inside the domain."""
    ranges = analysis.ranges([*sch.get_loops_of_op(loop), loop])
    emit = analysis.emitter(point)
    starts: list[SSAValue | None] = []
    extents: list[SSAValue | None] = []  # None: extent 1, no loop
    guarded: list[bool] = []
    for span, extent_value in zip(box, block.extents, strict=True):
        domain = analysis.expr(extent_value)
        single = span.single()
        if single is None:
            low = _fold(emit.value, span.lows, arith.MinSIOp, point)
            high = _fold(emit.value, span.highs, arith.MaxSIOp, point)
            size = insert(arith.SubiOp(high, low), point)
            starts.append(low)
            extents.append(_at_least_zero(sch, size, point))
            guarded.append(True)
            continue
        lo, hi = single
        starts.append(None if lo.constant_value() == 0 else emit.value(lo))
        size = hi - lo
        constant = size.constant_value()
        if constant == 1:
            extents.append(None)
        elif constant is not None:
            extents.append(sch.constant(max(constant, 0)))
        elif nonneg(size, ranges):
            extents.append(emit.value(size))
        else:
            extents.append(_at_least_zero(sch, emit.value(size), point))
        guarded.append(
            domain is None
            or not nonneg(lo, ranges)
            or not provably_le(hi, domain, ranges)
        )

    zero, one = sch.constant(0), sch.constant(1)
    loops = {
        dim: tir.ForOp(zero, extent, one)
        for dim, extent in enumerate(extents)
        if extent is not None
    }
    point = insert_nest(list(loops.values()), point)
    bindings: list[SSAValue] = []
    for dim, start in enumerate(starts):
        new_loop = loops.get(dim)
        if new_loop is None:
            bindings.append(zero if start is None else start)
        elif start is None:
            bindings.append(new_loop.induction_var)
        else:
            bindings.append(insert(arith.AddiOp(start, new_loop.induction_var), point))
    block.detach()
    point = insert_guard(
        [
            (binding, extent)
            for binding, extent, needed in zip(
                bindings, block.extents, guarded, strict=True
            )
            if needed
        ],
        point,
    )
    Rewriter.insert_op(block, point)
    for position, binding in enumerate(bindings):
        block.operands[position] = binding


def _fold(
    value_of: Callable[[SymExpr], SSAValue],
    exprs: Sequence[SymExpr],
    combine: type[arith.MinSIOp] | type[arith.MaxSIOp],
    point: InsertPoint,
) -> SSAValue:
    result = value_of(exprs[0])
    for expr in exprs[1:]:
        result = insert(combine(result, value_of(expr)), point)
    return result


def _at_least_zero(sch: Schedule, value: SSAValue, point: InsertPoint) -> SSAValue:
    return insert(arith.MaxSIOp(value, sch.constant(0)), point)


def _union(lhs: list[Interval], rhs: list[Interval]) -> list[Interval]:
    return [a.union(b) for a, b in zip(lhs, rhs, strict=True)]
