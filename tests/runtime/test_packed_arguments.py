"""Packed entry points reject bad arguments with a message, never a crash.

The wrapped function here is hand-written llvm dialect, so these tests pin
down the wrapper and the Python call path on their own; the same checks in
front of compiled graph functions are exercised in tests/api.  `->` names
mark the results a wrapper allocates and returns.  The wrappers check their
inputs with the runtime's XUCheckArguments over a constant table, except for
compound dims (`2 * m`), which they check themselves.
"""

import ctypes
from pathlib import Path

import llvmlite.binding as llvm
import numpy as np
import pytest

from xunity.backends.llvm.emit import emit_llvm_ir
from xunity.backends.llvm.jit import JitEngine
from xunity.backends.llvm.packed import ARG_SPEC, ARG_TABLE
from xunity.backends.llvm.runtime import runtime_ir
from xunity.dialects.context import make_context
from xunity.dialects.graph.types import TensorType
from xunity.ir import abi
from xunity.ir.diagnostics import parse_module
from xunity.runtime.executable import (
    Executable,
    PackedFunction,
    Signature,
    XunityError,
)

# y = 2 * x over n * 4 floats, as `scale(x: f32[n, 4], w: f32[4, n], y: f32[n, 4])`
MODULE = """
llvm.func @scale_impl(%n: i64, %x: !llvm.ptr, %w: !llvm.ptr, %y: !llvm.ptr) {
  %c0 = llvm.mlir.constant(0 : i64) : i64
  %c1 = llvm.mlir.constant(1 : i64) : i64
  %c4 = llvm.mlir.constant(4 : i64) : i64
  %m = llvm.mul %n, %c4 : i64
  llvm.br ^loop(%c0 : i64)
^loop(%i: i64):
  %done = llvm.icmp "sge" %i, %m : i64
  llvm.cond_br %done, ^exit, ^body
^body:
  %px = llvm.getelementptr %x[%i] : (!llvm.ptr, i64) -> !llvm.ptr, f32
  %py = llvm.getelementptr %y[%i] : (!llvm.ptr, i64) -> !llvm.ptr, f32
  %vx = llvm.load %px {alignment = 4 : i64} : !llvm.ptr -> f32
  %s = llvm.fadd %vx, %vx : f32
  llvm.store %s, %py {alignment = 4 : i64} : f32, !llvm.ptr
  %next = llvm.add %i, %c1 : i64
  llvm.br ^loop(%next : i64)
^exit:
  llvm.return
}
cpu.packed_func @scale wraps @scale_impl args = [
  #cpu.arg<"x", f32, [n, 4]>, #cpu.arg<"w", f32, [4, n]>, #cpu.arg<"y", f32, [n, 4]>
]
cpu.packed_func @returning wraps @scale_impl args = [
  #cpu.arg<"x", f32, [n, 4]>, #cpu.arg<"w", f32, [4, n]>, #cpu.arg<"y", f32, [n, 4]>
] returns 1
cpu.packed_func @returning_out wraps @scale_impl args = [
  #cpu.arg<"x", f32, [n, 4]>, #cpu.arg<"w", f32, [4, n]>, #cpu.arg<"y", f32, [n, 4]>
]
llvm.func @nothing_impl(%n: i64, %x: !llvm.ptr, %y: !llvm.ptr, %z: !llvm.ptr) {
  llvm.return
}
cpu.packed_func @too_big wraps @nothing_impl args = [
  #cpu.arg<"x", f32, [n]>, #cpu.arg<"y", f32, [n, 4]>,
  #cpu.arg<"z", f32, [n, 2305843009213693952]>
] returns 2
cpu.packed_func @too_big_out wraps @nothing_impl args = [
  #cpu.arg<"x", f32, [n]>, #cpu.arg<"y", f32, [n, 4]>,
  #cpu.arg<"z", f32, [n, 2305843009213693952]>
]
cpu.packed_func @compound wraps @nothing_impl args = [
  #cpu.arg<"x", f32, [4, 2 * m]>, #cpu.arg<"y", f32, [m]>, #cpu.arg<"z", f32, [m, 4]>
]
cpu.packed_func @long_name wraps @nothing_impl args = [
  #cpu.arg<"x", f32, [n]>, #cpu.arg<"LONG", f32, [n, 4]>, #cpu.arg<"z", f32, [n]>
]
"""
LONG_NAME = "y" * 960
"""Long enough that argument 1's shape message overflows the error buffer
in its `got` part."""

