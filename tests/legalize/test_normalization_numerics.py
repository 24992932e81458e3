"""Normalization kernels (softmax, layer_norm, rms_norm) vs numpy, through
`xunity.compile`.

References are computed in f64.  Tolerances: f32 rtol/atol 1e-5 (exp and
sqrt are polynomial approximations good to a few ulp); f16 inputs are
computed in f32 and rounded once, compared at rtol/atol 1e-2.  Symbolic dims
run at two sizes plus 0 and 1.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
from legalize_harness import DTYPES, RNG, check, compiled, main_program, run, tensor

from xunity.runtime.executable import Executable


# ------------------------------------------------------------------ softmax
def _softmax_exe(dims: Sequence[str], axis: int, dtype: str) -> Executable:
    x = tensor(dims, dtype)
    return compiled(
        main_program(f"%y = graph.softmax %x axis = {axis} : {x}", {"x": x}, x)
    )


def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    x = x.astype(np.float64)
    shifted = np.exp(x - x.max(axis=axis, keepdims=True, initial=-np.inf))
    return shifted / shifted.sum(axis=axis, keepdims=True)


SOFTMAX_CASES = [
    (["n", "64"], -1, [(3, 64), (5, 64), (1, 64), (0, 64)]),
    (["n", "m", "4"], 1, [(2, 7, 4), (3, 1, 4), (2, 0, 4)]),
    (["n", "m"], 0, [(6, 3), (1, 5)]),
    (["n"], 0, [(1,), (33,)]),
]


@pytest.mark.parametrize("dtype", ["f32", "f16"])
@pytest.mark.parametrize(("dims", "axis", "shapes"), SOFTMAX_CASES)
def test_softmax_matches_numpy(dtype, dims, axis, shapes):
    exe = _softmax_exe(dims, axis, dtype)
    for shape in shapes:
        x = (RNG.standard_normal(shape) * 3).astype(DTYPES[dtype])
        check(run(exe, x), _softmax(x, axis), dtype)


def test_softmax_is_stable_for_large_logits():
    exe = _softmax_exe(["n", "8"], -1, "f32")
    x = (RNG.standard_normal((4, 8)) * 10 + 1000).astype(np.float32)
    x[1] = -1000.0
    out = run(exe, x)
    assert np.isfinite(out).all()
    check(out, _softmax(x, -1), "f32")


def test_softmax_special_values_follow_numpy():
    """NaN or +inf anywhere makes the row NaN (the max skips NaN, exp and the
    sum spread it); -inf entries get 0; an all -inf row is NaN, as in numpy."""
    exe = _softmax_exe(["n", "40"], -1, "f32")
    x = RNG.standard_normal((5, 40)).astype(np.float32)
    x[0, 3] = np.nan
    x[1, 39] = np.inf
    x[2, [0, 7, 20]] = -np.inf
    x[3, :] = -np.inf
    x[4, 17] = np.nan
    x[4, 18] = 1e30
    with np.errstate(invalid="ignore"):
        want = _softmax(x, -1)
    got = run(exe, x)
    assert np.array_equal(np.isnan(got), np.isnan(want))
    assert np.isnan(got[[0, 1, 3, 4]]).all()
    assert (got[2, [0, 7, 20]] == 0).all()
    check(got[2], want[2], "f32")


# ------------------------------------------------------------ layer_norm, rms_norm
def _norm_exe(
    op: str, dims: Sequence[str], axes: Sequence[int], eps: float, dtype: str
) -> Executable:
    x = tensor(dims, dtype)
    param = tensor(dims[len(dims) - len(axes) :], dtype)
    names = ["g", "b"] if op == "graph.layer_norm" else ["w"]
    args = {"x": x, **dict.fromkeys(names, param)}
    operands = ", ".join(f"%{name}" for name in args)
    types = ", ".join(args.values())
    line = f"%y = {op} {operands} axes = {list(axes)} eps = {eps:e} : {types}"
    return compiled(main_program(line, args, x))


def _layer_norm(x, gamma, beta, count: int, eps: float) -> np.ndarray:
    axes = tuple(range(x.ndim - count, x.ndim))
    x = x.astype(np.float64)
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def _rms_norm(x, weight, count: int, eps: float) -> np.ndarray:
    axes = tuple(range(x.ndim - count, x.ndim))
    x = x.astype(np.float64)
    return x / np.sqrt((x**2).mean(axis=axes, keepdims=True) + eps) * weight


NORM_CASES = [
    (["n", "32"], [-1], [(3, 32), (6, 32), (1, 32), (0, 32)]),
    (["b", "n", "8"], [-1], [(2, 3, 8), (1, 1, 8)]),
    (["b", "h", "w"], [1, 2], [(2, 3, 4), (3, 1, 5), (1, 2, 1)]),
    (["n", "m"], [-2, -1], [(4, 6), (1, 1)]),
]


@pytest.mark.parametrize("dtype", ["f32", "f16"])
@pytest.mark.parametrize(("dims", "axes", "shapes"), NORM_CASES)
def test_layer_norm_matches_numpy(dtype, dims, axes, shapes):
    exe = _norm_exe("graph.layer_norm", dims, axes, 1e-5, dtype)
    for shape in shapes:
        np_type = DTYPES[dtype]
        x = (RNG.standard_normal(shape) * 2 + 0.5).astype(np_type)
        gamma = RNG.standard_normal(shape[len(shape) - len(axes) :]).astype(np_type)
        beta = RNG.standard_normal(gamma.shape).astype(np_type)
        expected = _layer_norm(x, gamma, beta, len(axes), 1e-5)
        check(run(exe, x, gamma, beta), expected, dtype)


def test_layer_norm_of_constant_rows_is_beta():
    """var = 0: eps keeps the division finite and x - mean = 0 leaves beta."""
    exe = _norm_exe("graph.layer_norm", ["n", "16"], [-1], 1e-5, "f32")
    x = np.full((3, 16), 7.0, np.float32)
    gamma = RNG.standard_normal(16).astype(np.float32)
    beta = RNG.standard_normal(16).astype(np.float32)
    check(run(exe, x, gamma, beta), np.broadcast_to(beta, (3, 16)), "f32")


@pytest.mark.parametrize("dtype", ["f32", "f16"])
@pytest.mark.parametrize(("dims", "axes", "shapes"), NORM_CASES)
def test_rms_norm_matches_numpy(dtype, dims, axes, shapes):
    exe = _norm_exe("graph.rms_norm", dims, axes, 1e-6, dtype)
    for shape in shapes:
        np_type = DTYPES[dtype]
        x = RNG.standard_normal(shape).astype(np_type)
        weight = RNG.standard_normal(shape[len(shape) - len(axes) :]).astype(np_type)
        check(run(exe, x, weight), _rms_norm(x, weight, len(axes), 1e-6), dtype)


def test_rms_norm_uses_eps():
    exe = _norm_exe("graph.rms_norm", ["n", "4"], [-1], 0.25, "f32")
    x = np.full((2, 4), 0.5, np.float32)
    weight = np.ones(4, np.float32)
    # 0.5 / sqrt(0.25 + 0.25)
    check(run(exe, x, weight), np.full((2, 4), 0.5 / np.sqrt(0.5)), "f32")
