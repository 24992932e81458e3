"""`convert-tir-to-cpu`: tir kernels -> loops over bare pointers with explicit strides.

Input: kernels of the tir kernel convention (docs/lowering.md): a
`func.func` marked `tir.kernel` whose `index` arguments tagged
`tir.shape_var` are the shape variables and whose memref arguments carry
their symbolic dims in `tir.dims`.  Output (same function):

- shape variables become `i64` arguments, each cast back to `index` once at
  entry (`arith.index_cast`): the body keeps computing in `index`, which
  `convert-arith-to-llvm` later makes `i64`, so the casts vanish there;
- buffers become bare `!llvm.ptr`s; every dim is recomputed at entry from
  `tir.dims` (`SymExpr` -> `arith` on the shape variables, each distinct
  expression once) and so is every stride (suffix products of the dims);
  the ones no access ends up using are pruned at the end;
- `tir.for` -> `scf.for`, the kind kept as the discardable attribute
  `tir.for_kind` on unrolled and vectorized loops (a hint for loop metadata),
  or `cpu.parallel` for parallel loops (a non-unit step is normalised away);
- `tir.block` is inlined with its iteration variables replaced by their
  bindings; its init runs under `scf.if` "every reduce binding == 0";
- `tir.load` / `tir.store` -> element-typed `llvm.getelementptr` at
  `sum(index_k * stride_k)` + `llvm.load` / `llvm.store` aligned to the
  element size only (numpy buffers are not more aligned than that);
- `tir.alloc_buffer` -> `cpu.runtime_call "XUAlloc"(bytes, 64)` and an
  `"XUFree"` before the terminator of its region (the function's return, or
  the end of the loop or block body it lives in);
- `memref.dim` of a buffer with a constant index -> that dim's value;
- last, accumulators of innermost loops that also store another buffer are
  carried as `scf.for` iteration arguments (promote_accumulators.py).

`mod` in dims is `arith.remsi`, which agrees with `SymExpr`'s floor modulo
for the non-negative numerators that valid shapes have.  Kernels that break
the convention fail with a PassFailedException naming the function and the
argument or op.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from xdsl.builder import Builder
from xdsl.context import Context
from xdsl.dialects import arith, func, llvm, memref, scf
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    AffineMapAttr,
    BFloat16Type,
    DictionaryAttr,
    FileLineColLoc,
    Float16Type,
    Float32Type,
    Float64Type,
    FunctionType,
    IndexType,
    IntegerType,
    MemRefType,
    ModuleOp,
    NoneAttr,
    Signedness,
    StringAttr,
    i64,
)
from xdsl.dialects.llvm import GEP_USE_SSA_VAL, LLVMPointerType
from xdsl.ir import Attribute, Block, Operation, SSAValue
from xdsl.ir.affine import AffineMap
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.utils.exceptions import PassFailedException

from xunity.dialects import cpu, tir
from xunity.dialects.graph.types import DimsAttr
from xunity.ir.sym_values import SymValues
from xunity.ir.symbolic import SymExpr
from xunity.lowering.promote_accumulators import promote_accumulators

PASS_NAME = "convert-tir-to-cpu"

ALLOC_ALIGN = 64
"""Alignment of runtime-allocated scratch buffers (one cache line / zmm register)."""

FOR_KIND_ATTR = "tir.for_kind"
"""Discardable attribute that keeps an unrolled / vectorized loop's kind on scf.for."""


# ------------------------------------------------------------------ errors
def _fail(op: Operation, kernel: func.FuncOp, message: str) -> PassFailedException:
    """`file:line:col: error: convert-tir-to-cpu: @kernel: message` (location of op)."""
    where = ""
    loc = op.location
    if isinstance(loc, FileLineColLoc):
        where = f"{loc.filename.data}:{loc.line.data}:{loc.column.data}: "
    return PassFailedException(
        f"{where}error: {PASS_NAME}: @{kernel.sym_name.data}: {message}"
    )


