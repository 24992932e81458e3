"""The f32 matmul kernels' run-time choices by row count, vs numpy.

A kernel with a symbolic row count m picks its path when called
(xunity/strategies/gemm.py): for m <= FEWEST_ROWS (2) the GEMV (plain
matmul) or one-row micro-kernels (prepacked rhs), column slices with B read
in place for m <= FEW_ROW_PANELS * MR (64), the packed BLIS loops above.
Each program here is compiled once and called at row counts on both sides
of every switch (0, 1, 2, 3, 4, 5, 8, 9, 64, 65, 100), with depths across the 256-deep block and widths that leave a partial
48-column panel (and one that is not a multiple of 16, whose panel is
copied rather than read past N).  References are f64; tolerance rtol = atol
= 1e-5 of the largest |reference| (sums of up to 600 products of N(0, 1)),
1e-4 where a gelu polynomial is fused in.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import xunity
from xunity.dialects.context import make_context
from xunity.dialects.graph.call import CallTirOp
from xunity.ir.diagnostics import parse_module
from xunity.pipeline import LowerToLlvmPass
from xunity.registry import PASSES
from xunity.strategies.packing import pack_rhs

RNG = np.random.default_rng(23)
TOLERANCE = 1e-5
ROWS = (0, 1, 2, 3, 4, 5, 8, 9, 64, 65, 100)
_erf = np.vectorize(math.erf, otypes=[np.float64])


def t(dims: str) -> str:
    return f"!graph.tensor<[{dims}], f32>"


def _normal(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape, dtype=np.float32)


def _check(result: object, ref: np.ndarray, tolerance: float = TOLERANCE) -> None:
    assert isinstance(result, np.ndarray)
    out = result
    assert out.shape == ref.shape
    scale = max(1.0, float(np.abs(ref).max(initial=0.0)))
    np.testing.assert_allclose(out, ref, rtol=tolerance, atol=tolerance * scale)


def _matmul(lhs: str, rhs: str, out: str) -> str:
    return f"""
func.func @main(%a: {t(lhs)}, %b: {t(rhs)}) -> {t(out)} {{
  %y = graph.matmul %a, %b : {t(lhs)}, {t(rhs)} -> {t(out)}
  func.return %y : {t(out)}
}}"""


@pytest.mark.parametrize(
    ("k", "n"),
    [
        (300, 1000),  # 20 full panels + 40 columns; two depth blocks
        (600, 100),  # 2 panels + 4 columns (not a multiple of 16)
        (1, 2017),  # two column blocks, the second of one column
        (0, 50),  # empty depth: zeros
    ],
)
def test_symbolic_rows_every_path(k: int, n: int) -> None:
    exe = xunity.compile(_matmul(f"m, {k}", f"{k}, {n}", f"m, {n}"))
    b = _normal(k, n)
    for m in ROWS:
        a = _normal(m, k)
        _check(exe["main"](a, b), a.astype(np.float64) @ b.astype(np.float64))


def test_symbolic_rows_and_depth_and_width() -> None:
    """All dims symbolic: the same choices, with nothing constant to fold."""
    exe = xunity.compile(_matmul("m, k", "k, n", "m, n"))
    for m, k, n in [(1, 70, 300), (4, 257, 49), (5, 33, 513), (9, 3, 7), (31, 520, 97)]:
        a, b = _normal(m, k), _normal(k, n)
        _check(exe["main"](a, b), a.astype(np.float64) @ b.astype(np.float64))


@pytest.mark.parametrize(
    ("lhs", "rhs", "out", "b_shape"),
    [
        ("2, m, 40", "40, 150", "2, m, 150", (40, 150)),  # broadcast rhs
        ("2, m, 40", "2, 40, 150", "2, m, 150", (2, 40, 150)),
        ("1, m, 300", "3, 300, 64", "3, m, 64", (3, 300, 64)),  # broadcast lhs
    ],
)
def test_batched_symbolic_rows(lhs: str, rhs: str, out: str, b_shape) -> None:
    exe = xunity.compile(_matmul(lhs, rhs, out))
    b = _normal(*b_shape)
    for m in (1, 2, 4, 6, 17, 70):
        batch = [int(d) for d in lhs.split(", ")[:-2]]
        a = _normal(*batch, m, int(lhs.split(", ")[-1]))
        _check(exe["main"](a, b), np.matmul(a.astype(np.float64), b))


@pytest.mark.parametrize(("k", "n"), [(384, 1536), (600, 100), (70, 2100)])
def test_packed_matmul_few_rows(k: int, n: int) -> None:
    """graph.packed_matmul (prepacked rhs) has no GEMV: one or two rows take
    one-row micro-kernels, few rows the column slices, the rest the packed
    loops; the lhs is batched as in MiniLM."""
    panels = -(-n // 48)
    lhs, rhs, out = t(f"b, m, {k}"), t(f"{panels}, {k}, 48"), t(f"b, m, {n}")
    exe = xunity.compile(f"""
func.func @main(%a: {lhs}, %w: {rhs}) -> {out} {{
  %y = graph.packed_matmul %a, %w columns = {n} : {lhs}, {rhs} -> {out}
  func.return %y : {out}
}}""")
    w = _normal(k, n)
    packed = pack_rhs(w)
    for batch, m in [(1, 0), (1, 1), (2, 2), (1, 3), (2, 9), (1, 64), (1, 65), (2, 70)]:
        a = _normal(batch, m, k)
        _check(exe["main"](a, packed), a.astype(np.float64) @ w)


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def _kernel_calls(text: str) -> int:
    ctx = make_context()
    module = parse_module(ctx, text, "<test>")
    for name in ("graph-legalize", "graph-fuse-ops", "tir-fuse-kernels"):
        PASSES[name]()().apply(ctx, module)
    return sum(isinstance(op, CallTirOp) for op in module.walk())


@pytest.mark.parametrize("packed", [False, True])
def test_fused_bias_gelu_on_every_path(packed: bool) -> None:
    """matmul + bias + gelu is one kernel whose epilogue is the final block of
    every path: the GEMV's sums pass through it too."""
    k, n = 300, 1000
    a_t, out_t, bias_t = t(f"m, {k}"), t(f"m, {n}"), t(f"{n}")
    if packed:
        w_t = t(f"{-(-n // 48)}, {k}, 48")
        product = f"graph.packed_matmul %a, %w columns = {n} : {a_t}, {w_t} -> {out_t}"
    else:
        w_t = t(f"{k}, {n}")
        product = f"graph.matmul %a, %w : {a_t}, {w_t} -> {out_t}"
    text = f"""
func.func @main(%a: {a_t}, %w: {w_t}, %bias: {bias_t}) -> {out_t} {{
  %c = {product}
  %d = graph.add %c, %bias : {out_t}, {bias_t} -> {out_t}
  %y = graph.gelu %d : {out_t}
  func.return %y : {out_t}
}}"""
    assert _kernel_calls(text) == 1
    fused = xunity.compile(text)
    unfused = xunity.compile(text, pipeline=LowerToLlvmPass(fuse=False))
    w, bias = _normal(k, n) * 0.05, _normal(n)
    w_arg = pack_rhs(w) if packed else w
    for m in ROWS:
        a = _normal(m, k)
        got = fused["main"](a, w_arg, bias)
        np.testing.assert_allclose(
            got, unfused["main"](a, w_arg, bias), rtol=1e-5, atol=1e-5
        )
        ref = _gelu(a.astype(np.float64) @ w + bias)
        _check(got, ref, tolerance=1e-4)
