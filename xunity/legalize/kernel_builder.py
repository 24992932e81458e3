"""A small tensor-expression layer for writing tir kernels, one per graph op.

Legalization rules describe *what* a kernel computes, in the style of TVM's
`te.compute`: `compute` for an output defined elementwise from its indices,
`reduce` for an output folded over extra axes.  The builder turns them into
the tir form of docs/lowering.md (kernel convention): loop nests of
`tir.for`, `tir.block`s with spatial/reduce iteration variables, and buffer
loads/stores.  Schedules (a later stage) transform that form; rules stay
schedule-free.

Arithmetic goes through `Emitter` helpers that pick the float or integer op
from the operand type, and f16/bf16 values are computed in f32: `load`
widens, `store` narrows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import TypeGuard

from xdsl.builder import Builder
from xdsl.dialects import arith, func, math
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    ArrayAttr,
    BFloat16Type,
    DictionaryAttr,
    Float16Type,
    Float32Type,
    FloatAttr,
    FunctionType,
    IndexType,
    IntegerAttr,
    IntegerType,
    MemRefType,
    StringAttr,
    UnitAttr,
    f32,
)
from xdsl.ir import Attribute, Block, Operation, SSAValue
from xdsl.rewriter import InsertPoint
from xdsl.utils.exceptions import PassFailedException

from xunity.dialects import tir
from xunity.dialects.graph.types import BOOL_TYPE, TensorType
from xunity.ir.sym_values import SymValues
from xunity.ir.symbolic import SymExpr, product

_HALF_TYPES = (Float16Type, BFloat16Type)


def memref_of(tensor: TensorType) -> MemRefType:
    """The kernel buffer type of a tensor: constant dims kept, symbolic ones `?`."""
    dims = [
        value if (value := dim.constant_value()) is not None else DYNAMIC_INDEX
        for dim in tensor.shape
    ]
    return MemRefType(tensor.element_type, dims)


def compute_type(element_type: Attribute) -> Attribute:
    """The type arithmetic is done in: f32 for f16/bf16, else the element type."""
    return f32 if isinstance(element_type, _HALF_TYPES) else element_type


def is_float_type(
    value_type: Attribute,
) -> TypeGuard[Float32Type | Float16Type | BFloat16Type]:
    return isinstance(value_type, Float32Type | Float16Type | BFloat16Type)


@dataclass(frozen=True)
class Buffer:
    """A kernel buffer argument (or scratch buffer) and its symbolic shape."""

    value: SSAValue
    shape: tuple[SymExpr, ...]
    element_type: Attribute

    @property
    def rank(self) -> int:
        return len(self.shape)

    def broadcast_indices(
        self, out_indices: Sequence[SSAValue], zero: SSAValue
    ) -> list[SSAValue]:
        """numpy broadcasting: align right, read index 0 along this buffer's 1-dims."""
        offset = len(out_indices) - self.rank
        return [
            zero if dim.provably_equal(1) else out_indices[offset + axis]
            for axis, dim in enumerate(self.shape)
        ]