# ------------------------------------------------------------------ element types
def element_bytes(element_type: Attribute) -> int | None:
    """Bytes of one element in a dense buffer, or None if it is not addressable.

    i1 takes one byte (numpy's bool); packed i4/ui4 have no element address.
    """
    if isinstance(element_type, IntegerType):
        if element_type.signedness.data != Signedness.SIGNLESS:
            return None
        return {1: 1, 8: 1, 16: 2, 32: 4, 64: 8}.get(element_type.width.data)
    if isinstance(element_type, Float16Type | BFloat16Type):
        return 2
    if isinstance(element_type, Float32Type):
        return 4
    if isinstance(element_type, Float64Type):
        return 8
    return None


# ------------------------------------------------------------------ index arithmetic
# ------------------------------------------------------------------ buffers
@dataclass(frozen=True)
class BufferView:
    """A buffer after lowering: base pointer, element type, dims and strides."""

    ptr: SSAValue
    element_type: Attribute
    dims: tuple[SSAValue, ...]
    strides: tuple[SSAValue, ...]

    @property
    def align(self) -> int:
        size = element_bytes(self.element_type)
        assert size is not None  # checked before lowering
        return size

    def address(
        self, indices: Sequence[SSAValue], rewriter: PatternRewriter
    ) -> SSAValue:
        """`ptr + sum(index_k * stride_k)` elements (zero indices and unit strides
        cost nothing)."""
        terms: list[SSAValue] = []
        for index, stride in zip(indices, self.strides, strict=True):
            if tir.constant_index(index) == 0:
                continue
            if tir.constant_index(stride) == 1:
                terms.append(index)
            else:
                terms.append(rewriter.insert(arith.MuliOp(index, stride)).result)
        if not terms:
            return self.ptr
        linear = terms[0]
        for term in terms[1:]:
            linear = rewriter.insert(arith.AddiOp(linear, term)).result
        offset = rewriter.insert(arith.IndexCastOp(linear, i64)).result
        gep = llvm.GEPOp(self.ptr, [GEP_USE_SSA_VAL], self.element_type, [offset])
        return rewriter.insert(gep).result


def row_major(
    dims: Sequence[SymExpr], index: SymValues
) -> tuple[tuple[SSAValue, ...], tuple[SSAValue, ...], SymExpr]:
    """Dims, strides (suffix products of the dims) and element count of a dense
    row-major buffer, as index values."""
    stride = SymExpr.of(1)
    strides: list[SymExpr] = []
    for dim in reversed(dims):
        strides.append(stride)
        stride = index.product(stride, dim)
    dim_values = tuple(index.value(dim) for dim in dims)
    stride_values = tuple(index.value(s) for s in reversed(strides))
    return dim_values, stride_values, stride


@dataclass
class KernelState:
    """What the patterns of one kernel share."""

    buffers: dict[SSAValue, BufferView] = field(default_factory=dict)
    """Lowered buffers by their pointer value (the only key that survives)."""
    helpers: list[Operation] = field(default_factory=list)
    """Index arithmetic built for dims and strides, in order; unused ones are
    pruned at the end (not by the rewriter's DCE, which would erase values the
    buffer table still hands out)."""

    def prune_unused(self) -> None:
        for op in reversed(self.helpers):  # users were created after producers
            if op.parent is not None and not any(r.uses for r in op.results):
                Rewriter.erase_op(op)


# ------------------------------------------------------------------ convention
@dataclass(frozen=True)
class ShapeVarArg:
    name: str


@dataclass(frozen=True)
class BufferArg:
    type: MemRefType
    dims: tuple[SymExpr, ...]


KernelArg = ShapeVarArg | BufferArg


def _has_identity_layout(buffer: MemRefType) -> bool:
    layout = buffer.layout
    if isinstance(layout, NoneAttr):
        return True
    rank = buffer.get_num_dims()
    return isinstance(layout, AffineMapAttr) and layout.data == AffineMap.identity(rank)


