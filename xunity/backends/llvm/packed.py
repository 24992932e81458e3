# llvmlite's IR builder is untyped (its methods are made by decorators), so
# pyright infers None for every instruction it returns.
# pyright: reportArgumentType=false, reportAssignmentType=false
# pyright: reportReturnType=false, reportAttributeAccessIssue=false
"""Packed entry points: the apache-tvm-ffi C ABI in front of compiled functions.

    int32_t __tvm_ffi_<name>(void* self, const TVMFFIAny* args,
                             int32_t num_args, TVMFFIAny* result);

The wrapper is generated with llvmlite's IR builder into the module being
compiled, from a `PackedSignature` (what `cpu.packed_func` declares).  It
validates every argument before touching its data — argument count, tensor
type index, non-null data, CPU device, rank and dtype first, then every
dimension (constants, and shape variables bound from their first whole-dim
occurrence), then compact strides — and on the first failure formats a
message like `main: argument 2 (w): expected shape [1024, n] where n = 5,
got [1024, 7]` into the runtime's error buffer (`XUGetLastError`), raises it
as a ValueError through `TVMFFIErrorSetRaisedFromCStr` when tvm-ffi is loaded
(found with dlsym), and returns -1.

The checks are table-driven: the wrapper checks the argument count, then
calls the runtime's `XUCheckArguments` (runtime/argument_checks.py) with a
constant table of its inputs (ARG_TABLE_* and ARG_SPEC_* in xunity/ir/abi.py:
per input its message texts, rank, dtype and dims; per shape variable its
name and binding site), which does all of the above and writes the shape
variables and data pointers.  So a wrapper is O(1) code plus constant data
however many tensors it takes.  Dims that are compound expressions (`n*2`,
`ceildiv(n, 4)`) are left out of the table and checked here, inline, after
the call (so their failures are reported after the other arguments' strides).
It used to be straight-line code, about twenty checks per tensor, each with
its own error block: a model's entry takes hundreds of weights, and
SmolLM2's `step` wrappers were 115,000 lines of LLVM IR each (230k of the
module's 288k).  Table-driven they are 1,500 lines and a cold
`xunity.llm.model.load` went from 60 s to 32 s: building the wrappers with
llvmlite 3.5 s -> 0.1 s, O3 plus code generation of the module 35 s -> 9 s.

The last `num_results` arguments (`cpu.packed_func ... returns N`) are
results: the caller does not pass them.  The
wrapper allocates each with `XUTensorCreate` (its shape evaluated from the
bound shape variables), calls the wrapped function, and returns the one
result as a `kTVMFFITensor` object, or several as a `kTVMFFIArray` of them,
in `*result` (the caller owns that reference).  When an allocation fails it
releases what it made and returns -1 with a message.  Other arguments are
inputs (or, in destination passing, caller-allocated outputs).

Only then does it call the wrapped function with the shape variables (sorted
by name) and each tensor's data pointer (plus byte_offset).

Wrappers are `noinline optnone`: LLVM compiles them at -O0.  O3 has nothing
to improve in them (every value comes through memory the checker writes)
and they run once per call; -O0 still compiles a 300-tensor wrapper in 17 ms
rather than 24 ms.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from llvmlite import ir
from xdsl.dialects.builtin import BFloat16Type, Float16Type, Float32Type, IntegerType
from xdsl.ir import Attribute

from xunity.backends.llvm.runtime import declare_runtime, libc
from xunity.ir.abi import (
    ANY_BYTES,
    ANY_TYPE_INDEX,
    ANY_VALUE,
    ARG_DIM_CONSTANT,
    ARG_DIM_SKIP,
    ARG_DIM_VARIABLE,
    DL_BFLOAT,
    DL_BOOL,
    DL_FLOAT,
    DL_INT,
    DLTENSOR_DATA,
    DLTENSOR_SHAPE,
    ERROR_BUFFER_SIZE,
    PACKED_FAILED,
    TENSOR_DLTENSOR,
    TVM_FFI_ARRAY,
    TVM_FFI_DLTENSOR_PTR,
    TVM_FFI_SET_RAISED,
    TVM_FFI_TENSOR,
    dlpack_dtype_word,
    packed_symbol,
)
from xunity.ir.symbolic import SymExpr, Var

_I8, _I16, _I32, _I64 = ir.IntType(8), ir.IntType(16), ir.IntType(32), ir.IntType(64)
_PTR = _I8.as_pointer()


def dlpack_dtype(element_type: Attribute) -> tuple[int, int, str]:
    """(DLPack type code, bits, name) of a graph element type."""
    if isinstance(element_type, Float32Type):
        return DL_FLOAT, 32, "float32"
    if isinstance(element_type, Float16Type):
        return DL_FLOAT, 16, "float16"
    if isinstance(element_type, BFloat16Type):
        return DL_BFLOAT, 16, "bfloat16"
    if isinstance(element_type, IntegerType):
        width = element_type.width.data
        if width == 1:
            return DL_BOOL, 8, "bool"
        if width in (8, 32, 64) and element_type.signedness.data.name == "SIGNLESS":
            return DL_INT, width, f"int{width}"
    raise ValueError(f"no DLPack dtype for element type {element_type}")


@dataclass(frozen=True)
class PackedArg:
    name: str
    element_type: Attribute
    shape: tuple[SymExpr, ...]

    def shape_text(self) -> str:
        return "[" + ", ".join(str(d) for d in self.shape) + "]"


@dataclass(frozen=True)
class PackedSignature:
    """A packed function: public name, wrapped function, tensor arguments."""

    name: str
    callee: str
    args: tuple[PackedArg, ...]
    num_results: int = 0
    """The last `num_results` args are allocated and returned by the wrapper."""

    @property
    def inputs(self) -> tuple[PackedArg, ...]:
        """The tensors the caller passes."""
        return self.args[: len(self.args) - self.num_results]

    @property
    def results(self) -> tuple[PackedArg, ...]:
        """The tensors the wrapper allocates and returns."""
        return self.args[len(self.args) - self.num_results :]

    @property
    def shape_vars(self) -> list[str]:
        names: set[str] = set()
        for arg in self.args:
            for dim in arg.shape:
                names |= dim.free_vars()
        return sorted(names)

    def binding_sites(self) -> dict[str, tuple[int, int]]:
        """Where each shape variable is read: its first whole-dim occurrence."""
        sites: dict[str, tuple[int, int]] = {}
        for index, arg in enumerate(self.inputs):
            for axis, dim in enumerate(arg.shape):
                for var in dim.free_vars():
                    if dim == SymExpr.of(var):
                        sites.setdefault(var, (index, axis))
        unbound = set(self.shape_vars) - set(sites)
        if unbound:
            raise ValueError(
                f"{self.name}: shape variables {sorted(unbound)} never appear as a "
                "whole dimension of an argument, so they cannot be bound"
            )
        return sites


ARG_SPEC = ir.LiteralStructType(
    [_PTR, _PTR, _PTR, _I64.as_pointer(), _I32.as_pointer(), _I32, _I32, _I32, _I32]
)
"""ArgSpec: ARG_SPEC_* of xunity/ir/abi.py (prefix, shape text, dtype name,
dims, where, ndim, dtype, num_where, padding)."""

ARG_TABLE = ir.LiteralStructType(
    [_I32, _I32, ARG_SPEC.as_pointer(), _I32.as_pointer(), _PTR.as_pointer()]
)
"""ArgTable: ARG_TABLE_* of xunity/ir/abi.py (count, num_vars, specs,
bindings, var_names)."""


def _table_dim(dim: SymExpr, variables: list[str]) -> tuple[int, int]:
    """A dim as its ArgSpec entry: (ARG_DIM_* kind, value)."""
    constant = dim.constant_value()
    if constant is not None:
        return ARG_DIM_CONSTANT, constant
    for var in dim.free_vars():
        if dim == SymExpr.of(var):
            return ARG_DIM_VARIABLE, variables.index(var)
    return ARG_DIM_SKIP, 0


class _WrapperBuilder:
    """Emits one packed wrapper: a call of XUCheckArguments with its table,
    then the checks of compound dims and the results' allocations, each
    failure branching to its own error block."""

    def __init__(
        self, module: ir.Module, signature: PackedSignature, callee: ir.Function
    ):
        self.module = module
        self.sig = signature
        self.callee = callee
        fn_type = ir.FunctionType(_I32, [_PTR, _PTR, _I32, _PTR])
        self.fn = ir.Function(module, fn_type, name=packed_symbol(signature.name))
        self.fn.attributes.add("noinline")
        self.fn.attributes.add("optnone")
        self.fn.args[0].name = "self"
        self.fn.args[1].name = "args"
        self.fn.args[2].name = "num_args"
        self.fn.args[3].name = "result"
        self.b = ir.IRBuilder(self.fn.append_basic_block("entry"))
        self._strings: dict[str, ir.Constant] = {}

    # ----------------------------------------------------------- helpers
    def _cstring(self, text: str) -> ir.Constant:
        """A NUL-terminated constant, one per wrapper and text."""
        if text not in self._strings:
            data = bytearray(text.encode()) + b"\0"
            array_type = ir.ArrayType(_I8, len(data))
            name = f".str.{self.sig.name}.{len(self._strings) + 1}"
            var = ir.GlobalVariable(self.module, array_type, name=name)
            var.linkage = "private"
            var.global_constant = True
            var.initializer = ir.Constant(array_type, data)
            self._strings[text] = var.gep([_I32(0), _I32(0)])
        return self._strings[text]

    def _field(self, base: ir.Value, offset: int, value_type: ir.Type) -> ir.Value:
        address = self.b.gep(base, [_I64(offset)])
        return self.b.load(self.b.bitcast(address, value_type.as_pointer()))

    def _fail_unless(
        self,
        condition: ir.Value,
        fmt: str,
        values: Sequence[ir.Value],
        cleanup: Callable[[], None] | None = None,
    ) -> None:
        """If `condition` is false: run `cleanup`, format the message, return -1."""
        error = self.fn.append_basic_block("error")
        ok = self.fn.append_basic_block("ok")
        self.b.cbranch(condition, ok, error)
        self.b.position_at_end(error)
        if cleanup is not None:
            cleanup()
        buffer = self.b.call(declare_runtime(self.module, "XUErrorBuffer"), [])
        self.b.call(
            libc(self.module, "snprintf"),
            [buffer, _I64(ERROR_BUFFER_SIZE), self._cstring(fmt), *values],
        )
        self._raise_in_tvm_ffi(buffer)
        self.b.ret(_I32(PACKED_FAILED))
        self.b.position_at_end(ok)

    def _raise_in_tvm_ffi(self, message: ir.Value) -> None:
        """Also raise `message` as a ValueError through tvm-ffi, when it is
        loaded: a call of the module's one `xu_raise_in_tvm_ffi`, so that
        each of the wrappers' error paths stays one call."""
        raiser = self.module.globals.get(_RAISER)
        if not isinstance(raiser, ir.Function):
            raiser = _add_raiser(self.module)
        self.b.call(raiser, [message])

    def _prefix(self, index: int) -> str:
        arg = self.sig.inputs[index]
        return f"{self.sig.name}: argument {index} ({arg.name})"

    # ----------------------------------------------------------- checks
    def build(self) -> None:
        b, sig = self.b, self.sig
        count = len(sig.inputs)
        variables = sig.shape_vars
        shape_vars = b.alloca(_I64, size=_I32(max(len(variables), 1)), name="vars")
        pointers = b.alloca(_PTR, size=_I32(max(count, 1)), name="data")
        self._fail_unless(
            b.icmp_signed("==", self.fn.args[2], _I32(count)),
            f"{sig.name}: expected {count} arguments, got %d",
            [self.fn.args[2]],
        )
        check = declare_runtime(self.module, "XUCheckArguments")
        status = b.call(check, [self._table(), self.fn.args[1], shape_vars, pointers])
        failed = self.fn.append_basic_block("arguments_failed")
        checked = self.fn.append_basic_block("arguments_checked")
        b.cbranch(b.icmp_signed("==", status, _I32(0)), checked, failed)
        b.position_at_end(failed)
        self._raise_in_tvm_ffi(
            b.call(declare_runtime(self.module, "XUErrorBuffer"), [])
        )
        b.ret(_I32(PACKED_FAILED))
        b.position_at_end(checked)
        values = {
            var: b.load(b.gep(shape_vars, [_I64(k)]), name=var)
            for k, var in enumerate(variables)
        }
        for index, arg in enumerate(sig.inputs):
            if any(_table_dim(d, variables)[0] == ARG_DIM_SKIP for d in arg.shape):
                self._check_compound_dims(index, arg, values)
        data = [b.load(b.gep(pointers, [_I64(index)])) for index in range(count)]
        # Everything is allocated before the call: a failure wastes no work.
        objects: list[ir.Value] = []
        for index, arg in enumerate(sig.results):
            objects.append(self._new_result(index, arg, values, list(objects)))
        for obj in objects:
            tensor = b.gep(obj, [_I64(TENSOR_DLTENSOR)])
            data.append(self._field(tensor, DLTENSOR_DATA, _PTR))
        returned = self._package(objects) if objects else None
        b.call(self.callee, [values[v] for v in variables] + data)
        if returned is not None:
            self._store_result(*returned)
        b.ret(_I32(0))

    # ----------------------------------------------------------- the table
    def _table(self) -> ir.Constant:
        """The constant ArgTable of this wrapper's inputs (abi.py ARG_TABLE_*)."""
        sig = self.sig
        variables = sig.shape_vars
        sites = sig.binding_sites()
        specs = [
            self._spec(index, arg, variables) for index, arg in enumerate(sig.inputs)
        ]
        bindings = [_I32(n) for var in variables for n in sites[var]]
        names = [self._cstring(var) for var in variables]
        table = ir.Constant(
            ARG_TABLE,
            [
                _I32(len(specs)),
                _I32(len(variables)),
                self._array("specs", ARG_SPEC, specs),
                self._array("bindings", _I32, bindings),
                self._array("names", _PTR, names),
            ],
        )
        return self._global("table", ARG_TABLE, table).bitcast(_PTR)

    def _spec(self, index: int, arg: PackedArg, variables: list[str]) -> ir.Constant:
        """One ArgSpec: the texts of the argument's messages, its dims, its
        shape's variables (ascending indices: sorted by name), rank and dtype."""
        code, bits, dtype_name = dlpack_dtype(arg.element_type)
        dims = [_I64(n) for dim in arg.shape for n in _table_dim(dim, variables)]
        free = sorted(set().union(*(dim.free_vars() for dim in arg.shape)))
        where = [_I32(variables.index(var)) for var in free]
        return ir.Constant(
            ARG_SPEC,
            [
                self._cstring(self._prefix(index)),
                self._cstring(arg.shape_text()),
                self._cstring(dtype_name),
                self._array(f"dims.{index}", _I64, dims),
                self._array(f"where.{index}", _I32, where),
                _I32(len(arg.shape)),
                _I32(dlpack_dtype_word(code, bits)),
                _I32(len(where)),
                _I32(0),
            ],
        )

    def _array(self, what: str, item: ir.Type, items: list[ir.Constant]) -> ir.Constant:
        """A pointer to a constant array of `items` (NULL when there are none)."""
        if not items:
            return ir.Constant(item.as_pointer(), None)
        array_type = ir.ArrayType(item, len(items))
        array = self._global(what, array_type, ir.Constant(array_type, items))
        return array.gep([_I32(0), _I32(0)])

    def _global(
        self, what: str, value_type: ir.Type, value: ir.Constant
    ) -> ir.GlobalVariable:
        variable = ir.GlobalVariable(
            self.module, value_type, name=f".args.{self.sig.name}.{what}"
        )
        variable.linkage = "private"
        variable.global_constant = True
        variable.initializer = value
        return variable

    def _new_result(
        self,
        index: int,
        arg: PackedArg,
        values: dict[str, ir.Value],
        earlier: list[ir.Value],
    ) -> ir.Value:
        """A fresh tensor object for result `index`; on failure, release `earlier`."""
        b = self.b
        rank = len(arg.shape)
        with b.goto_entry_block():
            shape = b.alloca(_I64, size=_I32(max(rank, 1)), name=f"shape{index}")
        dims = [self._evaluate(dim, values) for dim in arg.shape]
        for axis, dim in enumerate(dims):
            b.store(dim, b.gep(shape, [_I64(axis)]))
        code, bits, dtype_name = dlpack_dtype(arg.element_type)
        dtype = _I32(dlpack_dtype_word(code, bits))
        create = declare_runtime(self.module, "XUTensorCreate")
        obj = b.call(create, [_I32(rank), shape, dtype])
        text, bound = self._shape_message(arg, values)
        self._fail_unless(
            b.icmp_unsigned("!=", obj, ir.Constant(_PTR, None)),
            f"{self.sig.name}: cannot allocate result {index}: {dtype_name} {text}",
            bound,
            cleanup=lambda: self._release(earlier),
        )
        return obj

    def _release(self, objects: Sequence[ir.Value]) -> None:
        decref = declare_runtime(self.module, "XUObjectDecRef")
        for obj in objects:
            self.b.call(decref, [obj])

    def _package(self, objects: list[ir.Value]) -> tuple[int, ir.Value]:
        """(type index, object) to return: the one tensor, or an array of them."""
        b = self.b
        if len(objects) == 1:
            return TVM_FFI_TENSOR, objects[0]
        with b.goto_entry_block():
            items = b.alloca(_PTR, size=_I32(len(objects)), name="results")
        for index, obj in enumerate(objects):
            b.store(obj, b.gep(items, [_I64(index)]))
        create = declare_runtime(self.module, "XUArrayCreate")
        array = b.call(create, [_I64(len(objects)), items])
        self._fail_unless(
            b.icmp_unsigned("!=", array, ir.Constant(_PTR, None)),
            f"{self.sig.name}: cannot allocate the array of {len(objects)} results",
            [],
            cleanup=lambda: self._release(objects),
        )
        return TVM_FFI_ARRAY, array

    def _store_result(self, type_index: int, value: ir.Value) -> None:
        """*result = value, as an FFI object of `type_index`."""
        b = self.b
        result = self.fn.args[3]
        b.store(_I32(type_index), b.bitcast(result, _I32.as_pointer()))
        padding = b.gep(result, [_I64(ANY_TYPE_INDEX + 4)])
        b.store(_I32(0), b.bitcast(padding, _I32.as_pointer()))
        b.store(value, b.bitcast(b.gep(result, [_I64(ANY_VALUE)]), _PTR.as_pointer()))

    def _check_compound_dims(
        self, index: int, arg: PackedArg, values: dict[str, ir.Value]
    ) -> None:
        """Check the shape of an argument with compound dims (`n*2`), which
        XUCheckArguments skips; the rest of its checks have passed."""
        b = self.b
        any_base = b.gep(self.fn.args[1], [_I64(index * ANY_BYTES)])
        type_index = self._field(any_base, ANY_TYPE_INDEX, _I32)
        is_ptr = b.icmp_signed("==", type_index, _I32(TVM_FFI_DLTENSOR_PTR))
        handle = self._field(any_base, ANY_VALUE, _PTR)
        tensor = b.select(is_ptr, handle, b.gep(handle, [_I64(TENSOR_DLTENSOR)]))
        shape = self._field(tensor, DLTENSOR_SHAPE, _I64.as_pointer())
        dims = [b.load(b.gep(shape, [_I64(axis)])) for axis in range(len(arg.shape))]
        self._check_shape(index, arg, dims, values)

    def _check_shape(
        self,
        index: int,
        arg: PackedArg,
        dims: list[ir.Value],
        values: dict[str, ir.Value],
    ) -> None:
        b = self.b
        ok: ir.Value = ir.Constant(ir.IntType(1), 1)
        for dim, actual in zip(arg.shape, dims, strict=True):
            expected = self._evaluate(dim, values)
            ok = b.and_(ok, b.icmp_signed("==", actual, expected))
        shape, bound = self._shape_message(arg, values)
        got = "[" + ", ".join("%lld" for _ in dims) + "]"
        self._fail_unless(
            ok,
            f"{self._prefix(index)}: expected shape {shape}, got {got}",
            bound + dims,
        )

    def _shape_message(
        self, arg: PackedArg, values: dict[str, ir.Value]
    ) -> tuple[str, list[ir.Value]]:
        """`[n, 4] where n = %lld` and the values its placeholders print."""
        variables = sorted(set().union(*(d.free_vars() for d in arg.shape)))
        where = ""
        if variables:
            where = " where " + ", ".join(f"{v} = %lld" for v in variables)
        return arg.shape_text() + where, [values[v] for v in variables]

    def _evaluate(self, expr: SymExpr, values: dict[str, ir.Value]) -> ir.Value:
        """An i64 value of `expr` from the bound shape variables."""
        b = self.b
        total: ir.Value = _I64(0)
        for monomial, coefficient in expr.terms:
            term: ir.Value = _I64(coefficient)
            for atom in monomial:
                if isinstance(atom, Var):
                    factor = values[atom.name]
                else:
                    numerator = self._evaluate(atom.numerator, values)
                    factor = self._divide(atom.kind, numerator, atom.divisor)
                term = b.mul(term, factor)
            total = b.add(total, term)
        return total

    def _divide(self, kind: str, value: ir.Value, divisor: int) -> ir.Value:
        b = self.b
        d = _I64(divisor)
        if kind == "mod":
            rem = b.srem(value, d)
            return b.select(b.icmp_signed("<", rem, _I64(0)), b.add(rem, d), rem)
        if kind == "ceildiv":
            value = b.add(value, _I64(divisor - 1))
        quotient = b.sdiv(value, d)
        # sdiv truncates; floor for negative numerators
        needs_fix = b.and_(
            b.icmp_signed("<", value, _I64(0)),
            b.icmp_signed("!=", b.mul(quotient, d), value),
        )
        return b.select(needs_fix, b.sub(quotient, _I64(1)), quotient)