MANY = 120
"""Arguments of `many(a0: f32[n, 1], a1: f32[n, 2], ...)`, whose callee
stores i into a<i>[0]."""


def _many_module() -> str:
    params = ", ".join(f"%a{i}: !llvm.ptr" for i in range(MANY))
    stores = "".join(
        f"  %c{i} = llvm.mlir.constant({i}.0 : f32) : f32\n"
        f"  llvm.store %c{i}, %a{i} {{alignment = 4 : i64}} : f32, !llvm.ptr\n"
        for i in range(MANY)
    )
    args = ", ".join(f'#cpu.arg<"a{i}", f32, [n, {i + 1}]>' for i in range(MANY))
    return (
        f"llvm.func @many_impl(%n: i64, {params}) {{\n{stores}  llvm.return\n}}\n"
        f"cpu.packed_func @many wraps @many_impl args = [{args}]\n"
    )


def _type(text: str) -> TensorType:
    parsed = parse_module(make_context(), f'"test.op"() : () -> {text}').ops.first
    assert parsed is not None
    result = parsed.results[0].type
    assert isinstance(result, TensorType)
    return result


@pytest.fixture(scope="module")
def module(tmp_path_factory: pytest.TempPathFactory) -> Executable:
    engine = JitEngine(cache_dir=Path(tmp_path_factory.mktemp("cache")))
    engine.add(runtime_ir(engine.target.triple, engine.target.data_layout))
    text = MODULE.replace("LONG", LONG_NAME) + _many_module()
    engine.add(emit_llvm_ir(parse_module(make_context(), text)))
    x, w = _type("!graph.tensor<[n, 4], f32>"), _type("!graph.tensor<[4, n], f32>")
    big = _type("!graph.tensor<[n, 2305843009213693952], f32>")
    functions = {
        "scale": None,
        "returning": Signature((x, w), (x,)),
        "too_big": Signature((_type("!graph.tensor<[n], f32>"),), (x, big)),
        "compound": None,
        "long_name": None,
        "many": None,
    }
    return Executable(engine, functions)


@pytest.fixture(scope="module")
def scale(module: Executable) -> PackedFunction:
    return module["scale"]


def _f32(*shape: int) -> np.ndarray:
    return np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)


def test_good_arguments_run(scale: PackedFunction) -> None:
    x, y = _f32(3, 4), np.zeros((3, 4), np.float32)
    scale.call_packed(x, _f32(4, 3), y)
    np.testing.assert_array_equal(y, 2 * x)


def test_zero_size_tensors_run(scale: PackedFunction) -> None:
    scale.call_packed(_f32(0, 4), _f32(4, 0), np.zeros((0, 4), np.float32))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((_f32(3, 4), _f32(4, 3)), r"^scale: expected 3 arguments, got 2$"),
        (
            (_f32(3, 4), _f32(4, 3), np.zeros((3, 4), np.int32)),
            r"^scale: argument 2 \(y\): expected dtype float32, got DLPack code 0 "
            r"bits 32 lanes 1$",
        ),
        (
            (_f32(3, 4, 1), _f32(4, 3), _f32(3, 4)),
            r"^scale: argument 0 \(x\): expected rank 2 \[n, 4\], got rank 3$",
        ),
        (
            (_f32(3, 5), _f32(4, 3), _f32(3, 4)),
            r"^scale: argument 0 \(x\): expected shape \[n, 4\] where n = 3, "
            r"got \[3, 5\]$",
        ),
        (
            (_f32(3, 4), _f32(4, 7), _f32(3, 4)),
            r"^scale: argument 1 \(w\): expected shape \[4, n\] where n = 3, "
            r"got \[4, 7\]$",
        ),
        (
            (_f32(3, 4), "w", _f32(3, 4)),
            r"^scale: argument 1 \(w\): expected a tensor, got an FFI value of type "
            r"index 1$",
        ),
        (
            (_f32(3, 8)[:, ::2], _f32(4, 3), _f32(3, 4)),
            r"^scale: argument 0 \(x\): strides are not compact row-major \(axis 1 "
            r"has stride 2, expected 1\)$",
        ),
    ],
    ids=[
        "too-few",
        "dtype",
        "rank",
        "static-dim",
        "symbolic-dim",
        "not-a-tensor",
        "strides",
    ],
)
def test_bad_arguments_raise_with_the_native_message(
    scale: PackedFunction, args: tuple[object, ...], message: str
) -> None:
    with pytest.raises(XunityError, match=message):
        scale.call_packed(*args)


