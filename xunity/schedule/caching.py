"""`cache_read` and `cache_write`: stage a block's buffer through a new one.

    cache_read(B, i)   a new `tir.alloc_buffer` C of the shape of the
                       buffer R = B.reads[i], a copy nest `C[v] = R[v]`
                       (block "<B>_read<i>") right before B's loop nest,
                       and B loads C instead of R.
    cache_write(B, i)  B stores (and loads) a new buffer C instead of
                       W = B.writes[i]; a copy nest `W[v] = C[v]` (block
                       "<B>_write<i>") right after B's loop nest.

Like TVM, the cache covers the whole buffer; `compute_at` /
`reverse_compute_at` of the copy block then narrows it to what one loop
iteration needs.  The copy nests are plain loops with guards nowhere, the
cache buffer lives for the whole function.  CPU kernels have one memory
space, so there is no storage scope argument.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from xdsl.dialects.builtin import DYNAMIC_INDEX, MemRefType
from xdsl.ir import Operation, SSAValue
from xdsl.rewriter import InsertPoint, Rewriter

from xunity.dialects import tir
from xunity.ir.symbolic import SymExpr
from xunity.schedule.analysis import (
    IndexAnalysis,
    accesses,
    accesses_of,
    at_iter_vars,
    blocks_in,
    top_level,
    unique_block_name,
)
from xunity.schedule.building import insert_nest
from xunity.schedule.errors import fail
from xunity.schedule.trace import BlockRef

if TYPE_CHECKING:
    from xunity.schedule.schedule import Schedule


def cache_read(sch: Schedule, block: tir.BlockOp, read_index: int) -> tir.BlockOp:
    primitive = "cache_read"
    buffer = _declared(sch, primitive, block, list(block.reads), read_index, "reads")
    loads, stores = accesses(block)
    if buffer not in loads:
        raise fail(primitive, f"the block does not load its read {read_index}")
    if buffer in stores:
        raise fail(primitive, "the block also writes the buffer")
    dims = _dims(sch, primitive, buffer)
    top = top_level(block, sch.func)
    for other in blocks_in(top):
        if other is not block and buffer in accesses(other)[1]:
            raise fail(
                primitive,
                f'block "{other.block_name.data}" writes the buffer in the loop '
                "nest of the block",
            )

    name = block.block_name.data
    cache = _alloc(sch, buffer, dims, InsertPoint.before(top))
    copy = _copy_nest(
        sch,
        unique_block_name(sch.func, f"{name}_read{read_index}"),
        buffer,
        cache,
        dims,
        InsertPoint.before(top),
    )
    _redirect(block, buffer, cache)
    sch.record(primitive, BlockRef(name), read_index)
    return copy


def cache_write(sch: Schedule, block: tir.BlockOp, write_index: int) -> tir.BlockOp:
    primitive = "cache_write"
    buffer = _declared(sch, primitive, block, list(block.writes), write_index, "writes")
    if buffer not in accesses(block)[1]:
        raise fail(primitive, f"the block does not store its write {write_index}")
    for other in blocks_in(sch.func):
        if other is not block and buffer in accesses(other)[1]:
            raise fail(
                primitive,
                f'block "{other.block_name.data}" also writes the buffer; the block '
                "must be its only writer",
            )
    loads_before_init = [
        access
        for access in accesses_of(block, buffer)
        if isinstance(access, tir.LoadOp)
        and (block.init is None or block.init.is_ancestor(access))
    ]
    if loads_before_init:
        raise fail(
            primitive,
            "the block reads the buffer before writing it (outside the body of a "
            "block with init)",
        )
    dims = _dims(sch, primitive, buffer)
    spatial = [
        index
        for index, kind in enumerate(block.iter_kinds.data)
        if kind.data == tir.IterKind.SPATIAL
    ]
    analysis = IndexAnalysis(sch.func)
    extents = [analysis.expr(block.extents[index]) for index in spatial]
    whole = len(extents) == len(dims) and all(
        extent is not None and extent.provably_equal(dim)
        for extent, dim in zip(extents, dims, strict=True)
    )
    if not whole or not all(
        at_iter_vars(store, block, spatial)
        for store in accesses_of(block, buffer)
        if isinstance(store, tir.StoreOp)
    ):
        raise fail(
            primitive,
            "the block must write the whole buffer: store at exactly its spatial "
            "iteration variables, whose extents are the buffer's dims",
        )
    top = top_level(block, sch.func)
    for other in blocks_in(top):
        if other is not block and buffer in accesses(other)[0]:
            raise fail(
                primitive,
                f'block "{other.block_name.data}" reads the buffer in the loop nest '
                "of the block",
            )

    name = block.block_name.data
    cache = _alloc(sch, buffer, dims, InsertPoint.before(top))
    copy = _copy_nest(
        sch,
        unique_block_name(sch.func, f"{name}_write{write_index}"),
        cache,
        buffer,
        dims,
        InsertPoint.after(top),
    )
    _redirect(block, buffer, cache)
    sch.record(primitive, BlockRef(name), write_index)
    return copy


def _declared(
    sch: Schedule,
    primitive: str,
    block: object,
    declared: list[SSAValue],
    index: int,
    what: str,
) -> SSAValue:
    """The buffer `declared[index]`, after the checks common to both primitives."""
    if not isinstance(block, tir.BlockOp) or not sch.func.is_ancestor(block):
        raise fail(primitive, "expected a tir.block of the scheduled function")
    parent = block.parent_op()
    while parent is not sch.func and parent is not None:
        if isinstance(parent, tir.BlockOp):
            raise fail(primitive, "the block must not be nested in another block")
        parent = parent.parent_op()
    if not 0 <= index < len(declared):
        raise fail(
            primitive,
            f"{what} index {index} is out of range: the block declares "
            f"{len(declared)} {what}",
        )
    buffer = declared[index]
    owner = buffer.owner
    defined_at_top = (
        owner.parent_op() is sch.func
        if isinstance(owner, Operation)
        else owner is sch.func.body.block
    )
    if not defined_at_top:
        raise fail(
            primitive,
            "the buffer must be a function argument or allocated in the function body",
        )
    return buffer


def _dims(sch: Schedule, primitive: str, buffer: SSAValue) -> list[SymExpr]:
    dims = IndexAnalysis(sch.func).buffer_dims(buffer)
    if dims is None:
        raise fail(
            primitive,
            "the buffer's dims are unknown (neither constant, tir.dims nor the sizes "
            "of a tir.alloc_buffer)",
        )
    return dims


def _dim_values(
    sch: Schedule, dims: list[SymExpr], point: InsertPoint
) -> list[SSAValue]:
    emit = IndexAnalysis(sch.func).emitter(point)
    return [
        sch.constant(constant)
        if (constant := dim.constant_value()) is not None
        else emit.value(dim)
        for dim in dims
    ]


def _alloc(
    sch: Schedule, buffer: SSAValue, dims: list[SymExpr], point: InsertPoint
) -> SSAValue:
    buffer_type = buffer.type
    assert isinstance(buffer_type, MemRefType)
    shape = buffer_type.get_shape()
    values = _dim_values(sch, dims, point)
    sizes = [
        value for value, dim in zip(values, shape, strict=True) if dim == DYNAMIC_INDEX
    ]
    alloc = tir.AllocBufferOp(MemRefType(buffer_type.element_type, shape), sizes)
    Rewriter.insert_op(alloc, point)
    return alloc.buffer


def _copy_nest(
    sch: Schedule,
    name: str,
    source: SSAValue,
    target: SSAValue,
    dims: list[SymExpr],
    point: InsertPoint,
) -> tir.BlockOp:
    """`target[v] = source[v]` over the whole buffer, as a loop nest at `point`."""
    extents = _dim_values(sch, dims, point)
    zero, one = sch.constant(0), sch.constant(1)
    loops = [tir.ForOp(zero, extent, one) for extent in extents]
    iter_vars = [
        tir.IterVar(tir.IterKind.SPATIAL, loop.induction_var, extent)
        for loop, extent in zip(loops, extents, strict=True)
    ]
    block = tir.BlockOp(name, iter_vars, [source], [target])
    body = block.body.block
    load = tir.LoadOp(source, list(body.args))
    store = tir.StoreOp(load.result, target, list(body.args))
    terminator = body.last_op
    assert terminator is not None
    body.insert_ops_before([load, store], terminator)
    Rewriter.insert_op(block, insert_nest(loops, point))
    return block


def _redirect(block: tir.BlockOp, buffer: SSAValue, cache: SSAValue) -> None:
    """Make `block` access `cache` wherever it accessed `buffer`."""
    for access in accesses_of(block, buffer):
        access.operands[list(access.operands).index(buffer)] = cache
    for position, operand in enumerate(block.operands):
        if operand is buffer:
            block.operands[position] = cache
