"""`tensorize`: replace a matmul loop nest by one `cpu.gemm_microkernel` call.

    tensorize(L, "gemm_f32_<mr>x<nr>")

L is the outermost of a perfect nest of three serial loops (any order) over
i (extent mr), j (extent nr) and k (any extent), holding one block

    C[..., ci + i, cj + j] = C[..., ci + i, cj + j]
                             + A[..., ai + i, ak + k] * B[..., bk + k, bj + j]

(add and mul operands in either order; A may also be read transposed, as
A[..., ak + k, ai + i]) whose bases and leading indices do not depend on the
nest.  The nest becomes `tir.access_ptr`s of A, B and C at the tile's origin
(the indices with i = j = k = 0, recomputed before the nest) and one
micro-kernel call that accumulates the mr x nr tile of C over all k, reading
A and B in place: the buffers are dense row-major, so a row stride is the
buffer's last dim (for a transposed A, the k stride).

The kernel computes whole tiles, so every point of the tile must run: a
nest with an `scf.if` (a split remainder's guard) is refused.  The update
must accumulate into C: a block with an `init` region is refused (use
`decompose_reduction` first).  The block is gone afterwards, so tensorize
is the last primitive of the loops only it was under.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from xdsl.dialects import arith, memref, scf
from xdsl.dialects.builtin import (
    Float32Type,
    IndexType,
    IntegerAttr,
    IntegerType,
    MemRefType,
    NoneAttr,
)
from xdsl.ir import Block, Operation, SSAValue
from xdsl.rewriter import InsertPoint, Rewriter

from xunity.dialects import cpu, tir
from xunity.ir.symbolic import SymExpr
from xunity.schedule.analysis import (
    IndexAnalysis,
    ancestors,
    defined_in,
    depends_on,
)
from xunity.schedule.building import insert
from xunity.schedule.errors import fail

if TYPE_CHECKING:
    from xunity.schedule.schedule import Schedule

_PRIMITIVE = "tensorize"
_INTRINSIC = re.compile(r"gemm_f32_(\d+)x(\d+)")
_NEST = "the loop must head a perfect nest of exactly three loops around one tir.block"
_MATMUL = (
    "the block must be the f32 matmul update C[..., i, j] = C[..., i, j] + "
    "A[..., i, k] * B[..., k, j]"
)


@dataclass
class _Access:
    """A buffer and its indices as SymExprs over the loop variables."""

    buffer: SSAValue
    indices: list[SymExpr]


@dataclass
class _Match:
    """What the rewrite needs: buffers at the tile origin and the k extent."""

    a: _Access
    b: _Access
    c: _Access
    a_transposed: bool
    """A is indexed [..., k, i] (a K x M matrix): rows of the tile are columns."""
    k_extent: SSAValue


def tensorize(sch: Schedule, loop: tir.ForOp, intrinsic: str) -> None:
    sch._check_loop(_PRIMITIVE, loop)
    mr, nr = _tile_of(intrinsic)
    nest = _nest(loop)
    for nested in nest:
        sch._check_normal(_PRIMITIVE, nested)
        sch._check_serial(_PRIMITIVE, nested)
    sch._check_bounds_outside(_PRIMITIVE, nest)
    if any(isinstance(parent, tir.BlockOp) for parent in ancestors(loop)):
        raise fail(_PRIMITIVE, "the nest must not lie inside a tir.block")
    block = next(op for op in nest[-1].body.block.ops if isinstance(op, tir.BlockOp))
    analysis = IndexAnalysis(sch.func)
    match = _match(analysis, block, nest, mr, nr)
    ref = sch.loop_ref(loop)

    point = InsertPoint.before(loop)
    emit = analysis.emitter(point)

    def value_of(expr: SymExpr) -> SSAValue:
        constant = expr.constant_value()
        return sch.constant(constant) if constant is not None else emit.value(expr)

    def pointer(access: _Access) -> SSAValue:
        indices = [value_of(index) for index in access.indices]
        return insert(tir.AccessPtrOp(access.buffer, indices), point)

    def row_length(buffer: SSAValue) -> SSAValue:
        dims = analysis.buffer_dims(buffer)
        if dims is not None:
            return value_of(dims[-1])
        last = sch.constant(len(_memref(buffer).get_shape()) - 1)
        return insert(memref.DimOp.from_source_and_index(buffer, last), point)

    a, b, c = pointer(match.a), pointer(match.b), pointer(match.c)
    one = sch.constant(1)
    accumulate = insert(arith.ConstantOp(IntegerAttr(1, IntegerType(1))), point)
    a_strides = [row_length(match.a.buffer), one]
    if match.a_transposed:
        a_strides.reverse()
    operands = [a, *a_strides, b, row_length(match.b.buffer)]
    operands += [c, row_length(match.c.buffer), match.k_extent]
    operands += [
        sch.constant(mr),
        sch.constant(nr),
        accumulate,
        _scratch(sch, loop, mr * nr),
    ]
    Rewriter.insert_op(cpu.GemmMicrokernelOp(operands, mr, nr), point)
    Rewriter.erase_op(loop)
    sch.record(_PRIMITIVE, ref, intrinsic)


def _tile_of(intrinsic: str) -> tuple[int, int]:
    found = _INTRINSIC.fullmatch(intrinsic) if isinstance(intrinsic, str) else None
    if found is None:
        raise fail(
            _PRIMITIVE, f"unknown intrinsic {intrinsic!r}, want gemm_f32_<mr>x<nr>"
        )
    mr, nr = int(found[1]), int(found[2])
    width = cpu.GemmMicrokernelOp.VECTOR_WIDTH
    limit = cpu.GemmMicrokernelOp.MAX_ACCUMULATORS
    if mr <= 0 or nr <= 0 or nr % width:
        raise fail(
            _PRIMITIVE,
            f"{intrinsic}: mr must be positive and nr a positive multiple of {width}",
        )
    if mr * nr // width > limit:
        raise fail(
            _PRIMITIVE,
            f"{intrinsic}: the tile needs {mr * nr // width} accumulator registers, "
            f"more than {limit}",
        )
    return mr, nr


def _nest(loop: tir.ForOp) -> list[tir.ForOp]:
    """`loop` and the two loops perfectly nested in it; the innermost body
    holds one block and index arithmetic only."""
    nest = [loop]
    while True:
        ops = _body_ops(nest[-1].body.block)
        if any(isinstance(op, scf.IfOp) for op in ops):
            raise fail(
                _PRIMITIVE,
                "the nest holds an scf.if (a split remainder's guard); the "
                "micro-kernel computes whole tiles only",
            )
        if len(nest) == 3:
            break
        if len(ops) != 1 or not isinstance(ops[0], tir.ForOp):
            raise fail(_PRIMITIVE, _NEST)
        nest.append(ops[0])
    if len(ops) != 1 or not isinstance(ops[0], tir.BlockOp):
        raise fail(_PRIMITIVE, _NEST)
    return nest


def _body_ops(body: Block) -> list[Operation]:
    """The ops of a loop body other than index arithmetic and the terminator."""
    return [
        op
        for op in body.ops
        if not isinstance(op, tir.YieldOp) and not _is_index_arith(op)
    ]


def _is_index_arith(op: Operation) -> bool:
    return (
        op.dialect_name() == "arith"
        and not op.regions
        and all(isinstance(result.type, IndexType) for result in op.results)
    )


def _match(
    analysis: IndexAnalysis,
    block: tir.BlockOp,
    nest: list[tir.ForOp],
    mr: int,
    nr: int,
) -> _Match:
    """Check the block is the matmul update over the nest, tile `mr` x `nr`."""
    if block.init is not None:
        raise fail(
            _PRIMITIVE,
            "the block has an init region; the micro-kernel accumulates "
            "(decompose_reduction first)",
        )
    store, c_load, lhs, rhs = _matmul_ops(block)
    for op in (store, c_load, lhs, rhs):
        if not isinstance(_memref(op.buffer).element_type, Float32Type):
            raise fail(_PRIMITIVE, "A, B and C must be f32 buffers")
        if not isinstance(_memref(op.buffer).layout, NoneAttr):
            raise fail(_PRIMITIVE, "A, B and C must be dense row-major buffers")
        if defined_in(op.buffer, nest[0]):
            raise fail(_PRIMITIVE, "A, B and C must be defined outside the nest")
    if store.buffer in (lhs.buffer, rhs.buffer):
        raise fail(_PRIMITIVE, "C must not also be read as A or B")

    env: dict[SSAValue, SymExpr] = {}
    for arg, binding in zip(block.iter_vars, block.bindings, strict=True):
        expr = analysis.expr(binding)
        if expr is None:
            raise fail(_PRIMITIVE, "a binding of the block is not an index expression")
        env[arg] = expr
    names = [analysis.loop_var(nested) for nested in nest]

    def access(op: tir.LoadOp | tir.StoreOp) -> _Access:
        indices = [analysis.expr(index, env) for index in op.indices]
        if len(indices) < 2 or any(index is None for index in indices):
            raise fail(
                _PRIMITIVE,
                "A, B and C need two or more indices, each an index expression",
            )
        return _Access(op.buffer, [index for index in indices if index is not None])

    c, c_read = access(store), access(c_load)
    if c.indices != c_read.indices:
        raise fail(_PRIMITIVE, f"{_MATMUL}: C is read and written at different indices")
    i, j = _unit_var(c, -2, names), _unit_var(c, -1, names)
    if i is None or j is None or i == j or not _uses(c, i, j, names):
        raise fail(
            _PRIMITIVE,
            "C's last two indices must each add one loop of the nest (coefficient "
            "1) to a base independent of the nest, its other indices none",
        )
    (k,) = (name for name in names if name not in (i, j))
    x, y = access(lhs), access(rhs)
    roles = [
        (a, b, transposed)
        for a, b in ((x, y), (y, x))
        for transposed in (False, True)
        if _uses(a, *((k, i) if transposed else (i, k)), names)
        and _uses(b, k, j, names)
    ]
    if not roles:
        raise fail(
            _PRIMITIVE,
            f"{_MATMUL}: A's last two indices must add the loops of C's row and of "
            "the reduction (or the reverse), B's those of the reduction and of C's "
            "column (unit coefficients, bases independent of the nest)",
        )
    a, b, transposed = roles[0]
    loops = dict(zip(names, nest, strict=True))
    for name, extent, what in ((i, mr, "row"), (j, nr, "column")):
        actual = tir.constant_index(loops[name].ub)
        if actual != extent:
            shown = "symbolic" if actual is None else str(actual)
            raise fail(
                _PRIMITIVE,
                f"the {what} loop has extent {shown}, the intrinsic's tile needs "
                f"{mr}x{nr}",
            )
    _check_kinds(block, loops[k], [loops[i], loops[j]])
    zero = dict.fromkeys(names, 0)
    return _Match(_at(a, zero), _at(b, zero), _at(c, zero), transposed, loops[k].ub)


def _matmul_ops(
    block: tir.BlockOp,
) -> tuple[tir.StoreOp, tir.LoadOp, tir.LoadOp, tir.LoadOp]:
    """The store to C, the load of C and the two multiplied loads."""
    ops = _body_ops(block.body.block)
    stores = [op for op in ops if isinstance(op, tir.StoreOp)]
    if len(ops) != 6 or len(stores) != 1:
        raise fail(_PRIMITIVE, _MATMUL)
    add = stores[0].value.owner
    if not isinstance(add, arith.AddfOp):
        raise fail(_PRIMITIVE, _MATMUL)
    owners = [operand.owner for operand in add.operands]
    loads = [owner for owner in owners if isinstance(owner, tir.LoadOp)]
    muls = [owner for owner in owners if isinstance(owner, arith.MulfOp)]
    if len(loads) != 1 or len(muls) != 1 or loads[0].buffer is not stores[0].buffer:
        raise fail(_PRIMITIVE, _MATMUL)
    factors = [operand.owner for operand in muls[0].operands]
    if not all(isinstance(factor, tir.LoadOp) for factor in factors):
        raise fail(_PRIMITIVE, _MATMUL)
    lhs, rhs = factors
    assert isinstance(lhs, tir.LoadOp) and isinstance(rhs, tir.LoadOp)
    return stores[0], loads[0], lhs, rhs


def _unit_var(access: _Access, position: int, names: list[str]) -> str | None:
    """The loop variable the index at `position` adds with coefficient 1 to a
    base independent of the nest, if exactly one such exists."""
    index = access.indices[position]
    for name in names:
        base = index - SymExpr.of(name)
        if not base.free_vars() & set(names):
            return name
    return None


def _uses(access: _Access, row: str, column: str, names: list[str]) -> bool:
    """Whether the last two indices add `row` and `column` (unit coefficients)
    and the leading ones do not depend on the nest."""
    leading = access.indices[:-2]
    if any(index.free_vars() & set(names) for index in leading):
        return False
    return (
        _unit_var(access, -2, names) == row and _unit_var(access, -1, names) == column
    )


def _at(access: _Access, point: dict[str, int]) -> _Access:
    """`access` with the loop variables of `point` set to its values."""
    indices = [index.substitute(point) for index in access.indices]
    return _Access(access.buffer, indices)


def _check_kinds(block: tir.BlockOp, k: tir.ForOp, spatial: list[tir.ForOp]) -> None:
    kinds = [kind.data for kind in block.iter_kinds.data]
    for binding, kind in zip(block.bindings, kinds, strict=True):
        if depends_on(binding, k.induction_var) and kind != tir.IterKind.REDUCE:
            raise fail(
                _PRIMITIVE, "the reduction loop must bind reduce iteration variables"
            )
        if kind != tir.IterKind.SPATIAL and any(
            depends_on(binding, loop.induction_var) for loop in spatial
        ):
            raise fail(
                _PRIMITIVE,
                "the row and column loops must bind spatial iteration variables",
            )


def _scratch(sch: Schedule, loop: tir.ForOp, size: int) -> SSAValue:
    """A pointer to `size` f32s for edge tiles, allocated once per thread: in
    the innermost parallel loop around `loop`, else at function entry."""
    zero = sch.constant(0)
    parallel = [
        outer
        for outer in sch.get_loops_of_op(loop)
        if outer.kind.data == tir.ForKind.PARALLEL
    ]
    if parallel:
        point = InsertPoint.at_start(parallel[-1].body.block)
    else:
        point = InsertPoint.after(_last_entry_constant(sch, zero))
    alloc = tir.AllocBufferOp(MemRefType(Float32Type(), [size]))
    Rewriter.insert_op(alloc, point)
    return insert(tir.AccessPtrOp(alloc.buffer, [zero]), InsertPoint.after(alloc))


def _last_entry_constant(sch: Schedule, zero: SSAValue) -> Operation:
    """The last of the constants at function entry (`zero` is one of them)."""
    last = zero.owner
    assert isinstance(last, Operation)
    for op in sch.func.body.block.ops:
        if not isinstance(op, arith.ConstantOp):
            break
        last = op
    return last


def _memref(buffer: SSAValue) -> MemRefType:
    buffer_type = buffer.type
    assert isinstance(buffer_type, MemRefType)
    return buffer_type