def _check_buffer_type(
    kernel: func.FuncOp, op: Operation, what: str, buffer: MemRefType
) -> None:
    if not _has_identity_layout(buffer):
        raise _fail(
            op,
            kernel,
            f"{what}: {buffer} has a non-identity layout; buffers must be dense "
            "row-major",
        )
    if element_bytes(buffer.element_type) is None:
        raise _fail(
            op,
            kernel,
            f"{what}: element type {buffer.element_type} has no byte address "
            "(supported: f16, bf16, f32, f64, i1, i8, i16, i32, i64)",
        )


def kernel_args(kernel: func.FuncOp) -> list[KernelArg]:
    """Each argument's role under the kernel convention, or a PassFailedException."""
    types = kernel.function_type.inputs.data
    attr_dicts = (
        kernel.arg_attrs.data
        if kernel.arg_attrs is not None
        else [DictionaryAttr({})] * len(types)
    )
    args: list[KernelArg] = []
    for position, (arg_type, attrs) in enumerate(zip(types, attr_dicts, strict=True)):
        what = f"argument {position} ({arg_type})"
        shape_var = attrs.data.get("tir.shape_var")
        dims = attrs.data.get("tir.dims")
        if shape_var is not None:
            if not isinstance(shape_var, StringAttr):
                raise _fail(kernel, kernel, f"{what}: tir.shape_var must be a string")
            if not isinstance(arg_type, IndexType):
                raise _fail(
                    kernel, kernel, f"{what}: a tir.shape_var argument must be index"
                )
            args.append(ShapeVarArg(shape_var.data))
        elif isinstance(arg_type, MemRefType):
            if not isinstance(dims, DimsAttr):
                raise _fail(kernel, kernel, f"{what} has no tir.dims")
            _check_buffer_type(kernel, kernel, what, arg_type)
            args.append(BufferArg(arg_type, dims.data))
        else:
            raise _fail(
                kernel,
                kernel,
                f"{what} is neither an index tagged tir.shape_var nor a memref "
                "tagged tir.dims",
            )
    _check_dims(kernel, args)
    return args


def _check_dims(kernel: func.FuncOp, args: Sequence[KernelArg]) -> None:
    passed: set[str] = set()
    for position, arg in enumerate(args):
        if isinstance(arg, ShapeVarArg):
            if arg.name in passed:
                raise _fail(
                    kernel,
                    kernel,
                    f"argument {position}: shape variable {arg.name} is passed twice",
                )
            passed.add(arg.name)
    for position, arg in enumerate(args):
        if not isinstance(arg, BufferArg):
            continue
        what = f"argument {position} ({arg.type})"
        dims_text = "[" + ", ".join(str(dim) for dim in arg.dims) + "]"
        shape = arg.type.get_shape()
        if len(shape) != len(arg.dims):
            raise _fail(
                kernel,
                kernel,
                f"{what}: tir.dims {dims_text} has rank {len(arg.dims)}, the memref "
                f"rank {len(shape)}",
            )
        for axis, (static, dim) in enumerate(zip(shape, arg.dims, strict=True)):
            expected = dim.constant_value()
            if static != (DYNAMIC_INDEX if expected is None else expected):
                raise _fail(
                    kernel,
                    kernel,
                    f"{what}: dim {axis} disagrees with tir.dims {dims_text} (a "
                    "buffer has the constant dims of tir.dims and ? for the others)",
                )
            missing = sorted(dim.free_vars() - passed)
            if missing:
                raise _fail(
                    kernel,
                    kernel,
                    f"{what}: tir.dims {dims_text} uses shape variable {missing[0]}, "
                    "which is not a tir.shape_var argument",
                )


