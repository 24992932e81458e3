"""Packed entry points reject bad arguments with a message, never a crash.

The wrapped function here is hand-written llvm dialect, so these tests pin
down the wrapper and the Python call path on their own; the same checks in
front of compiled graph functions are exercised in tests/api.  `->` names
mark the results a wrapper allocates and returns.
"""

from pathlib import Path

import numpy as np
import pytest

from xunity.backends.llvm.emit import emit_llvm_ir
from xunity.backends.llvm.jit import JitEngine
from xunity.backends.llvm.runtime import runtime_ir
from xunity.dialects.context import make_context
from xunity.dialects.graph.types import TensorType
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
"""


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
    engine.add(emit_llvm_ir(parse_module(make_context(), MODULE)))
    x, w = _type("!graph.tensor<[n, 4], f32>"), _type("!graph.tensor<[4, n], f32>")
    big = _type("!graph.tensor<[n, 2305843009213693952], f32>")
    functions = {
        "scale": None,
        "returning": Signature((x, w), (x,)),
        "too_big": Signature((_type("!graph.tensor<[n], f32>"),), (x, big)),
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