class Emitter:
    """Scalar arithmetic at an insertion point, typed by its operands."""

    def __init__(self, builder: Builder):
        self.builder = builder

    def emit(self, op: Operation) -> SSAValue:
        self.builder.insert(op)
        return op.results[0]

    # ----------------------------------------------------------- constants
    def index(self, value: int) -> SSAValue:
        return self.emit(arith.ConstantOp(IntegerAttr(value, IndexType())))

    def constant(self, value: float | int | bool, value_type: Attribute) -> SSAValue:
        if is_float_type(value_type):
            return self.emit(arith.ConstantOp(FloatAttr(float(value), value_type)))
        assert isinstance(value_type, IntegerType)
        if value_type == BOOL_TYPE:
            value = -1 if value else 0  # i1 true is -1 in a signless 1-bit literal
        return self.emit(arith.ConstantOp(IntegerAttr(int(value), value_type)))

    # ----------------------------------------------------------- arithmetic
    def _pick(
        self,
        float_op: Callable[[SSAValue, SSAValue], Operation],
        int_op: Callable[[SSAValue, SSAValue], Operation],
        lhs: SSAValue,
        rhs: SSAValue,
    ) -> SSAValue:
        op = float_op if is_float_type(lhs.type) else int_op
        return self.emit(op(lhs, rhs))

    def add(self, lhs: SSAValue, rhs: SSAValue) -> SSAValue:
        return self._pick(arith.AddfOp, arith.AddiOp, lhs, rhs)

    def sub(self, lhs: SSAValue, rhs: SSAValue) -> SSAValue:
        return self._pick(arith.SubfOp, arith.SubiOp, lhs, rhs)

    def mul(self, lhs: SSAValue, rhs: SSAValue) -> SSAValue:
        return self._pick(arith.MulfOp, arith.MuliOp, lhs, rhs)

    def div(self, lhs: SSAValue, rhs: SSAValue) -> SSAValue:
        return self._pick(arith.DivfOp, arith.DivSIOp, lhs, rhs)

    def floordiv(self, lhs: SSAValue, rhs: SSAValue) -> SSAValue:
        """Integer (index) division rounding down, e.g. to unravel a linear index."""
        return self.emit(arith.FloorDivSIOp(lhs, rhs))

    def rem(self, lhs: SSAValue, rhs: SSAValue) -> SSAValue:
        return self.emit(arith.RemSIOp(lhs, rhs))

    def maximum(self, lhs: SSAValue, rhs: SSAValue) -> SSAValue:
        """numpy.maximum: NaN-propagating for floats."""
        return self._pick(arith.MaximumfOp, arith.MaxSIOp, lhs, rhs)

    def minimum(self, lhs: SSAValue, rhs: SSAValue) -> SSAValue:
        return self._pick(arith.MinimumfOp, arith.MinSIOp, lhs, rhs)

    def neg(self, value: SSAValue) -> SSAValue:
        if is_float_type(value.type):
            return self.emit(arith.NegfOp(value))
        return self.sub(self.constant(0, value.type), value)

    def compare(self, predicate: str, lhs: SSAValue, rhs: SSAValue) -> SSAValue:
        """`predicate` in eq, ne, lt, le, gt, ge; NaN compares unequal, as in numpy."""
        if is_float_type(lhs.type):
            name = "une" if predicate == "ne" else f"o{predicate}"
            return self.emit(arith.CmpfOp(lhs, rhs, name))
        name = predicate if predicate in ("eq", "ne") else f"s{predicate}"
        return self.emit(arith.CmpiOp(lhs, rhs, name))

    def select(self, condition: SSAValue, lhs: SSAValue, rhs: SSAValue) -> SSAValue:
        return self.emit(arith.SelectOp(condition, lhs, rhs))

    def math(self, op_type: type[Operation], *operands: SSAValue) -> SSAValue:
        """A `math` dialect op on float operands, e.g. `math(math.ExpOp, x)`."""
        return self.emit(op_type(*operands))

    def exp(self, value: SSAValue) -> SSAValue:
        return self.math(math.ExpOp, value)

    def cast(self, value: SSAValue, to_type: Attribute) -> SSAValue:
        """numpy `astype` semantics between f32/f16/bf16/i64/i32/i8/i1 values."""
        from_type = value.type
        if from_type == to_type:
            return value
        if to_type == BOOL_TYPE:
            return self.compare("ne", value, self.constant(0, from_type))
        if is_float_type(from_type) and is_float_type(to_type):
            if _float_width(to_type) == _float_width(from_type):  # f16 <-> bf16
                value, from_type = self.emit(arith.ExtFOp(value, f32)), f32
            if _float_width(to_type) > _float_width(from_type):
                return self.emit(arith.ExtFOp(value, to_type))
            return self.emit(arith.TruncFOp(value, to_type))
        if is_float_type(to_type):
            if from_type == BOOL_TYPE:
                return self.emit(arith.UIToFPOp(value, to_type))
            return self.emit(arith.SIToFPOp(value, to_type))
        assert isinstance(to_type, IntegerType)
        if is_float_type(from_type):
            return self.emit(arith.FPToSIOp(value, to_type))
        assert isinstance(from_type, IntegerType)
        if to_type.width.data < from_type.width.data:
            return self.emit(arith.TruncIOp(value, to_type))
        if from_type == BOOL_TYPE:
            return self.emit(arith.ExtUIOp(value, to_type))
        return self.emit(arith.ExtSIOp(value, to_type))

    # ----------------------------------------------------------- memory
    def load(self, buffer: Buffer, indices: Sequence[SSAValue]) -> SSAValue:
        """The element in its compute type (f16/bf16 widened to f32)."""
        value = self.emit(tir.LoadOp(buffer.value, list(indices)))
        return self.cast(value, compute_type(buffer.element_type))

    def store(
        self, value: SSAValue, buffer: Buffer, indices: Sequence[SSAValue]
    ) -> None:
        value = self.cast(value, buffer.element_type)
        self.builder.insert(tir.StoreOp(value, buffer.value, list(indices)))