def _check_buffer_uses(kernel: func.FuncOp, buffer: SSAValue, what: str) -> None:
    """Every use of a buffer must be one the patterns below rewrite away."""
    assert isinstance(buffer.type, MemRefType)
    rank = buffer.type.get_num_dims()
    for use in buffer.uses:
        user = use.operation
        if (
            isinstance(user, tir.LoadOp | tir.StoreOp | tir.AccessPtrOp)
            and user.buffer is buffer
        ):
            continue
        if isinstance(user, tir.BlockOp) and (
            buffer in user.reads or buffer in user.writes
        ):
            continue
        if isinstance(user, memref.DimOp) and user.source is buffer:
            axis = tir.constant_index(user.index)
            if axis is not None and 0 <= axis < rank:
                continue
            raise _fail(
                user, kernel, f"memref.dim of {what} needs a constant, in-range index"
            )
        raise _fail(
            user, kernel, f"{what} is used by {user.name}, which has no pointer form"
        )


def check_kernel(kernel: func.FuncOp) -> list[KernelArg]:
    """All convention checks, before anything is rewritten."""
    args = kernel_args(kernel)
    if kernel.is_declaration:
        return args
    buffers: set[SSAValue] = set()
    for position, (arg, value) in enumerate(zip(args, kernel.args, strict=True)):
        if isinstance(arg, BufferArg):
            _check_buffer_uses(kernel, value, f"argument {position}")
            buffers.add(value)
    for op in kernel.walk():
        if isinstance(op, tir.LoadOp | tir.StoreOp) and op.buffer not in buffers:
            raise _fail(
                op,
                kernel,
                f"{op.name}: the buffer is neither a kernel argument nor a "
                "tir.alloc_buffer",
            )
        if not isinstance(op, tir.AllocBufferOp):
            continue
        buffers.add(op.buffer)
        buffer_type = op.buffer.type
        assert isinstance(buffer_type, MemRefType)
        _check_buffer_type(kernel, op, "tir.alloc_buffer", buffer_type)
        _check_buffer_uses(kernel, op.buffer, "a tir.alloc_buffer")
        block = op.parent_block()
        assert block is not None
        if not isinstance(block.last_op, func.ReturnOp | tir.YieldOp):
            raise _fail(
                op,
                kernel,
                "tir.alloc_buffer must sit in a region ending in func.return or "
                "tir.yield (where its XUFree goes)",
            )
    return args


# ------------------------------------------------------------------ signature
def lower_signature(
    kernel: func.FuncOp, args: Sequence[KernelArg], state: KernelState
) -> None:
    """Shape variables -> i64 (cast to index at entry), buffers -> !llvm.ptr with
    their dims and strides computed at entry."""
    new_types: list[Attribute] = [
        i64 if isinstance(arg, ShapeVarArg) else LLVMPointerType() for arg in args
    ]
    kernel.properties.pop("arg_attrs", None)
    if kernel.is_declaration:
        outputs = kernel.function_type.outputs.data
        kernel.function_type = FunctionType.from_lists(new_types, outputs)
        return
    entry = kernel.body.block
    assert entry.first_op is not None  # a function body ends in a terminator
    builder = Builder(InsertPoint.before(entry.first_op))
    env: dict[str, SSAValue] = {}
    for arg, value in zip(args, entry.args, strict=True):
        if not isinstance(arg, ShapeVarArg):
            continue
        widened = Rewriter.replace_value_with_new_type(value, i64)
        cast = builder.insert(arith.IndexCastOp(widened, IndexType()))
        state.helpers.append(cast)
        cast.result.name_hint = arg.name
        widened.name_hint = f"{arg.name}_i64"
        _replace_uses_except(widened, cast.result, cast)
        env[arg.name] = cast.result
    index = SymValues(builder, env, IndexType(), state.helpers)
    for arg, value in zip(args, entry.args, strict=True):
        if not isinstance(arg, BufferArg):
            continue
        ptr = Rewriter.replace_value_with_new_type(value, LLVMPointerType())
        dims, strides, _ = row_major(arg.dims, index)
        state.buffers[ptr] = BufferView(ptr, arg.type.element_type, dims, strides)
    kernel.update_function_type()