def test_an_error_does_not_touch_outputs(scale: PackedFunction) -> None:
    y = np.full((3, 4), 7.0, np.float32)
    with pytest.raises(XunityError):
        scale.call_packed(_f32(3, 4), _f32(4, 2), y)
    np.testing.assert_array_equal(y, np.full((3, 4), 7.0, np.float32))


# ------------------------------------------------------------ bound arguments
def test_bound_arguments_are_passed_with_the_free_ones(scale: PackedFunction) -> None:
    call = scale.bind(None, _f32(4, 3), None)
    for rows in (3, 3, 1):  # the bound export serves call after call
        x, y = _f32(rows, 4) + rows, np.zeros((rows, 4), np.float32)
        if rows == 1:
            with pytest.raises(XunityError, match="w"):
                call(x, y)  # the bound w fixes n = 3: checked like any argument
            continue
        call(x, y)
        np.testing.assert_array_equal(y, 2 * x)


def test_bound_calls_count_their_free_arguments(scale: PackedFunction) -> None:
    call = scale.bind(None, _f32(4, 3), None)
    with pytest.raises(TypeError, match="2 arguments expected besides the bound"):
        call(_f32(3, 4))


# ------------------------------------------------------------ returned results
def test_results_are_allocated_and_returned(module: Executable) -> None:
    x = _f32(3, 4)
    y = module["returning"](x, _f32(4, 3))
    assert isinstance(y, np.ndarray) and y.shape == (3, 4) and y.ctypes.data % 64 == 0
    np.testing.assert_array_equal(y, 2 * x)


def test_returning_entry_counts_only_inputs(module: Executable) -> None:
    x, w = _f32(3, 4), _f32(4, 3)
    with pytest.raises(XunityError, match=r"^returning: expected 2 arguments, got 3$"):
        module["returning"](x, w, np.zeros((3, 4), np.float32))
    y = np.zeros((3, 4), np.float32)
    module["returning"].call_packed(x, w, y)  # the destination-passing entry
    np.testing.assert_array_equal(y, 2 * x)


def test_failed_allocation_reports_and_releases_earlier_results(
    module: Executable,
) -> None:
    x = np.zeros(1 << 20, np.float32)  # y: 16 MB, z: impossible
    message = (
        r"^too_big: cannot allocate result 1: float32 "
        r"\[n, 2305843009213693952\] where n = 1048576$"
    )
    with pytest.raises(XunityError, match=message):
        module["too_big"](x)
    before = _virtual_bytes()
    for _ in range(100):  # 1.6 GB of address space if y leaked
        with pytest.raises(XunityError):
            module["too_big"](x)
    assert _virtual_bytes() - before < 256 << 20


def _virtual_bytes() -> int:
    return int(Path("/proc/self/statm").read_text().split()[0]) * 4096


# ------------------------------------------------------------ compound dims
def test_compound_dims_are_checked_by_the_wrapper(module: Executable) -> None:
    compound = module["compound"]
    compound.call_packed(_f32(4, 6), _f32(3), _f32(3, 4))
    with pytest.raises(
        XunityError,
        match=r"^compound: argument 0 \(x\): expected shape \[4, 2 \* m\] "
        r"where m = 3, got \[4, 7\]$",
    ):
        compound.call_packed(_f32(4, 7), _f32(3), _f32(3, 4))


