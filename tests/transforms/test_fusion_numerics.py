"""Kernel fusion (graph-fuse-ops + tir-fuse-kernels) never changes results.

Each program is compiled with the default pipeline (fusion on) and with the
fusion passes removed; both are compared with each other (rtol = atol = 1e-5,
the fused kernels compute the same expressions in the same order, except
that a fused epilogue reads the producer's value from a register) and with a
float64 numpy reference (rtol = atol = 1e-4 relative to the largest value:
f32 sums and polynomial gelu/exp).  Symbolic n runs at sizes that are not
multiples of any tile.  The fused program must really be one kernel.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import xunity
import xunity.api
from xunity.dialects.context import make_context
from xunity.dialects.graph.call import CallTirOp
from xunity.ir.diagnostics import parse_module
from xunity.pipeline import LowerToLlvmPass
from xunity.registry import PASSES

RNG = np.random.default_rng(3)
_erf = np.vectorize(math.erf)


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def _layer_norm(x: np.ndarray, g: np.ndarray, b: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-5) * g + b


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def t(dims: str) -> str:
    return f"!graph.tensor<[{dims}], f32>"


CASES = {
    "add_gelu": (
        f"""func.func @main(%a: {t("n, 64")}, %b: {t("64")}) -> {t("n, 64")} {{
  %c = graph.add %a, %b : {t("n, 64")}, {t("64")} -> {t("n, 64")}
  %d = graph.gelu %c : {t("n, 64")}
  func.return %d : {t("n, 64")}
}}""",
        [("n", 64), (64,)],
        lambda a, b: _gelu(a + b),
    ),
    "matmul_bias_gelu": (
        f"""func.func @main(%a: {t("n, 96")}, %w: {t("96, 600")}, %b: {t("600")}) -> {t("n, 600")} {{
  %c = graph.matmul %a, %w : {t("n, 96")}, {t("96, 600")} -> {t("n, 600")}
  %d = graph.add %c, %b : {t("n, 600")}, {t("600")} -> {t("n, 600")}
  %e = graph.gelu %d : {t("n, 600")}
  func.return %e : {t("n, 600")}
}}""",
        [("n", 96), (96, 600), (600,)],
        lambda a, w, b: _gelu(a @ w + b),
    ),
    "batched_matmul_residual": (
        f"""func.func @main(%a: {t("2, n, 40")}, %w: {t("2, 40, 50")}, %r: {t("2, n, 50")}) -> {t("2, n, 50")} {{
  %c = graph.matmul %a, %w : {t("2, n, 40")}, {t("2, 40, 50")} -> {t("2, n, 50")}
  %d = graph.add %c, %r : {t("2, n, 50")}, {t("2, n, 50")} -> {t("2, n, 50")}
  func.return %d : {t("2, n, 50")}
}}""",
        [(2, "n", 40), (2, 40, 50), (2, "n", 50)],
        lambda a, w, r: a @ w + r,
    ),
    "add_layer_norm": (
        f"""func.func @main(%x: {t("n, 80")}, %r: {t("n, 80")}, %g: {t("80")}, %b: {t("80")}) -> {t("n, 80")} {{
  %s = graph.add %x, %r : {t("n, 80")}, {t("n, 80")} -> {t("n, 80")}
  %y = graph.layer_norm %s, %g, %b axes = [-1] eps = 1.0e-5 : {t("n, 80")}, {t("80")}, {t("80")}
  func.return %y : {t("n, 80")}
}}""",
        [("n", 80), ("n", 80), (80,), (80,)],
        lambda x, r, g, b: _layer_norm(x + r, g, b),
    ),
    "softmax_scale_chain": (
        f"""func.func @main(%x: {t("n, 33")}, %s: {t("33")}) -> {t("n, 33")} {{
  %p = graph.softmax %x axis = -1 : {t("n, 33")}
  %q = graph.mul %p, %s : {t("n, 33")}, {t("33")} -> {t("n, 33")}
  %r = graph.exp %q : {t("n, 33")}
  func.return %r : {t("n, 33")}
}}""",
        [("n", 33), (33,)],
        lambda x, s: np.exp(_softmax(x) * s),
    ),
}


def _kernel_calls(text: str) -> int:
    ctx = make_context()
    module = parse_module(ctx, text, "<test>")
    for name in ("graph-legalize", "graph-fuse-ops", "tir-fuse-kernels"):
        PASSES[name]()().apply(ctx, module)
    return sum(isinstance(op, CallTirOp) for op in module.walk())


@pytest.mark.parametrize("name", sorted(CASES))
def test_fused_matches_unfused_and_numpy(name: str) -> None:
    text, shapes, reference = CASES[name]
    assert _kernel_calls(text) == 1
    fused = xunity.compile(text)
    unfused = xunity.compile(text, pipeline=LowerToLlvmPass(fuse=False))
    for n in (1, 19):
        inputs = [
            RNG.standard_normal([n if d == "n" else d for d in shape]).astype(
                np.float32
            )
            for shape in shapes
        ]
        got = fused["main"](*inputs)
        np.testing.assert_allclose(got, unfused["main"](*inputs), rtol=1e-5, atol=1e-5)
        ref = reference(*[x.astype(np.float64) for x in inputs])
        scale = max(1.0, float(np.abs(ref).max()))
        np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-4 * scale)