# ------------------------------------------------------------------ patterns
class LowerAllocBuffer(RewritePattern):
    """tir.alloc_buffer(sizes) : memref<...xT>  ->
    XUAlloc(bytes, 64) here, XUFree before the terminator of the same region."""

    def __init__(self, state: KernelState):
        self.state = state

    @op_type_rewrite_pattern
    def match_and_rewrite(
        self, op: tir.AllocBufferOp, rewriter: PatternRewriter
    ) -> None:
        buffer_type = op.buffer.type
        assert isinstance(buffer_type, MemRefType)
        sizes = iter(op.dynamic_sizes)
        env: dict[str, SSAValue] = {}
        dims: list[SymExpr] = []
        for axis, static in enumerate(buffer_type.get_shape()):
            if static != DYNAMIC_INDEX:
                dims.append(SymExpr.of(static))
                continue
            env[f"size{axis}"] = next(sizes)
            dims.append(SymExpr.of(f"size{axis}"))
        index = SymValues(rewriter, env, IndexType(), self.state.helpers)
        element_type = buffer_type.element_type
        size = element_bytes(element_type)
        assert size is not None  # checked before lowering
        dim_values, strides, count = row_major(dims, index)
        nbytes = index.value(count * size)
        nbytes_i64 = rewriter.insert(arith.IndexCastOp(nbytes, i64)).result
        align = rewriter.insert(arith.ConstantOp.from_int_and_width(ALLOC_ALIGN, i64))
        alloc = rewriter.insert(cpu.RuntimeCallOp("XUAlloc", [nbytes_i64, align]))
        ptr = alloc.res[0]
        self.state.buffers[ptr] = BufferView(ptr, element_type, dim_values, strides)
        block = op.parent_block()
        assert block is not None and block.last_op is not None
        rewriter.insert(
            cpu.RuntimeCallOp("XUFree", [ptr]), InsertPoint.before(block.last_op)
        )
        rewriter.replace(op, [], [ptr])


class LowerSerialFor(RewritePattern):
    """tir.for serial|unrolled|vectorized  ->  scf.for (kind kept as tir.for_kind)"""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: tir.ForOp, rewriter: PatternRewriter) -> None:
        kind = op.kind.data
        if kind == tir.ForKind.PARALLEL:
            return
        body = rewriter.move_region_contents_to_new_regions(op.body)
        _replace_terminator(body.block, scf.YieldOp(), rewriter)
        loop = scf.ForOp(op.lb, op.ub, op.step, [], body)
        if kind != tir.ForKind.SERIAL:
            loop.attributes[FOR_KIND_ATTR] = op.kind
        rewriter.replace(op, loop)


PARALLEL_TASK_WORK = 2048
"""Innermost iterations a parallel task must have to pay for waking a worker
(a few microseconds): a decode step's 192-element copies launched on the
pool ran 3 us each, ten times their serial time, while a copy of 7k
elements from cold memory still gains from two threads' outstanding misses."""


