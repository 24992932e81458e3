"""graph.matmul vs numpy.matmul, through `xunity.compile`.

References are computed in f64 for floats.  Tolerances: f32 rtol/atol 1e-5
on these small contraction lengths; f16 accumulates in f32 and rounds once,
compared at rtol/atol 1e-2; integers are exact and wrap in their own type.
Symbolic dims run at two sizes plus 0 and 1 (k = 0 gives zeros, as in numpy).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import pytest
from legalize_harness import check, compiled, main_program, random_array, run, tensor

from xunity.runtime.executable import Executable

random = functools.partial(random_array, ints=(-50, 50))


def _matmul_exe(
    lhs: Sequence[str], rhs: Sequence[str], out: Sequence[str], dtype: str
) -> Executable:
    a, b, c = tensor(lhs, dtype), tensor(rhs, dtype), tensor(out, dtype)
    op = f"%y = graph.matmul %a, %b : {a}, {b} -> {c}"
    return compiled(main_program(op, {"a": a, "b": b}, c))


def _check(actual: np.ndarray, a: np.ndarray, b: np.ndarray, dtype: str) -> None:
    """actual == a @ b: exact for integers, floats against an f64 reference."""
    if dtype == "i32":
        check(actual, np.matmul(a, b), dtype)
        return
    check(actual, np.matmul(a.astype(np.float64), b.astype(np.float64)), dtype)


# (lhs dims, rhs dims, out dims, [(lhs shape, rhs shape), ...])
CASES = [
    (
        ["n", "k"],
        ["k", "m"],
        ["n", "m"],
        [
            ((3, 4), (4, 5)),
            ((7, 16), (16, 2)),
            ((1, 1), (1, 1)),
            ((0, 3), (3, 2)),
            ((2, 0), (0, 3)),
        ],
    ),
    (["n", "k"], ["k", "64"], ["n", "64"], [((5, 32), (32, 64)), ((1, 8), (8, 64))]),
    (
        ["b", "n", "k"],
        ["b", "k", "m"],
        ["b", "n", "m"],
        [((2, 3, 4), (2, 4, 5)), ((4, 1, 2), (4, 2, 3)), ((0, 2, 2), (0, 2, 2))],
    ),
    (
        ["b", "1", "n", "k"],
        ["h", "k", "m"],
        ["b", "h", "n", "m"],
        [((2, 1, 3, 4), (3, 4, 5)), ((1, 1, 2, 2), (1, 2, 1))],
    ),
    (["k"], ["k", "m"], ["m"], [((4,), (4, 3)), ((1,), (1, 7))]),
    (["b", "n", "k"], ["k"], ["b", "n"], [((2, 3, 4), (4,)), ((1, 5, 9), (9,))]),
    (["k"], ["k"], [], [((6,), (6,)), ((1,), (1,)), ((0,), (0,))]),
    (["k"], ["b", "k", "m"], ["b", "m"], [((3,), (2, 3, 4))]),
]


@pytest.mark.parametrize("dtype", ["f32", "f16", "i32"])
@pytest.mark.parametrize(("lhs", "rhs", "out", "shapes"), CASES)
def test_matmul_matches_numpy(dtype, lhs, rhs, out, shapes):
    exe = _matmul_exe(lhs, rhs, out, dtype)
    for lhs_shape, rhs_shape in shapes:
        a, b = random(lhs_shape, dtype), random(rhs_shape, dtype)
        _check(run(exe, a, b), a, b, dtype)


def test_matmul_f16_accumulates_in_f32():
    """1 + 2047 * 1e-3 ~ 3.05; summed in f16 it would stall at 2 (ulp there ~ 2e-3)."""
    exe = _matmul_exe(["1", "k"], ["k", "1"], ["1", "1"], "f16")
    k = 2048
    a = np.full((1, k), 1e-3, np.float16)
    a[0, 0] = 1.0
    b = np.ones((k, 1), np.float16)
    _check(run(exe, a, b), a, b, "f16")


def test_matmul_i32_wraps():
    exe = _matmul_exe(["1", "k"], ["k", "1"], ["1", "1"], "i32")
    a = np.full((1, 4), 2**15, np.int32)
    b = np.full((4, 1), 2**15, np.int32)
    _check(run(exe, a, b), a, b, "i32")