def test_variables_are_bound_before_any_shape_is_checked(
    module: Executable,
) -> None:
    """x's constant dim fails in the table; its message shows m, which only
    a later argument binds."""
    with pytest.raises(
        XunityError,
        match=r"^compound: argument 0 \(x\): expected shape \[4, 2 \* m\] "
        r"where m = 3, got \[5, 6\]$",
    ):
        module["compound"].call_packed(_f32(5, 6), _f32(3), _f32(3, 4))


def test_compound_dims_are_checked_after_the_table(module: Executable) -> None:
    """Both x (compound dim) and z are wrong: z's failure comes first."""
    with pytest.raises(XunityError, match=r"^compound: argument 2 \(z\)"):
        module["compound"].call_packed(_f32(4, 7), _f32(3), _f32(3, 5))


# ------------------------------------------------------------ many arguments
def _many_args(n: int) -> list[np.ndarray]:
    return [np.full((n, i + 1), -1, np.float32) for i in range(MANY)]


def test_many_arguments_get_their_own_data(module: Executable) -> None:
    args = _many_args(2)
    module["many"].call_packed(*args)
    assert [a[0, 0] for a in args] == list(range(MANY))
    assert all((a.ravel()[1:] == -1).all() for a in args)


@pytest.mark.parametrize("index", [1, 77, MANY - 1])
def test_many_arguments_report_the_failing_one(module: Executable, index: int) -> None:
    args = _many_args(2)
    args[index] = _f32(2, index + 2)
    message = (
        rf"^many: argument {index} \(a{index}\): expected shape \[n, {index + 1}\] "
        rf"where n = 2, got \[2, {index + 2}\]$"
    )
    with pytest.raises(XunityError, match=message):
        module["many"].call_packed(*args)
    args[index] = np.zeros((2, 2 * index + 2), np.float32)[:, ::2]
    message = (
        rf"^many: argument {index} \(a{index}\): strides are not compact "
        r"row-major \(axis 1 has stride 2, expected 1\)$"
    )
    with pytest.raises(XunityError, match=message):
        module["many"].call_packed(*args)
    assert all((a == -1).all() for a in args if a.base is None)


# ------------------------------------------------------------ the table walk
def test_long_messages_are_truncated_to_the_error_buffer(module: Executable) -> None:
    full = (
        f"long_name: argument 1 ({LONG_NAME}): expected shape [n, 4] where n = 3, "
        "got [3, 5]"
    )
    assert len(full) > abi.ERROR_BUFFER_SIZE > full.index(", got")
    with pytest.raises(XunityError) as raised:
        module["long_name"].call_packed(_f32(3), _f32(3, 5), _f32(3))
    assert str(raised.value) == full[: abi.ERROR_BUFFER_SIZE - 1]


def test_size_one_and_empty_dims_may_have_any_stride(scale: PackedFunction) -> None:
    y = np.zeros((1, 4), np.float32)
    with pytest.raises(XunityError, match=r"axis 1 has stride 2, expected 1"):
        scale.call_packed(_f32(1, 8)[:, ::2], _f32(4, 1), y)
    x = _f32(3, 4)[::3]  # [1, 4]: axis 0 has stride 12
    w = np.lib.stride_tricks.as_strided(_f32(4, 1), (4, 1), (4, 20))
    scale.call_packed(x, w, y)
    np.testing.assert_array_equal(y, 2 * x)
    empty = np.zeros((0, 8), np.float32)[:, ::2]
    scale.call_packed(empty, _f32(4, 0), np.zeros((0, 4), np.float32))


class _DLTensor(ctypes.Structure):
    _fields_ = [
        ("data", ctypes.c_void_p),
        ("device_type", ctypes.c_int32),
        ("device_id", ctypes.c_int32),
        ("ndim", ctypes.c_int32),
        ("dtype", ctypes.c_uint32),
        ("shape", ctypes.POINTER(ctypes.c_int64)),
        ("strides", ctypes.POINTER(ctypes.c_int64)),
        ("byte_offset", ctypes.c_uint64),
    ]