def _iterations(block: Block) -> int | None:
    """Innermost iterations one run of `block` executes, counting every loop
    with constant bounds; None when a loop's trip count is known only at run
    time (then the work is not small enough to be sure of)."""
    total = 0
    for op in block.ops:
        if isinstance(op, tir.ForOp | scf.ForOp):
            bounds = [tir.constant_index(v) for v in (op.lb, op.ub, op.step)]
            inner = _iterations(op.body.block)
            if inner is None or None in bounds:
                return None
            lb, ub, step = bounds
            assert lb is not None and ub is not None and step is not None
            total += max(0, -(-(ub - lb) // step)) * max(inner, 1)
            continue
        for region in op.regions:
            for nested in region.blocks:
                inner = _iterations(nested)
                if inner is None:
                    return None
                total += inner
    return total


def _grain(body: Block) -> int | None:
    """The fewest trips of a parallel loop over `body` worth a task."""
    per_trip = _iterations(body)
    if per_trip is None:
        return None
    grain = -(-PARALLEL_TASK_WORK // max(per_trip, 1))
    return grain if grain > 1 else None


class LowerParallelFor(RewritePattern):
    """tir.for %i = lb to ub step s parallel  ->  cpu.parallel %i = lb to ub
    (cpu.parallel has no step: for s != 1 it runs %k over [0, ceildiv(ub - lb, s))
    and the body starts with %i = lb + %k * s).  A body of known, small work
    gets a `grain` (`PARALLEL_TASK_WORK`), so short launches run serially."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: tir.ForOp, rewriter: PatternRewriter) -> None:
        if op.kind.data != tir.ForKind.PARALLEL:
            return
        body = rewriter.move_region_contents_to_new_regions(op.body)
        _replace_terminator(body.block, cpu.YieldOp(), rewriter)
        grain = _grain(body.block)
        if tir.constant_index(op.step) == 1:
            rewriter.replace(op, cpu.ParallelOp(op.lb, op.ub, body, grain=grain))
            return
        span = rewriter.insert(arith.SubiOp(op.ub, op.lb))
        trips = rewriter.insert(arith.CeilDivSIOp(span, op.step))
        zero = rewriter.insert(arith.ConstantOp.from_int_and_width(0, IndexType()))
        trip = body.block.args[0]
        start = InsertPoint.at_start(body.block)
        scaled = rewriter.insert(arith.MuliOp(trip, op.step), start)
        index = rewriter.insert(arith.AddiOp(op.lb, scaled), InsertPoint.after(scaled))
        _replace_uses_except(trip, index.result, scaled)
        rewriter.replace(op, cpu.ParallelOp(zero, trips, body, grain=grain))


class InlineBlock(RewritePattern):
    """tir.block (%v = kind %b < %e, ...) init {I} {B}  ->
    scf.if (all reduce %b == 0) {I[%v := %b]};  B[%v := %b]"""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: tir.BlockOp, rewriter: PatternRewriter) -> None:
        bindings = tuple(op.bindings)
        if op.init is not None:
            guard = scf.IfOp(self._first_reduction(op, rewriter), [], [scf.YieldOp()])
            rewriter.insert(guard)
            self._inline(
                op.init.block, guard.true_region.block.last_op, bindings, rewriter
            )
        self._inline(op.body.block, op, bindings, rewriter)
        rewriter.erase(op)

    @staticmethod
    def _first_reduction(op: tir.BlockOp, rewriter: PatternRewriter) -> SSAValue:
        """`binding == 0` for every reduce iteration variable, and-ed."""
        zero = rewriter.insert(arith.ConstantOp.from_int_and_width(0, IndexType()))
        condition: SSAValue | None = None
        for kind, binding in zip(op.iter_kinds.data, op.bindings, strict=True):
            if kind.data != tir.IterKind.REDUCE:
                continue
            is_first = rewriter.insert(arith.CmpiOp(binding, zero, "eq")).result
            condition = (
                is_first
                if condition is None
                else rewriter.insert(arith.AndIOp(condition, is_first)).result
            )
        assert condition is not None  # the verifier requires a reduce variable
        return condition

    @staticmethod
    def _inline(
        block: Block,
        before: Operation | None,
        bindings: Sequence[SSAValue],
        rewriter: PatternRewriter,
    ) -> None:
        assert before is not None and isinstance(block.last_op, tir.YieldOp)
        rewriter.erase(block.last_op)
        rewriter.inline_block(block, InsertPoint.before(before), bindings)


class LowerLoad(RewritePattern):
    """tir.load %A[%i, %j]  ->  llvm.load (llvm.getelementptr %A[i*s0 + j*s1])"""

    def __init__(self, state: KernelState):
        self.state = state

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: tir.LoadOp, rewriter: PatternRewriter) -> None:
        view = self.state.buffers.get(op.buffer)
        if view is None:
            return
        address = view.address(op.indices, rewriter)
        rewriter.replace(
            op, llvm.LoadOp(address, view.element_type, alignment=view.align)
        )


class LowerStore(RewritePattern):
    """tir.store %v, %A[%i, %j]  ->  llvm.store %v, (llvm.getelementptr ...)"""

    def __init__(self, state: KernelState):
        self.state = state

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: tir.StoreOp, rewriter: PatternRewriter) -> None:
        view = self.state.buffers.get(op.buffer)
        if view is None:
            return
        address = view.address(op.indices, rewriter)
        rewriter.replace(op, llvm.StoreOp(op.value, address, alignment=view.align))


class LowerAccessPtr(RewritePattern):
    """tir.access_ptr %A[%i, %j]  ->  llvm.getelementptr %A[i*s0 + j*s1]"""

    def __init__(self, state: KernelState):
        self.state = state

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: tir.AccessPtrOp, rewriter: PatternRewriter) -> None:
        view = self.state.buffers.get(op.buffer)
        if view is None:
            return
        rewriter.replace(op, [], [view.address(op.indices, rewriter)])


class LowerBufferDim(RewritePattern):
    """memref.dim %A, %c1  ->  the entry-computed value of dim 1 of %A"""

    def __init__(self, state: KernelState):
        self.state = state

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: memref.DimOp, rewriter: PatternRewriter) -> None:
        view = self.state.buffers.get(op.source)
        axis = tir.constant_index(op.index)
        if view is None or axis is None:
            return
        rewriter.replace(op, [], [view.dims[axis]])


def _replace_terminator(
    block: Block, terminator: Operation, rewriter: PatternRewriter
) -> None:
    assert isinstance(block.last_op, tir.YieldOp)
    rewriter.replace(block.last_op, terminator)


def _replace_uses_except(value: SSAValue, new: SSAValue, user: Operation) -> None:
    value.replace_uses_with_if(new, lambda use: use.operation is not user)


def _check_lowered(kernel: func.FuncOp) -> None:
    """A safety net: check_kernel should have rejected whatever is left."""
    for op in kernel.walk():
        if op.dialect_name() == "tir":
            raise _fail(op, kernel, f"cannot lower {op.name}")


# ------------------------------------------------------------------ pass
@dataclass(frozen=True)
class ConvertTirToCpuPass(ModulePass):
    """Lower tir kernels to scf/cpu loops over pointers with explicit strides."""

    name = PASS_NAME

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        kernels = [kernel for kernel in op.walk() if isinstance(kernel, func.FuncOp)]
        kernels = [kernel for kernel in kernels if "tir.kernel" in kernel.attributes]
        # Check every kernel before rewriting any, so a failure leaves no half-
        # lowered module behind.
        checked = [(kernel, check_kernel(kernel)) for kernel in kernels]
        for kernel, args in checked:
            lower_kernel(kernel, args)


def lower_kernel(kernel: func.FuncOp, args: Sequence[KernelArg]) -> None:
    """Signature first (it makes the buffer table), scratch buffers next (their
    XUFree must be placed before blocks are inlined), then everything else."""
    state = KernelState()
    lower_signature(kernel, args, state)
    if kernel.is_declaration:
        return
    PatternRewriteWalker(
        LowerAllocBuffer(state), apply_recursively=False
    ).rewrite_region(kernel.body)
    patterns = GreedyRewritePatternApplier(
        [
            LowerSerialFor(),
            LowerParallelFor(),
            InlineBlock(),
            LowerLoad(state),
            LowerStore(state),
            LowerAccessPtr(state),
            LowerBufferDim(state),
        ],
        dce_enabled=False,
    )
    PatternRewriteWalker(patterns).rewrite_region(kernel.body)
    _check_lowered(kernel)
    promote_accumulators(kernel, [view.ptr for view in state.buffers.values()])
    state.prune_unused()