_RAISER = "xu_raise_in_tvm_ffi"


def _add_raiser(module: ir.Module) -> ir.Function:
    """void xu_raise_in_tvm_ffi(i8* message): raise `message` as a ValueError
    through tvm-ffi when it is loaded.

    The setter is looked up when an error happens, with
    `dlsym(RTLD_DEFAULT, ...)`, not bound as an extern_weak symbol: a weak
    symbol is bound once when the library loads, so a library loaded before
    tvm_ffi would fail tvm-ffi calls without raising (tvm-ffi then crashes).
    Without libtvm_ffi the lookup is null and the call skipped, so JIT code
    and C hosts need nothing from tvm-ffi.
    """
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [_PTR]), _RAISER)
    fn.linkage = "internal"
    fn.attributes.add("noinline")
    fn.attributes.add("cold")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    dlsym = module.globals.get("dlsym")
    if not isinstance(dlsym, ir.Function):
        dlsym = ir.Function(module, ir.FunctionType(_PTR, [_PTR, _PTR]), "dlsym")
    rtld_default = ir.Constant(_PTR, None)
    setter = b.call(
        dlsym, [rtld_default, _module_string(module, b, TVM_FFI_SET_RAISED)]
    )
    with b.if_then(b.icmp_unsigned("!=", setter, ir.Constant(_PTR, None))):
        setter_type = ir.FunctionType(ir.VoidType(), [_PTR, _PTR])
        function = b.bitcast(setter, setter_type.as_pointer())
        b.call(function, [_module_string(module, b, "ValueError"), fn.args[0]])
    b.ret_void()
    return fn


def _module_string(module: ir.Module, b: ir.IRBuilder, text: str) -> ir.Value:
    """A private NUL-terminated constant, one per module and text."""
    name = f".str.xunity.{text}"
    variable = module.globals.get(name)
    if not isinstance(variable, ir.GlobalVariable):
        data = bytearray(text.encode()) + b"\0"
        variable = ir.GlobalVariable(module, ir.ArrayType(_I8, len(data)), name)
        variable.linkage = "private"
        variable.global_constant = True
        variable.initializer = ir.Constant(variable.value_type, data)
    return b.bitcast(variable, _PTR)


def add_packed_function(module: ir.Module, signature: PackedSignature) -> None:
    """Add `__tvm_ffi_<name>` wrapping `signature.callee` (already in `module`)."""
    callee = module.get_global(signature.callee)
    if not isinstance(callee, ir.Function):
        raise ValueError(
            f"{signature.name}: wrapped function {signature.callee} is missing"
        )
    _WrapperBuilder(module, signature, callee).build()
