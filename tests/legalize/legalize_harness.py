"""Shared helpers of the legalization numerics tests (tests/legalize/test_*.py).

pytest puts this directory on sys.path, so the tests import it as
`legalize_harness`.  A program text is compiled once per process; `@main`
returns one array; floats are compared with numpy in f64 at TOLERANCE
(rtol = atol), everything else exactly.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

import xunity
from xunity.runtime.executable import Executable

RNG = np.random.default_rng(0)

DTYPES: dict[str, type[np.generic]] = {
    "f32": np.float32,
    "f16": np.float16,
    "i64": np.int64,
    "i32": np.int32,
    "i8": np.int8,
    "i1": np.bool_,
}
TOLERANCE = {"f32": 1e-5, "f16": 1e-2}


@functools.cache
def compiled(program: str) -> Executable:
    return xunity.compile(program)


def run(exe: Executable, *arrays: np.ndarray) -> np.ndarray:
    """Call `@main`, which has one result."""
    out = exe["main"](*arrays)
    assert isinstance(out, np.ndarray)
    return out


def tensor(dims: str | Sequence[str], dtype: str) -> str:
    """`!graph.tensor<[dims], dtype>`; `dims` a list or one "n, 4" string."""
    if not isinstance(dims, str):
        dims = ", ".join(dims)
    return f"!graph.tensor<[{dims}], {dtype}>"


def main_program(op: str, args: dict[str, str], result: str) -> str:
    """`func.func @main` applying one op line (`%y = ...`) to tensor arguments."""
    params = ", ".join(f"%{name}: {ty}" for name, ty in args.items())
    return (
        f"func.func @main({params}) -> {result} {{\n"
        f"  {op}\n"
        f"  func.return %y : {result}\n"
        "}\n"
    )


def random_array(
    shape: Sequence[int],
    dtype: str,
    *,
    ints: tuple[int, int] = (-100, 100),
    true_fraction: float = 0.5,
    unit_floats: bool = False,
) -> np.ndarray:
    """Random data: integers in [ints[0], ints[1]), booleans true at
    `true_fraction`, floats standard normal (uniform in [-1, 1] if `unit_floats`)."""
    np_type = DTYPES[dtype]
    if np_type is np.bool_:
        return np.asarray(RNG.random(shape) < true_fraction)
    if np.issubdtype(np_type, np.integer):
        return np.asarray(RNG.integers(*ints, size=shape), np_type)
    if unit_floats:
        return np.asarray(RNG.uniform(-1.0, 1.0, size=shape), np_type)
    return np.asarray(RNG.standard_normal(shape), np_type)


def check_exact(actual: object, expected: np.ndarray) -> None:
    """`actual` is an array of expected's dtype and shape, equal to it."""
    assert isinstance(actual, np.ndarray)
    assert actual.dtype == expected.dtype
    assert actual.shape == expected.shape
    np.testing.assert_array_equal(actual, expected)


def check(actual: object, expected: ArrayLike, dtype: str) -> None:
    """`actual` is a `dtype` array shaped like `expected` and equal to it: within
    TOLERANCE[dtype] for floats, exactly (after casting `expected`) otherwise."""
    expected = np.asarray(expected)
    if dtype not in TOLERANCE:
        check_exact(actual, expected.astype(DTYPES[dtype]))
        return
    assert isinstance(actual, np.ndarray)
    assert actual.shape == expected.shape
    assert actual.dtype == DTYPES[dtype]
    tol = TOLERANCE[dtype]
    np.testing.assert_allclose(actual.astype(np.float64), expected, rtol=tol, atol=tol)