def _float_width(value_type: Attribute) -> int:
    return 32 if isinstance(value_type, Float32Type) else 16


class KernelBuilder:
    """Builds one kernel function following the tir kernel convention."""

    def __init__(
        self, name: str, inputs: Sequence[TensorType], outputs: Sequence[TensorType]
    ):
        self.name = name
        tensors = [*inputs, *outputs]
        shape_vars = sorted(set().union(*(t.free_vars() for t in tensors)))
        arg_types: list[Attribute] = [IndexType()] * len(shape_vars)
        arg_types += [memref_of(t) for t in tensors]
        arg_attrs = [
            DictionaryAttr({"tir.shape_var": StringAttr(v)}) for v in shape_vars
        ]
        arg_attrs += [DictionaryAttr({"tir.dims": t.dims}) for t in tensors]
        self.func = func.FuncOp(
            name,
            FunctionType.from_lists(arg_types, []),
            visibility="private",
            arg_attrs=ArrayAttr(arg_attrs),
        )
        self.func.attributes["tir.kernel"] = UnitAttr()
        entry = self.func.body.block
        self.shape_vars = dict(zip(shape_vars, entry.args, strict=False))
        buffer_args = entry.args[len(shape_vars) :]
        for var, arg in self.shape_vars.items():
            arg.name_hint = var
        for index, arg in enumerate(buffer_args):
            kind, position = (
                ("in", index) if index < len(inputs) else ("out", index - len(inputs))
            )
            arg.name_hint = f"{kind}{position}"
        buffers = [
            Buffer(arg, t.shape, t.element_type)
            for arg, t in zip(buffer_args, tensors, strict=True)
        ]
        self.inputs = buffers[: len(inputs)]
        self.outputs = buffers[len(inputs) :]
        self._prologue = Emitter(Builder(InsertPoint.at_end(entry)))
        self._main = Block()
        self.emitter = Emitter(Builder(InsertPoint.at_end(self._main)))
        self._dim_values = SymValues(
            self._prologue.builder, self.shape_vars, IndexType()
        )
        self.zero = self.dim(SymExpr.of(0))
        self._block_count = 0
        self._scratch: list[Buffer] = []
        self._scratch_here: int | None = None
        """Inside `scratch_here`: how many scratch buffers were declared before."""

    # ----------------------------------------------------------- dims
    def dim(self, expr: SymExpr | int) -> SSAValue:
        """The index value of a symbolic dim, computed once in the prologue."""
        return self._dim_values.value(expr)

    # ----------------------------------------------------------- scratch
    def scratch(self, shape: Sequence[SymExpr], element_type: Attribute) -> Buffer:
        """A temporary buffer local to this kernel (e.g. row maxima of softmax),
        which the blocks built after it declare as written.  Allocated in the
        prologue, or where the kernel is being built inside `scratch_here`."""
        if self._scratch_here is not None:
            buffer = self.local(shape, element_type)
        else:
            tensor = TensorType(shape, element_type)
            dynamic = [self.dim(d) for d in tensor.shape if not d.is_constant]
            alloc = tir.AllocBufferOp(memref_of(tensor), dynamic)
            buffer = Buffer(self._prologue.emit(alloc), tensor.shape, element_type)
        self._scratch.append(buffer)
        return buffer

    def local(self, shape: Sequence[SymExpr], element_type: Attribute) -> Buffer:
        """A buffer allocated at the insertion point, not in the prologue, that
        no block declares unless told (`block_over`): a kernel that runs only
        under a run-time condition (a few rows of a symbolic count) sizes it
        for the case it serves, and allocates it only when it runs."""
        tensor = TensorType(shape, element_type)
        dynamic = [self.dim(d) for d in tensor.shape if not d.is_constant]
        value = self.emitter.emit(tir.AllocBufferOp(memref_of(tensor), dynamic))
        return Buffer(value, tensor.shape, element_type)

    @contextmanager
    def scratch_here(self) -> Iterator[None]:
        """Run a rule under a run-time condition: its `scratch` buffers are
        allocated where it is built (`local`), and only blocks built inside
        declare them (the buffers do not exist outside)."""
        saved, self._scratch_here = self._scratch_here, len(self._scratch)
        try:
            yield
        finally:
            del self._scratch[self._scratch_here :]
            self._scratch_here = saved

    # ----------------------------------------------------------- structure
    @contextmanager
    def _at(self, block: Block) -> Iterator[None]:
        saved = self.emitter
        assert block.last_op is not None
        self.emitter = Emitter(Builder(InsertPoint.before(block.last_op)))
        try:
            yield
        finally:
            self.emitter = saved

    @contextmanager
    def loops(
        self, extents: Sequence[SymExpr], parallel: int | None = None
    ) -> Iterator[list[SSAValue]]:
        """A loop nest over `extents`; the body is built inside the `with`.

        All loops are serial, except the one at position `parallel` (if given),
        which is a `parallel` loop: the caller guarantees that its iterations
        write disjoint memory and do not depend on each other.
        """
        with ExitStack() as stack:
            yield [
                stack.enter_context(
                    loop_over(self, self.dim(extent), parallel=position == parallel)
                )
                for position, extent in enumerate(extents)
            ]

    @contextmanager
    def block(
        self,
        name: str,
        spatial: Sequence[tuple[SSAValue, SymExpr]],
        reduce: Sequence[tuple[SSAValue, SymExpr]] = (),
    ) -> Iterator[list[SSAValue]]:
        """A tir.block over loop variables (binding, extent); yields its iter vars."""
        self._block_count += 1
        iter_vars = [
            tir.IterVar(kind, binding, self.dim(extent))
            for kind, pairs in (("spatial", spatial), ("reduce", reduce))
            for binding, extent in pairs
        ]
        op = tir.BlockOp(
            f"{name}{self._block_count}",
            iter_vars,
            reads=[b.value for b in self.inputs],
            writes=[b.value for b in (*self.outputs, *self._scratch)],
        )
        self.emitter.builder.insert(op)
        with self._at(op.body.block):
            yield list(op.iter_vars)

    # ----------------------------------------------------------- patterns
    def compute(
        self,
        out: Buffer,
        value_at: Callable[[Emitter, list[SSAValue]], SSAValue],
        name: str = "compute",
        parallel: bool = False,
    ) -> None:
        """out[i...] = value_at(i...) over the whole output.

        With `parallel=True`, the outermost loop whose extent is not provably 1
        runs on the thread pool: every iteration writes distinct elements of
        `out`, so the caller must ensure that `value_at` only reads (no stores)
        and that the kernel has no scratch buffer written concurrently.  The
        default is serial: schedules (tir-apply-schedule, the schedule tests)
        start from serial loops and refuse to split/fuse/parallelize a loop
        that is already parallel.
        """
        axis = parallel_axis(out.shape) if parallel and not self._scratch else None
        with (
            self.loops(out.shape, parallel=axis) as loop_vars,
            self.block(name, list(zip(loop_vars, out.shape, strict=True))) as ivs,
        ):
            self.emitter.store(value_at(self.emitter, ivs), out, ivs)

    def reduce(
        self,
        out: Buffer,
        reduce_extents: Sequence[SymExpr],
        init: Callable[[Emitter, list[SSAValue]], SSAValue],
        update: Callable[[Emitter, list[SSAValue], list[SSAValue], SSAValue], SSAValue],
        name: str = "reduce",
    ) -> None:
        """out[i] = init(i), then out[i] = update(i, r, out[i]) for every r.

        The init is its own block before the reduction loops (TVM's
        decompose_reduction form), so an empty reduction leaves the init value.
        """
        with self.loops(out.shape) as loop_vars:
            spatial = list(zip(loop_vars, out.shape, strict=True))
            with self.block(f"{name}_init", spatial) as ivs:
                self.emitter.store(init(self.emitter, ivs), out, ivs)
            with self.loops(reduce_extents) as reduce_vars:
                reduce = list(zip(reduce_vars, reduce_extents, strict=True))
                with self.block(f"{name}_update", spatial, reduce) as ivs:
                    e = self.emitter
                    s_ivs, r_ivs = ivs[: len(spatial)], ivs[len(spatial) :]
                    acc = e.load(out, s_ivs)
                    e.store(update(e, s_ivs, r_ivs, acc), out, s_ivs)

    def finish(self) -> func.FuncOp:
        entry = self.func.body.block
        for op in list(self._main.ops):
            op.detach()
            entry.add_op(op)
        entry.add_op(func.ReturnOp())
        return self.func


