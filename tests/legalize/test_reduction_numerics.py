"""Reduction kernels (sum, mean, max, min, argmax) vs numpy, through `xunity.compile`.

Tolerances: f32 sums are sequential (numpy's are pairwise), so they agree to
rtol 1e-5 on these sizes; f16 accumulates in f32 and is rounded once, so it
is compared with numpy's f32 result rounded to f16 (rtol 1e-2).  max, min and
argmax are exact.  Symbolic dims run at two sizes plus 0 and 1.  Where numpy
raises (max/min/argmax over zero elements) the kernels return the identity
(-inf/+inf, index 0), as xunity/legalize/reduction.py documents.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
from legalize_harness import (
    DTYPES,
    RNG,
    check,
    compiled,
    main_program,
    random_array,
    run,
    tensor,
)

from xunity.runtime.executable import Executable


def _reduced_dims(
    dims: Sequence[str], axes: Sequence[int] | None, keepdims: bool
) -> list[str]:
    reduced = range(len(dims)) if axes is None else [a % len(dims) for a in axes]
    return [
        "1" if axis in reduced else dim
        for axis, dim in enumerate(dims)
        if keepdims or axis not in reduced
    ]


def _reduction(
    op: str,
    dims: Sequence[str],
    dtype: str,
    axes: Sequence[int] | None,
    keepdims: bool,
    result_dtype: str | None = None,
) -> Executable:
    """`@main` applying one reduction; `axes` is the `axis` of argmax."""
    src = tensor(dims, dtype)
    dst = tensor(_reduced_dims(dims, axes, keepdims), result_dtype or dtype)
    if op == "graph.argmax":
        attrs = "" if axes is None else f" axis = {axes[0]}"
    else:
        attrs = "" if axes is None else f" axes = {list(axes)}"
    attrs += " keepdims" if keepdims else ""
    return compiled(
        main_program(f"%y = {op} %x{attrs} : {src} -> {dst}", {"x": src}, dst)
    )


def _axis_arg(axes: Sequence[int] | None) -> tuple[int, ...] | None:
    return None if axes is None else tuple(axes)


# (dims, axes, keepdims, concrete shapes: two sizes of each symbol plus 0 and 1)
CASES = [
    (["n", "m", "8"], [1], False, [(3, 5, 8), (2, 7, 8), (1, 1, 8), (2, 0, 8)]),
    (["n", "m", "8"], [1], True, [(3, 5, 8), (0, 4, 8)]),
    (["n", "m", "8"], [0, 2], False, [(3, 5, 8), (6, 2, 8), (1, 1, 8)]),
    (["n", "m", "8"], [-1], True, [(3, 5, 8), (4, 1, 8)]),
    (["n", "m"], None, False, [(3, 5), (9, 4), (1, 1)]),
    (["n", "m"], None, True, [(3, 5), (2, 2)]),
    (["n", "m"], [], False, [(3, 5), (1, 0)]),
    (["n"], [0], False, [(17,), (1,), (64,)]),
]


def _numpy_reduce(op: str, x: np.ndarray, axes, keepdims: bool) -> np.ndarray:
    axis = _axis_arg(axes)
    if op == "graph.sum":
        wide = x.astype(np.float32) if x.dtype == np.float16 else x
        return np.sum(wide, axis=axis, keepdims=keepdims).astype(x.dtype)
    if op == "graph.mean":
        wide = x.astype(np.float32) if x.dtype == np.float16 else x
        return np.mean(wide, axis=axis, keepdims=keepdims).astype(x.dtype)
    if op == "graph.max":
        return np.max(x, axis=axis, keepdims=keepdims)
    return np.min(x, axis=axis, keepdims=keepdims)


OP_DTYPES = [
    ("graph.sum", "f32"),
    ("graph.sum", "f16"),
    ("graph.sum", "i32"),
    ("graph.mean", "f32"),
    ("graph.mean", "f16"),
    ("graph.max", "f32"),
    ("graph.max", "f16"),
    ("graph.max", "i32"),
    ("graph.max", "i8"),
    ("graph.max", "i1"),
    ("graph.min", "f32"),
    ("graph.min", "i32"),
    ("graph.min", "i1"),
]


@pytest.mark.filterwarnings("ignore:Mean of empty slice")
@pytest.mark.parametrize(("op", "dtype"), OP_DTYPES)
@pytest.mark.parametrize(("dims", "axes", "keepdims", "shapes"), CASES)
def test_reduction_matches_numpy(op, dtype, dims, axes, keepdims, shapes):
    exe = _reduction(op, dims, dtype, axes, keepdims)
    for shape in shapes:
        x = random_array(shape, dtype)
        empty = any(
            shape[a] == 0 for a in (range(len(shape)) if axes is None else axes)
        )
        if empty and op in ("graph.max", "graph.min"):
            continue  # numpy raises; see test_empty_max_min_return_identity
        with np.errstate(invalid="ignore"):
            expected = _numpy_reduce(op, x, axes, keepdims)
        check(run(exe, x), expected, dtype)


def test_sum_integer_wraps_in_its_type():
    exe = _reduction("graph.sum", ["n"], "i32", None, False)
    x = np.full(4, 2**30, dtype=np.int32)
    check(run(exe, x), np.sum(x, dtype=np.int32), "i32")


def test_mean_over_zero_elements_is_nan():
    exe = _reduction("graph.mean", ["n", "4"], "f32", [0], False)
    out = run(exe, np.zeros((0, 4), np.float32))
    assert out.shape == (4,) and np.isnan(out).all()


def test_empty_max_min_return_identity():
    x = np.zeros((0, 3), np.float32)
    maxima = run(_reduction("graph.max", ["n", "3"], "f32", [0], False), x)
    minima = run(_reduction("graph.min", ["n", "3"], "f32", [0], False), x)
    np.testing.assert_array_equal(maxima, np.full(3, -np.inf, np.float32))
    np.testing.assert_array_equal(minima, np.full(3, np.inf, np.float32))


@pytest.mark.parametrize("op", ["graph.max", "graph.min"])
def test_max_min_propagate_nan(op):
    exe = _reduction(op, ["n", "4"], "f32", [0], False)
    x = random_array((5, 4), "f32")
    x[2, 1] = np.nan
    x[4, 3] = np.nan
    expected = np.max(x, axis=0) if op == "graph.max" else np.min(x, axis=0)
    np.testing.assert_array_equal(run(exe, x), expected)


# ------------------------------------------------------------------ argmax
ARGMAX_CASES = [
    (["n", "m"], [-1], False, [(3, 5), (4, 9), (1, 1)]),
    (["n", "m"], [0], True, [(3, 5), (7, 2)]),
    (["n", "m", "4"], [1], False, [(2, 6, 4), (3, 1, 4), (0, 3, 4)]),
    (["n", "m"], None, False, [(3, 5), (6, 4), (1, 1)]),
    (["n", "m", "2"], None, True, [(3, 5, 2), (1, 7, 2)]),
]


@pytest.mark.parametrize("dtype", ["f32", "f16", "i32", "i1"])
@pytest.mark.parametrize(("dims", "axes", "keepdims", "shapes"), ARGMAX_CASES)
def test_argmax_matches_numpy(dtype, dims, axes, keepdims, shapes):
    exe = _reduction("graph.argmax", dims, dtype, axes, keepdims, "i64")
    for shape in shapes:
        # Few distinct values, so that ties test the first-maximum rule.
        x = RNG.integers(-3, 3, shape).astype(DTYPES[dtype])
        axis = None if axes is None else axes[0]
        expected = np.argmax(x, axis=axis, keepdims=keepdims)
        check(run(exe, x), expected.astype(np.int64), "i64")


def test_argmax_returns_first_nan():
    exe = _reduction("graph.argmax", ["n", "6"], "f32", [1], False, "i64")
    x = np.array(
        [
            [1, np.nan, 5, np.nan, 2, 0],
            [-np.inf, -np.inf, -np.inf, -np.inf, -np.inf, -np.inf],
            [np.inf, 3, np.inf, 1, np.nan, 2],
            [0, 1, 2, 3, 4, 4],
        ],
        np.float32,
    )
    np.testing.assert_array_equal(run(exe, x), np.argmax(x, axis=1))


def test_argmax_over_zero_elements_is_zero():
    exe = _reduction("graph.argmax", ["3", "n"], "f32", [1], False, "i64")
    np.testing.assert_array_equal(
        run(exe, np.zeros((3, 0), np.float32)), np.zeros(3, np.int64)
    )
