# llvmlite's IR builder is untyped (its methods are made by decorators), so
# pyright infers None for every instruction it returns.
# pyright: reportArgumentType=false, reportAssignmentType=false
# pyright: reportReturnType=false, reportAttributeAccessIssue=false
"""XUCheckArguments: a packed wrapper's argument checks, as a walk of its table.

    int32_t XUCheckArguments(const ArgTable* table, const TVMFFIAny* args,
                             int64_t* shape_vars, void** data)

Every packed wrapper (backends/llvm/packed.py) describes its inputs in a
constant table (ARG_TABLE_* and ARG_SPEC_* in xunity/ir/abi.py) and calls
this, so that a wrapper is a call and constant data however many tensors it
takes.  In order, and stopping at the first failure:

1. each argument: a tensor (a DLTensor* or a Tensor object), non-null data,
   on the CPU, of the expected rank and dtype;
2. each shape variable: read from its binding site (its first whole-dim
   occurrence) into `shape_vars`;
3. each argument's shape: constant dims and plain-variable dims (compound
   ones, like `n*2`, are ARG_DIM_SKIP: the wrapper checks them after this);
4. each argument's strides: NULL, or compact row-major, where size-1 dims
   may have any stride and a tensor with a 0 dim is not checked;
5. each argument's data pointer plus byte_offset, into `data`.

On success it returns 0; on a failure it formats the message into the
thread's error buffer (`XUErrorBuffer`) and returns PACKED_FAILED, like
`main: argument 0 (x): expected shape [n, 16] where n = 3, got [3, 15]`,
where the table spells the argument, its shape and dtype, and the `where`
clause lists the variables of that argument's shape with their values.
"""

from __future__ import annotations

from collections.abc import Sequence

from llvmlite import ir

from xunity.backends.llvm.runtime.builder import (
    I1,
    I32,
    I64,
    NULL,
    PTR,
    RuntimeBuilder,
)
from xunity.ir.abi import (
    ANY_BYTES,
    ANY_TYPE_INDEX,
    ANY_VALUE,
    ARG_DIM_BYTES,
    ARG_DIM_CONSTANT,
    ARG_DIM_VARIABLE,
    ARG_SPEC_BYTES,
    ARG_SPEC_DIMS,
    ARG_SPEC_DTYPE,
    ARG_SPEC_DTYPE_NAME,
    ARG_SPEC_NDIM,
    ARG_SPEC_NUM_WHERE,
    ARG_SPEC_PREFIX,
    ARG_SPEC_SHAPE_TEXT,
    ARG_SPEC_WHERE,
    ARG_TABLE_BINDINGS,
    ARG_TABLE_COUNT,
    ARG_TABLE_NUM_VARS,
    ARG_TABLE_SPECS,
    ARG_TABLE_VAR_NAMES,
    DL_CPU,
    DLTENSOR_BYTE_OFFSET,
    DLTENSOR_DATA,
    DLTENSOR_DEVICE,
    DLTENSOR_DTYPE,
    DLTENSOR_NDIM,
    DLTENSOR_SHAPE,
    DLTENSOR_STRIDES,
    ERROR_BUFFER_SIZE,
    PACKED_FAILED,
    TENSOR_DLTENSOR,
    TVM_FFI_DLTENSOR_PTR,
    TVM_FFI_TENSOR,
)

_I64_PTR = I64.as_pointer()
_I32_PTR = I32.as_pointer()