class LegalizeError(PassFailedException):
    """A graph op that has no kernel for its operand types."""


LegalizeRule = Callable[[Operation, KernelBuilder], None]
"""Fills a KernelBuilder for one op: reads its inputs, writes its outputs."""


def reduce_into(
    kb: KernelBuilder,
    out: Buffer,
    reduce_extents: Sequence[SymExpr],
    init: Callable[[Emitter, list[SSAValue]], SSAValue],
    update: Callable[[Emitter, list[SSAValue], list[SSAValue], SSAValue], SSAValue],
    finalize: Callable[[Emitter, SSAValue], SSAValue] | None = None,
    name: str = "reduce",
) -> None:
    """`kb.reduce` with an accumulator in the compute type and an optional final map.

    f16/bf16 outputs accumulate in an f32 scratch buffer, so that a sum does
    not round to 16 bits at every step; `finalize` maps each accumulated value
    to the stored one (e.g. divides by the element count for a mean).
    """
    acc_type = compute_type(out.element_type)
    acc = out if acc_type == out.element_type else kb.scratch(out.shape, acc_type)
    kb.reduce(acc, reduce_extents, init, update, name=name)
    if acc is out and finalize is None:
        return
    final = finalize if finalize is not None else (lambda e, value: value)
    kb.compute(out, lambda e, ivs: final(e, e.load(acc, ivs)), name=f"{name}_final")


