"""graph-prepack-weights: a matmul by bound f32 weights is computed from the
weights packed at compile time, and gives what numpy (and the unpacked
kernel) gives.

Weights come in through `params` (`graph.weight`, bound as constants before
lowering).  Shapes straddle the 48-column panels, the 2016-column blocks and
the 256-deep blocks; the lhs rows are symbolic, and one case has a batch dim.
References are f64 (tolerance 1e-5 of the largest |reference|).
"""

from __future__ import annotations

import numpy as np
import pytest

import xunity
from xunity.dialects.graph.linalg import PackedMatmulOp
from xunity.strategies.packing import pack_rhs

RNG = np.random.default_rng(11)
TOLERANCE = 1e-5


def _program(lhs_dims: str, k: int, n: int) -> str:
    lhs = f"!graph.tensor<[{lhs_dims}, {k}], f32>"
    w = f"!graph.tensor<[{k}, {n}], f32>"
    out = f"!graph.tensor<[{lhs_dims}, {n}], f32>"
    return f"""
func.func @main(%x: {lhs}) -> {out} {{
  %w = graph.weight "w" : {w}
  %y = graph.matmul %x, %w : {lhs}, {w} -> {out}
  func.return %y : {out}
}}"""


def test_pack_rhs_lays_out_zero_padded_panels() -> None:
    weight = RNG.standard_normal((5, 100)).astype(np.float32)
    packed = pack_rhs(weight)
    width = PackedMatmulOp.PANEL_WIDTH
    assert packed.shape == (3, 5, width)
    for p in range(3):
        for k in range(5):
            for j in range(width):
                column = p * width + j
                want = weight[k, column] if column < 100 else 0.0
                assert packed[p, k, j] == want


@pytest.mark.parametrize(
    ("lhs_dims", "k", "n", "rows"),
    [
        ("m", 7, 1, [5, 9]),
        ("m", 300, 100, [37, 1]),
        ("m", 257, 2100, [19]),
        ("b, m", 64, 97, [3]),
    ],
)
def test_prepacked_matmul_matches_numpy(
    lhs_dims: str, k: int, n: int, rows: list[int]
) -> None:
    weight = RNG.standard_normal((k, n)).astype(np.float32)
    exe = xunity.compile(_program(lhs_dims, k, n), params={"w": weight})
    assert any("packed_matmul" in name for name in exe.function_names)
    batch = (2,) if lhs_dims.startswith("b") else ()
    for m in rows:
        x = RNG.standard_normal((*batch, m, k)).astype(np.float32)
        out = exe["main"](x)
        ref = x.astype(np.float64) @ weight.astype(np.float64)
        scale = max(1.0, float(np.abs(ref).max()))
        np.testing.assert_allclose(out, ref, rtol=TOLERANCE, atol=TOLERANCE * scale)


def test_prepacked_and_per_call_packing_agree() -> None:
    """Same micro-kernel and blocking: only where B's panels come from differs."""
    k, n = 300, 130
    weight = RNG.standard_normal((k, n)).astype(np.float32)
    x = RNG.standard_normal((45, k)).astype(np.float32)
    prepacked = xunity.compile(_program("m", k, n), params={"w": weight})
    text = _program("m", k, n).replace(
        f'%w = graph.weight "w" : !graph.tensor<[{k}, {n}], f32>\n', ""
    )
    text = text.replace("(%x: ", f"(%w: !graph.tensor<[{k}, {n}], f32>, %x: ")
    per_call = xunity.compile(text)
    assert not any("packed" in name for name in per_call.function_names)
    np.testing.assert_array_equal(prepacked["main"](x), per_call["main"](weight, x))


def test_decode_rows_keep_the_gemv_kernel() -> None:
    weight = RNG.standard_normal((64, 96)).astype(np.float32)
    exe = xunity.compile(_program("1", 64, 96), params={"w": weight})
    assert not any("packed" in name for name in exe.function_names)
    x = RNG.standard_normal((1, 64)).astype(np.float32)
    np.testing.assert_allclose(exe["main"](x), x @ weight, rtol=1e-5, atol=1e-5)
