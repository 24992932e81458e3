"""The packed f32 GEMM and the GEMV (xunity/strategies/gemm.py, gemv.py) vs numpy.

Shapes straddle every blocking boundary: rows around the 8-row register
tile, depth around the 256-deep block (0 gives zeros, more than one block
accumulates), columns around the 48-column panel and the 2016-column block.
One compiled module with all dims symbolic covers them all (the paths a
symbolic row count picks at run time: test_gemm_row_modes.py).  References are
f64; tolerance rtol = atol = 1e-5 relative to the largest |reference| (sums
of up to 700 products of N(0, 1) values).
"""

from __future__ import annotations

import numpy as np
import pytest
from legalize_harness import compiled, main_program, tensor

RNG = np.random.default_rng(7)
TOLERANCE = 1e-5


def _matmul(lhs: list[str], rhs: list[str], out: list[str]):
    a, b, c = tensor(lhs, "f32"), tensor(rhs, "f32"), tensor(out, "f32")
    op = f"%y = graph.matmul %a, %b : {a}, {b} -> {c}"
    return compiled(main_program(op, {"a": a, "b": b}, c))


def _check(exe, a_shape: tuple[int, ...], b_shape: tuple[int, ...]) -> None:
    a = RNG.standard_normal(a_shape, dtype=np.float32)
    b = RNG.standard_normal(b_shape, dtype=np.float32)
    out = exe["main"](a, b)
    ref = np.matmul(a.astype(np.float64), b.astype(np.float64))
    assert out.shape == ref.shape
    scale = max(1.0, float(np.abs(ref).max(initial=0.0)))
    np.testing.assert_allclose(out, ref, rtol=TOLERANCE, atol=TOLERANCE * scale)


@pytest.mark.parametrize(
    ("m", "k", "n"),
    [
        (1, 1, 1),
        (7, 3, 47),
        (8, 256, 48),
        (9, 257, 49),
        (29, 0, 5),
        (28, 600, 64),
        (3, 40, 2017),
        (45, 300, 700),
        (73, 40, 97),  # groups of two row panels, the last one partial
        (136, 20, 33),  # a last group of one panel
    ],
)
def test_gemm_symbolic_dims(m: int, k: int, n: int) -> None:
    _check(_matmul(["m", "k"], ["k", "n"], ["m", "n"]), (m, k), (k, n))


def test_gemm_static_dims_with_edges() -> None:
    """Constant dims take the same kernel with constant block counts."""
    _check(_matmul(["30", "270"], ["270", "40"], ["30", "40"]), (30, 270), (270, 40))


@pytest.mark.parametrize(
    ("lhs", "rhs", "out", "a_shape", "b_shape"),
    [
        (
            ["b", "h", "m", "k"],
            ["h", "k", "n"],
            ["b", "h", "m", "n"],
            (2, 3, 17, 20),
            (3, 20, 35),
        ),
        (
            ["b", "1", "m", "k"],
            ["1", "h", "k", "n"],
            ["b", "h", "m", "n"],
            (2, 1, 15, 9),
            (1, 4, 9, 33),
        ),
    ],
)
def test_batched_gemm_broadcasts(lhs, rhs, out, a_shape, b_shape) -> None:
    _check(_matmul(lhs, rhs, out), a_shape, b_shape)


@pytest.mark.parametrize(
    ("m", "k", "n"), [(1, 70, 300), (1, 0, 4), (1, 3, 17), (3, 33, 513)]
)
def test_gemv_split_over_k(m: int, k: int, n: int) -> None:
    """A static row count up to 4 takes the GEMV kernel (k split over tasks)."""
    exe = _matmul([str(m), "k"], ["k", "n"], [str(m), "n"])
    _check(exe, (m, k), (k, n))


def test_gemm_and_gemv_kernels_are_chosen_by_shape() -> None:
    """The blocks of each strategy name the kernel that ran."""
    from xunity.dialects import tir
    from xunity.dialects.context import make_context
    from xunity.ir.diagnostics import parse_module
    from xunity.registry import PASSES

    def block_names(lhs: str) -> set[str]:
        text = main_program(
            f"%y = graph.matmul %a, %b : {tensor([lhs, 'k'], 'f32')}, "
            f"{tensor(['k', 'n'], 'f32')} -> {tensor([lhs, 'n'], 'f32')}",
            {"a": tensor([lhs, "k"], "f32"), "b": tensor(["k", "n"], "f32")},
            tensor([lhs, "n"], "f32"),
        )
        ctx = make_context()
        module = parse_module(ctx, text, "<test>")
        PASSES["graph-legalize"]()().apply(ctx, module)
        module.verify()
        return {
            op.block_name.data for op in module.walk() if isinstance(op, tir.BlockOp)
        }

    assert {"gemm_pack_a", "gemm_pack_b"} <= block_names("m")
    # A symbolic row count may be small at run time: the GEMV is in there too.
    assert {"gemv_update", "gemv_sum", "gemm_epilogue"} <= block_names("m")
    assert {"gemv_init", "gemv_update4", "gemv_update", "gemv_sum"} <= block_names("2")
    assert "gemm_pack_b" not in block_names("2")