class _Any(ctypes.Structure):
    _fields_ = [
        ("type_index", ctypes.c_int32),
        ("padding", ctypes.c_uint32),
        ("value", ctypes.c_void_p),
    ]


def _raw_call(module: Executable, name: str, tensors: list[_DLTensor]) -> str:
    """Call `name`'s packed entry on hand-made DLTensors; its error or ""."""
    engine = module.engine
    assert isinstance(engine, JitEngine)
    call = ctypes.CFUNCTYPE(
        ctypes.c_int32,
        ctypes.c_void_p,
        ctypes.c_void_p,
        ctypes.c_int32,
        ctypes.c_void_p,
    )(engine.address(abi.packed_symbol(name)))
    anys = (_Any * len(tensors))(
        *(_Any(abi.TVM_FFI_DLTENSOR_PTR, 0, ctypes.addressof(t)) for t in tensors)
    )
    if call(None, anys, len(tensors), None) == 0:
        return ""
    last_error = ctypes.CFUNCTYPE(ctypes.c_char_p)(engine.address("XUGetLastError"))
    return last_error().decode()


def _dltensor(array: np.ndarray, keep: list[object], byte_offset: int = 0) -> _DLTensor:
    shape = (ctypes.c_int64 * array.ndim)(*array.shape)
    keep.append(shape)
    dtype = abi.dlpack_dtype_word(abi.DL_FLOAT, 32)
    data = array.ctypes.data - byte_offset
    return _DLTensor(data, abi.DL_CPU, 0, array.ndim, dtype, shape, None, byte_offset)


def test_null_data_and_other_devices_are_rejected(module: Executable) -> None:
    keep: list[object] = []
    x, w, y = _f32(3, 4), _f32(4, 3), np.zeros((3, 4), np.float32)
    tensors = [_dltensor(x, keep), _dltensor(w, keep), _dltensor(y, keep)]
    tensors[1].data = None
    assert _raw_call(module, "scale", tensors) == (
        "scale: argument 1 (w): data pointer is null"
    )
    tensors[1] = _dltensor(w, keep)
    tensors[2].device_type = 2
    assert _raw_call(module, "scale", tensors) == (
        "scale: argument 2 (y): expected a CPU tensor, got device type 2"
    )


def test_byte_offset_is_added_to_the_data_pointer(module: Executable) -> None:
    keep: list[object] = []
    x, y = _f32(3, 4) + 1, np.zeros((3, 4), np.float32)
    tensors = [_dltensor(x, keep, 48), _dltensor(_f32(4, 3), keep, 8)]
    assert _raw_call(module, "scale", [*tensors, _dltensor(y, keep, 16)]) == ""
    np.testing.assert_array_equal(y, 2 * x)


def test_table_layouts_match_abi(module: Executable) -> None:
    engine = module.engine
    assert isinstance(engine, JitEngine)
    data = llvm.create_target_data(engine.target.data_layout)
    spec = [ARG_SPEC.get_element_offset(data, i) for i in range(9)]
    assert spec[:8] == [
        abi.ARG_SPEC_PREFIX,
        abi.ARG_SPEC_SHAPE_TEXT,
        abi.ARG_SPEC_DTYPE_NAME,
        abi.ARG_SPEC_DIMS,
        abi.ARG_SPEC_WHERE,
        abi.ARG_SPEC_NDIM,
        abi.ARG_SPEC_DTYPE,
        abi.ARG_SPEC_NUM_WHERE,
    ]
    assert ARG_SPEC.get_abi_size(data) == abi.ARG_SPEC_BYTES
    table = [ARG_TABLE.get_element_offset(data, i) for i in range(5)]
    assert table == [
        abi.ARG_TABLE_COUNT,
        abi.ARG_TABLE_NUM_VARS,
        abi.ARG_TABLE_SPECS,
        abi.ARG_TABLE_BINDINGS,
        abi.ARG_TABLE_VAR_NAMES,
    ]
    assert ARG_TABLE.get_abi_size(data) == abi.ARG_TABLE_BYTES
