"""xunity.compile end to end: symbolic shapes, argument errors, weights, codegen."""

import math

import numpy as np
import pytest

import xunity
from xunity.api import lower_to_llvm
from xunity.backends.llvm.emit import emit_llvm_ir
from xunity.backends.llvm.optimize import assembly, optimize
from xunity.dialects.context import make_context
from xunity.ir.diagnostics import parse_module
from xunity.runtime.executable import XunityError

MLP_SOFTMAX = """
func.func @main(%x: !graph.tensor<[n, 64], f32>, %w: !graph.tensor<[64, 32], f32>,
                %b: !graph.tensor<[32], f32>) -> !graph.tensor<[n, 32], f32> {
  %0 = graph.matmul %x, %w : !graph.tensor<[n, 64], f32>, !graph.tensor<[64, 32], f32> -> !graph.tensor<[n, 32], f32>
  %1 = graph.add %0, %b : !graph.tensor<[n, 32], f32>, !graph.tensor<[32], f32> -> !graph.tensor<[n, 32], f32>
  %2 = graph.gelu %1 : !graph.tensor<[n, 32], f32>
  %3 = graph.softmax %2 axis = -1 : !graph.tensor<[n, 32], f32>
  func.return %3 : !graph.tensor<[n, 32], f32>
}
"""

_erf = np.vectorize(math.erf, otypes=[np.float64])


def _reference(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    h = x.astype(np.float64) @ w + b
    g = 0.5 * h * (1 + _erf(h / math.sqrt(2)))
    e = np.exp(g - g.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@pytest.fixture(scope="module")
def mlp() -> xunity.Executable:
    return xunity.compile(MLP_SOFTMAX)


@pytest.fixture(scope="module")
def weights() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    w = rng.standard_normal((64, 32)).astype(np.float32) / 8
    b = rng.standard_normal(32).astype(np.float32)
    return w, b


@pytest.mark.parametrize("n", [1, 7, 128, 0])
def test_one_compiled_function_serves_every_n(
    mlp: xunity.Executable, weights: tuple[np.ndarray, np.ndarray], n: int
) -> None:
    w, b = weights
    x = np.random.default_rng(n).standard_normal((n, 64)).astype(np.float32)
    y = mlp["main"](x, w, b)
    assert isinstance(y, np.ndarray) and y.shape == (n, 32) and y.dtype == np.float32
    np.testing.assert_allclose(y, _reference(x, w, b), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    ("make_args", "message"),
    [
        (
            lambda x, w, b: (x, w),
            r"^main: expected 3 arguments, got 2$",
        ),
        (
            lambda x, w, b: (x.astype(np.float16), w, b),
            r"^main: argument 0 \(x\): expected dtype float32, got DLPack code 2 bits 16",
        ),
        (
            lambda x, w, b: (x[None], w, b),
            r"^main: argument 0 \(x\): expected rank 2 \[n, 64\], got rank 3$",
        ),
        (
            lambda x, w, b: (x, w[:, :16].copy(), b),
            r"^main: argument 1 \(w\): expected shape \[64, 32\], got \[64, 16\]$",
        ),
        (
            lambda x, w, b: (x[:, :32].copy(), w, b),
            r"^main: argument 0 \(x\): expected shape \[n, 64\] where n = 5, "
            r"got \[5, 32\]$",
        ),
    ],
    ids=["too-few-arguments", "dtype", "rank", "static-dim", "symbolic-dim"],
)
def test_bad_inputs_raise_with_a_message(
    mlp: xunity.Executable,
    weights: tuple[np.ndarray, np.ndarray],
    make_args,
    message: str,
) -> None:
    x = np.ones((5, 64), np.float32)
    with pytest.raises(XunityError, match=message):
        mlp["main"](*make_args(x, *weights))


def test_inconsistent_symbolic_dims_across_arguments() -> None:
    exe = xunity.compile(
        """
func.func @main(%a: !graph.tensor<[n, 4], f32>, %b: !graph.tensor<[n, 4], f32>) -> !graph.tensor<[n, 4], f32> {
  %c = graph.add %a, %b : !graph.tensor<[n, 4], f32>, !graph.tensor<[n, 4], f32> -> !graph.tensor<[n, 4], f32>
  func.return %c : !graph.tensor<[n, 4], f32>
}
"""
    )
    with pytest.raises(
        XunityError,
        match=r"^main: argument 1 \(b\): expected shape \[n, 4\] where n = 3, got \[7, 4\]$",
    ):
        exe["main"](np.ones((3, 4), np.float32), np.ones((7, 4), np.float32))


def test_unknown_function_names_the_known_ones(mlp: xunity.Executable) -> None:
    with pytest.raises(KeyError, match=r"the module has: .*main"):
        mlp["missing"]


def test_weights_are_bound_from_params() -> None:
    program = """
func.func @main(%x: !graph.tensor<[n, 3], f32>) -> !graph.tensor<[n, 3], f32> {
  %w = graph.weight "scale" : !graph.tensor<[3], f32>
  %c = graph.constant dense<[1.0, 2.0, 3.0]> : !graph.tensor<[3], f32>
  %0 = graph.mul %x, %w : !graph.tensor<[n, 3], f32>, !graph.tensor<[3], f32> -> !graph.tensor<[n, 3], f32>
  %1 = graph.add %0, %c : !graph.tensor<[n, 3], f32>, !graph.tensor<[3], f32> -> !graph.tensor<[n, 3], f32>
  func.return %1 : !graph.tensor<[n, 3], f32>
}
"""
    scale = np.array([10.0, 20.0, 30.0], np.float32)
    exe = xunity.compile(program, params={"scale": scale})
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_array_equal(exe["main"](x), x * scale + [1, 2, 3])
    with pytest.raises(KeyError, match='weight "scale" has no value in params'):
        xunity.compile(program, params={})
    with pytest.raises(ValueError, match=r'weight "scale": expected float32\[3\], got'):
        xunity.compile(program, params={"scale": np.zeros(4, np.float32)})


def test_returning_inputs_and_repeated_values_copies() -> None:
    exe = xunity.compile(
        """
func.func @main(%a: !graph.tensor<[n], i32>) -> (!graph.tensor<[n], i32>, !graph.tensor<[n], i32>, !graph.tensor<[n], i32>) {
  %b = graph.neg %a : !graph.tensor<[n], i32>
  func.return %a, %b, %b : !graph.tensor<[n], i32>, !graph.tensor<[n], i32>, !graph.tensor<[n], i32>
}
"""
    )
    a = np.array([1, -2, 3], np.int32)
    same, negated, again = exe["main"](a)
    np.testing.assert_array_equal(same, a)
    np.testing.assert_array_equal(negated, -a)
    np.testing.assert_array_equal(again, -a)
    assert not np.shares_memory(same, a)


def test_elementwise_kernels_use_512_bit_vectors_and_no_libm() -> None:
    module = parse_module(
        make_context(),
        """
func.func @main(%x: !graph.tensor<[n], f32>) -> !graph.tensor<[n], f32> {
  %0 = graph.exp %x : !graph.tensor<[n], f32>
  %1 = graph.tanh %0 : !graph.tensor<[n], f32>
  func.return %1 : !graph.tensor<[n], f32>
}
""",
    )
    lower_to_llvm(module)
    llvm_ir = emit_llvm_ir(module)
    assert "<16 x float>" in str(optimize(llvm_ir))
    asm = assembly(optimize(llvm_ir))
    assert "zmm" in asm
    for libm in ("expf", "tanhf"):
        assert f"call\t{libm}" not in asm and f"{libm}@PLT" not in asm
