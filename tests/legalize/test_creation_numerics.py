"""Creation kernels (full, arange, triu, tril) vs numpy, through `xunity.compile`.

All of them are exact: fills and selections copy values, and arange's
start + i * step is exact for these small integers in every result dtype.
"""

from __future__ import annotations

import numpy as np
import pytest
from legalize_harness import (
    DTYPES,
    check_exact,
    compiled,
    main_program,
    random_array,
    tensor,
)

from xunity.runtime.executable import Executable


# ------------------------------------------------------------------ full
def _full(value: str, dtype: str) -> Executable:
    """main(s: [n]) -> [n, 3] filled with `value` (s only binds n)."""
    result = tensor("n, 3", dtype)
    args = {"s": tensor("n", "f32")}
    return compiled(main_program(f"%y = graph.full {value} : {result}", args, result))


@pytest.mark.parametrize(
    ("value", "dtype", "expected"),
    [
        ("-1.5", "f32", np.float32(-1.5)),
        ("0.1", "f32", np.float32(0.1)),
        ("0.1", "f16", np.float16(0.1)),
        ("7", "i32", np.int32(7)),
        ("-3", "i64", np.int64(-3)),
        ("1", "i1", np.True_),
        ("0", "i1", np.False_),
    ],
)
def test_full(value: str, dtype: str, expected: np.generic) -> None:
    exe = _full(value, dtype)
    for n in (4, 1, 0):
        out = exe["main"](np.zeros(n, np.float32))
        check_exact(out, np.full((n, 3), expected))


@pytest.mark.parametrize("value", ["inf", "-inf", "nan"])
def test_full_non_finite(value: str) -> None:
    out = _full(value, "f32")["main"](np.zeros(2, np.float32))
    np.testing.assert_array_equal(out, np.full((2, 3), float(value), np.float32))


# ------------------------------------------------------------------ arange
@pytest.mark.parametrize("dtype", ["i64", "i32", "f32"])
@pytest.mark.parametrize(
    ("start", "end", "step"),
    [(0, 10, 3), (5, 0, -1), (-4, 4, 2), (3, 3, 1), (0, 1, 5), (-7, -20, -4)],
)
def test_arange(start: int, end: int, step: int, dtype: str) -> None:
    expected = np.arange(start, end, step, dtype=DTYPES[dtype])
    result = tensor(str(expected.size), dtype)
    op = f"%y = graph.arange start = {start} end = {end} step = {step} : {result}"
    exe = compiled(main_program(op, {}, result))
    check_exact(exe["main"](), expected)


# ------------------------------------------------------------------ triu, tril
def _triangular(op: str, k: int, dims: str, dtype: str) -> Executable:
    x = tensor(dims, dtype)
    return compiled(main_program(f"%y = graph.{op} %x k = {k} : {x}", {"x": x}, x))


REFERENCE = {"triu": np.triu, "tril": np.tril}


@pytest.mark.parametrize("op", ["triu", "tril"])
@pytest.mark.parametrize("dtype", ["f32", "f16", "i32"])
@pytest.mark.parametrize("k", [0, 1, -1, 5])
def test_triangular_batched_square(op: str, k: int, dtype: str) -> None:
    exe = _triangular(op, k, "b, n, n", dtype)
    for shape in ((2, 5, 5), (3, 1, 1), (1, 8, 8), (0, 4, 4), (2, 0, 0)):
        x = random_array(shape, dtype)
        check_exact(exe["main"](x), REFERENCE[op](x, k))


@pytest.mark.parametrize("op", ["triu", "tril"])
@pytest.mark.parametrize("k", [0, 2, -3])
def test_triangular_rectangular(op: str, k: int) -> None:
    exe = _triangular(op, k, "n, m", "f32")
    for shape in ((4, 7), (7, 4), (1, 5), (5, 1), (0, 3), (3, 0)):
        x = random_array(shape, "f32")
        check_exact(exe["main"](x), REFERENCE[op](x, k))


@pytest.mark.parametrize("op", ["triu", "tril"])
def test_triangular_keeps_non_finite_values(op: str) -> None:
    """A kept NaN stays NaN and a dropped one becomes 0: a select, not a product."""
    exe = _triangular(op, 0, "3, 3", "f32")
    x = np.full((3, 3), np.nan, np.float32)
    np.testing.assert_array_equal(exe["main"](x), REFERENCE[op](x))