class _Checker:
    """Builds XUCheckArguments: its loops, and one failure block per message."""

    def __init__(self, rt: RuntimeBuilder):
        self.rt = rt
        self.fn, self.b = rt.start("XUCheckArguments")
        table, self.args, self.shape_vars, self.data = self.fn.args
        b = self.b
        self.count = b.sext(self.load(table, ARG_TABLE_COUNT, I32), I64)
        self.num_vars = b.sext(self.load(table, ARG_TABLE_NUM_VARS, I32), I64)
        self.specs = self.load(table, ARG_TABLE_SPECS, PTR)
        self.bindings = self.load(table, ARG_TABLE_BINDINGS, _I32_PTR)
        self.var_names = self.load(table, ARG_TABLE_VAR_NAMES, PTR.as_pointer())
        self._formats: dict[str, ir.Value] = {}

    # ------------------------------------------------------------ helpers
    def load(self, base: ir.Value, offset: int | ir.Value, type: ir.Type) -> ir.Value:
        return self.b.load(self.rt.field(self.b, base, offset, type))

    def format(self, text: str) -> ir.Value:
        """A constant format string of the runtime, one per text."""
        if text not in self._formats:
            name = f"xu_check_format_{len(self._formats)}"
            self._formats[text] = self.rt.string(name, text)
        return self._formats[text]

    def spec(self, i: ir.Value) -> ir.Value:
        return self.b.gep(self.specs, [self.b.mul(i, I64(ARG_SPEC_BYTES))])

    def spec_field(self, i: ir.Value, offset: int, type: ir.Type) -> ir.Value:
        return self.load(self.spec(i), offset, type)

    def tensor(self, i: ir.Value) -> ir.Value:
        """The DLTensor of argument `i`, whose type index phase 1 checked."""
        b = self.b
        any_base = b.gep(self.args, [b.mul(i, I64(ANY_BYTES))])
        is_ptr = self.is_type(any_base, TVM_FFI_DLTENSOR_PTR)
        handle = self.load(any_base, ANY_VALUE, PTR)
        return b.select(is_ptr, handle, b.gep(handle, [I64(TENSOR_DLTENSOR)]))

    def is_type(self, any_base: ir.Value, type_index: int) -> ir.Value:
        actual = self.load(any_base, ANY_TYPE_INDEX, I32)
        return self.b.icmp_signed("==", actual, I32(type_index))

    def ndim(self, tensor: ir.Value) -> ir.Value:
        return self.b.sext(self.load(tensor, DLTENSOR_NDIM, I32), I64)

    def fail_unless(
        self, ok: ir.Value, name: str, text: str, values: Sequence[ir.Value]
    ) -> None:
        """If not `ok`: one snprintf of `text` into the error buffer, return -1."""
        fail = self.fn.append_basic_block(f"fail_{name}")
        self.rt.check(self.fn, self.b, self.b.not_(ok), fail, f"{name}_ok")
        here = self.b.block
        self.b.position_at_end(fail)
        message = _Message(self, self.b)
        message.append(text, values)
        self.b.ret(I32(PACKED_FAILED))
        self.b.position_at_end(here)

    # ------------------------------------------------------------ phases
    def build(self) -> None:
        self.check_tensors()
        self.bind_variables()
        self.check_shapes()
        self.check_strides()
        self.write_data()
        self.b.ret(I32(0))

    def check_tensors(self) -> None:
        """Phase 1: type index, data, device, rank and dtype of every argument."""
        b = self.b
        i = self.rt.counted_loop(self.fn, b, self.count, "tensors")
        prefix = self.spec_field(i, ARG_SPEC_PREFIX, PTR)
        any_base = b.gep(self.args, [b.mul(i, I64(ANY_BYTES))])
        type_index = self.load(any_base, ANY_TYPE_INDEX, I32)
        is_ptr = self.is_type(any_base, TVM_FFI_DLTENSOR_PTR)
        is_object = self.is_type(any_base, TVM_FFI_TENSOR)
        self.fail_unless(
            b.or_(is_ptr, is_object),
            "type_index",
            "%s: expected a tensor, got an FFI value of type index %d",
            [prefix, type_index],
        )
        tensor = self.tensor(i)
        data = self.load(tensor, DLTENSOR_DATA, PTR)
        self.fail_unless(
            b.icmp_unsigned("!=", data, NULL),
            "data",
            "%s: data pointer is null",
            [prefix],
        )
        device = self.load(tensor, DLTENSOR_DEVICE, I32)
        self.fail_unless(
            b.icmp_signed("==", device, I32(DL_CPU)),
            "device",
            "%s: expected a CPU tensor, got device type %d",
            [prefix, device],
        )
        ndim = self.load(tensor, DLTENSOR_NDIM, I32)
        rank = self.spec_field(i, ARG_SPEC_NDIM, I32)
        shape_text = self.spec_field(i, ARG_SPEC_SHAPE_TEXT, PTR)
        self.fail_unless(
            b.icmp_signed("==", ndim, rank),
            "rank",
            "%s: expected rank %d %s, got rank %d",
            [prefix, rank, shape_text, ndim],
        )
        dtype = self.load(tensor, DLTENSOR_DTYPE, I32)
        expected = self.spec_field(i, ARG_SPEC_DTYPE, I32)
        self.fail_unless(
            b.icmp_unsigned("==", dtype, expected),
            "dtype",
            "%s: expected dtype %s, got DLPack code %d bits %d lanes %d",
            [
                prefix,
                self.spec_field(i, ARG_SPEC_DTYPE_NAME, PTR),
                b.and_(dtype, I32(0xFF)),
                b.and_(b.lshr(dtype, I32(8)), I32(0xFF)),
                b.lshr(dtype, I32(16)),
            ],
        )
        self.rt.next_iteration(b, "tensors")

    def bind_variables(self) -> None:
        """Phase 2: shape_vars[k] = the dim at variable k's binding site."""
        b = self.b
        k = self.rt.counted_loop(self.fn, b, self.num_vars, "bindings")
        site = b.mul(k, I64(2))
        argument = b.sext(b.load(b.gep(self.bindings, [site])), I64)
        axis = b.sext(b.load(b.gep(self.bindings, [b.add(site, I64(1))])), I64)
        shape = self.load(self.tensor(argument), DLTENSOR_SHAPE, _I64_PTR)
        b.store(b.load(b.gep(shape, [axis])), b.gep(self.shape_vars, [k]))
        self.rt.next_iteration(b, "bindings")

    def check_shapes(self) -> None:
        """Phase 3: every constant and plain-variable dim of every argument."""
        b, fn = self.b, self.fn
        i = self.rt.counted_loop(fn, b, self.count, "shapes")
        shape = self.load(self.tensor(i), DLTENSOR_SHAPE, _I64_PTR)
        ndim = b.sext(self.spec_field(i, ARG_SPEC_NDIM, I32), I64)
        dims = self.spec_field(i, ARG_SPEC_DIMS, _I64_PTR)
        fail = fn.append_basic_block("fail_shape")
        axis = self.rt.counted_loop(fn, b, ndim, "dims")
        entry = b.gep(dims, [b.mul(axis, I64(ARG_DIM_BYTES // 8))])
        kind = b.load(entry)
        value = b.load(b.gep(entry, [I64(1)]))
        actual = b.load(b.gep(shape, [axis]))
        variable = fn.append_basic_block("variable_dim")
        other = fn.append_basic_block("other_dim")
        compared = fn.append_basic_block("compared")
        b.cbranch(b.icmp_signed("==", kind, I64(ARG_DIM_VARIABLE)), variable, other)
        b.position_at_end(variable)
        bound = b.load(b.gep(self.shape_vars, [value]))
        differs_from_variable = b.icmp_signed("!=", actual, bound)
        b.branch(compared)
        b.position_at_end(other)
        differs_from_constant = b.and_(
            b.icmp_signed("==", kind, I64(ARG_DIM_CONSTANT)),
            b.icmp_signed("!=", actual, value),
        )
        b.branch(compared)
        b.position_at_end(compared)
        differs = b.phi(I1)
        differs.add_incoming(differs_from_variable, variable)
        differs.add_incoming(differs_from_constant, other)
        self.rt.check(fn, b, differs, fail, "dim_ok")
        self.rt.next_iteration(b, "dims")
        self.rt.next_iteration(b, "shapes")
        done = b.block
        b.position_at_end(fail)
        self.shape_message(i, shape, ndim)
        b.position_at_end(done)

    def shape_message(self, i: ir.Value, shape: ir.Value, ndim: ir.Value) -> None:
        """`<prefix>: expected shape <text> where n = 3, got [3, 15]`; returns -1."""
        b, fn = self.b, self.fn
        message = _Message(self, b)
        message.append(
            "%s: expected shape %s",
            [
                self.spec_field(i, ARG_SPEC_PREFIX, PTR),
                self.spec_field(i, ARG_SPEC_SHAPE_TEXT, PTR),
            ],
        )
        where = self.spec_field(i, ARG_SPEC_WHERE, _I32_PTR)
        num_where = b.sext(self.spec_field(i, ARG_SPEC_NUM_WHERE, I32), I64)
        j = self.rt.counted_loop(fn, b, num_where, "where")
        k = b.sext(b.load(b.gep(where, [j])), I64)
        first = b.icmp_signed("==", j, I64(0))
        message.append(
            b.select(
                first, self.format(" where %s = %lld"), self.format(", %s = %lld")
            ),
            [b.load(b.gep(self.var_names, [k])), b.load(b.gep(self.shape_vars, [k]))],
        )
        self.rt.next_iteration(b, "where")
        message.append(", got [", [])
        axis = self.rt.counted_loop(fn, b, ndim, "got")
        first = b.icmp_signed("==", axis, I64(0))
        message.append(
            b.select(first, self.format("%lld"), self.format(", %lld")),
            [b.load(b.gep(shape, [axis]))],
        )
        self.rt.next_iteration(b, "got")
        message.append("]", [])
        b.ret(I32(PACKED_FAILED))

    def check_strides(self) -> None:
        """Phase 4: NULL or compact row-major strides, unless a dim is 0."""
        b, fn = self.b, self.fn
        i = self.rt.counted_loop(fn, b, self.count, "layouts")
        tensor = self.tensor(i)
        shape = self.load(tensor, DLTENSOR_SHAPE, _I64_PTR)
        strides = self.load(tensor, DLTENSOR_STRIDES, _I64_PTR)
        ndim = self.ndim(tensor)
        with b.goto_entry_block():
            skip = b.alloca(I1, name="skip")
            expected = b.alloca(I64, name="expected")
        b.store(b.icmp_unsigned("==", strides, ir.Constant(_I64_PTR, None)), skip)
        axis = self.rt.counted_loop(fn, b, ndim, "zero_dims")
        zero = b.icmp_signed("==", b.load(b.gep(shape, [axis])), I64(0))
        b.store(b.or_(b.load(skip), zero), skip)
        self.rt.next_iteration(b, "zero_dims")
        with b.if_then(b.not_(b.load(skip))):
            b.store(I64(1), expected)
            r = self.rt.counted_loop(fn, b, ndim, "strides")
            axis = b.sub(b.sub(ndim, I64(1)), r)  # innermost first
            stride = b.load(b.gep(strides, [axis]))
            dim = b.load(b.gep(shape, [axis]))
            want = b.load(expected)
            unit = b.icmp_signed("==", dim, I64(1))
            self.fail_unless(
                b.or_(unit, b.icmp_signed("==", stride, want)),
                "strides",
                "%s: strides are not compact row-major "
                "(axis %lld has stride %lld, expected %lld)",
                [self.spec_field(i, ARG_SPEC_PREFIX, PTR), axis, stride, want],
            )
            b.store(b.mul(want, dim), expected)
            self.rt.next_iteration(b, "strides")
        self.rt.next_iteration(b, "layouts")

    def write_data(self) -> None:
        """Phase 5: data[i] = the data pointer plus byte_offset."""
        b = self.b
        i = self.rt.counted_loop(self.fn, b, self.count, "data")
        tensor = self.tensor(i)
        base = self.load(tensor, DLTENSOR_DATA, PTR)
        offset = self.load(tensor, DLTENSOR_BYTE_OFFSET, I64)
        b.store(b.gep(base, [offset]), b.gep(self.data, [i]))
        self.rt.next_iteration(b, "data")


class _Message:
    """A message formatted piece by piece into the thread's error buffer."""

    def __init__(self, checker: _Checker, b: ir.IRBuilder):
        self.checker = checker
        self.b = b
        self.buffer = b.call(checker.rt.runtime("XUErrorBuffer"), [])
        with b.goto_entry_block():
            self.position = b.alloca(I64, name="written")
        b.store(I64(0), self.position)

    def append(self, text: str | ir.Value, values: Sequence[ir.Value]) -> None:
        """snprintf at the end of what is written, never past the buffer."""
        b = self.b
        fmt = self.checker.format(text) if isinstance(text, str) else text
        start = b.load(self.position)
        room = b.sub(I64(ERROR_BUFFER_SIZE), start)
        snprintf = self.checker.rt.libc("snprintf")
        written = b.sext(
            b.call(snprintf, [b.gep(self.buffer, [start]), room, fmt, *values]), I64
        )
        end = b.add(start, RuntimeBuilder.at_least(b, written, 0))
        self.b.store(
            RuntimeBuilder.smin(b, end, I64(ERROR_BUFFER_SIZE - 1)), self.position
        )


def add_argument_checks(rt: RuntimeBuilder) -> None:
    """XUCheckArguments (it formats into XUErrorBuffer, errors.py)."""
    _Checker(rt).build()