def element_count(e: Emitter, kb: KernelBuilder, dims: Sequence[SymExpr]) -> SSAValue:
    """The product of `dims` as an f32 value (the divisor of a mean)."""
    count = e.emit(arith.IndexCastOp(kb.dim(product(dims)), IntegerType(64)))
    return e.cast(count, f32)


@contextmanager
def run_once_if(
    kb: KernelBuilder, extent: SymExpr, positive: bool = True
) -> Iterator[None]:
    """Build a body that runs once if `extent` >= 1 at run time (else if it is <= 0).

    tir has no `if`: the guard is a loop of min(max(extent, 0), 1) trips (one
    minus that when not `positive`), so the body stays plain tir.  Gathers use
    it so that an empty source is never read.
    """
    e = kb.emitter
    one = kb.dim(1)
    trips = e.minimum(e.maximum(kb.dim(extent), kb.zero), one)
    if not positive:
        trips = e.sub(one, trips)
    with loop_over(kb, trips):
        yield


def parallel_axis(extents: Sequence[SymExpr]) -> int | None:
    """The first of `extents` not provably 1 (the loop worth running in parallel)."""
    for position, extent in enumerate(extents):
        if not extent.provably_equal(1):
            return position
    return None


@contextmanager
def loop_over(
    kb: KernelBuilder, extent: SSAValue, parallel: bool = False
) -> Iterator[SSAValue]:
    """One loop over [0, extent) with a run-time extent (an index value, where
    `kb.loops` takes symbolic dims); yields the induction variable."""
    kind = tir.ForKind.PARALLEL if parallel else tir.ForKind.SERIAL
    loop = tir.ForOp(kb.zero, extent, kb.dim(1), kind)
    kb.emitter.builder.insert(loop)
    with kb._at(loop.body.block):  # pyright: ignore[reportPrivateUsage]
        yield loop.induction_var


@contextmanager
def block_over(
    kb: KernelBuilder,
    name: str,
    spatial: Sequence[tuple[SSAValue, SSAValue]],
    reads: Sequence[Buffer],
    writes: Sequence[Buffer],
    reduce: Sequence[tuple[SSAValue, SSAValue]] = (),
) -> Iterator[list[SSAValue]]:
    """A tir.block over (binding, extent) pairs with run-time extents, its
    accesses declared explicitly; yields the iteration variables."""
    iter_vars = [tir.IterVar("spatial", b, x) for b, x in spatial]
    iter_vars += [tir.IterVar("reduce", b, x) for b, x in reduce]
    op = tir.BlockOp(
        name,
        iter_vars,
        reads=[buffer.value for buffer in reads],
        writes=[buffer.value for buffer in writes],
    )
    kb.emitter.builder.insert(op)
    with kb._at(op.body.block):  # pyright: ignore[reportPrivateUsage]
        yield list(op.iter_vars)
