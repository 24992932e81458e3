"""Default schedules (`tir-default-schedule`) and the fast row kernels, end to end.

Each program is compiled twice: by `xunity.compile` (default schedules) and
by the same pipeline without `tir-default-schedule` (the serial kernels
graph-legalize emits).  Elementwise and injective results must be
bit-identical between the two (the same scalar code, only split across
threads and vector lanes); reductions agree to rtol 1e-6 (float sums are
reassociable, so a different lane split may round differently).  Against
f64 numpy references: rtol = atol = 1e-5 for f32.  Symbolic dims run at 0,
1, sizes that are no multiple of the vector width, and sizes that give
every thread several vector iterations.  The IR checks read the host's O3
LLVM IR: hot loops use the widest vectors, kernels launch on the pool.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence

import numpy as np
import pytest

import xunity
from xunity import api
from xunity.backends.llvm.emit import emit_llvm_ir
from xunity.backends.llvm.optimize import optimize
from xunity.backends.llvm.target import HostTarget
from xunity.dialects.context import make_context
from xunity.ir.diagnostics import parse_module
from xunity.pipeline import LowerToLlvmPass
from xunity.runtime.executable import Executable

RNG = np.random.default_rng(5)
TOL = 1e-5
UNSCHEDULED = LowerToLlvmPass(default_schedule=False)
LANES = HostTarget.detect().vector_bits // 32

_erf = np.vectorize(math.erf, otypes=[np.float64])


def _t(dims: str, dtype: str = "f32") -> str:
    return f"!graph.tensor<[{dims}], {dtype}>"


def _program(args: dict[str, str], lines: Sequence[tuple[str, str]]) -> str:
    """`@main(args)` returning every line's result; a line is (the op with its
    operand types, the result type)."""
    params = ", ".join(f"%{name}: {ty}" for name, ty in args.items())
    results = ", ".join(ty for _, ty in lines)
    body = "".join(f"  %r{i} = {op}\n" for i, (op, _) in enumerate(lines))
    names = ", ".join(f"%r{i}" for i in range(len(lines)))
    return (
        f"func.func @main({params}) -> ({results}) {{\n{body}"
        f"  func.return {names} : {results}\n}}\n"
    )


def _op(text: str, operand_types: Sequence[str], result: str) -> tuple[str, str]:
    """One program line: `text : operand types -> result`."""
    return f"{text} : {', '.join(operand_types)} -> {result}", result


def _unary(text: str, ty: str) -> tuple[str, str]:
    return f"{text} : {ty}", ty


_CACHE: dict[tuple[str, bool], Executable] = {}


def _compile(program: str, scheduled: bool = True) -> Executable:
    key = (program, scheduled)
    if key not in _CACHE:
        pipeline = None if scheduled else UNSCHEDULED
        _CACHE[key] = xunity.compile(program, pipeline=pipeline)
    return _CACHE[key]


def _results(exe: Executable, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    out = exe["main"](*arrays)
    return (out,) if isinstance(out, np.ndarray) else out


def _both(program: str, *arrays: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(scheduled, unscheduled) result pairs of `@main(*arrays)`."""
    scheduled = _results(_compile(program), *arrays)
    serial = _results(_compile(program, scheduled=False), *arrays)
    return list(zip(scheduled, serial, strict=True))


def _close(actual: np.ndarray, expected: np.ndarray) -> None:
    assert actual.shape == expected.shape
    np.testing.assert_allclose(
        actual.astype(np.float64), expected, rtol=TOL, atol=TOL, equal_nan=True
    )


# ------------------------------------------------------------------ elementwise
def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1 + _erf(x / math.sqrt(2)))


def _gelu_tanh(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


UNARY: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "exp": np.exp,
    "tanh": np.tanh,
    "erf": _erf,
    "sigmoid": _sigmoid,
    "silu": lambda x: x * _sigmoid(x),
    "gelu": _gelu,
    "gelu_tanh": _gelu_tanh,
    "relu": lambda x: np.maximum(x, 0),
    "neg": np.negative,
}
ROWS, BIAS, VEC = _t("n, 37"), _t("37"), _t("m")
ELEMENTWISE = _program(
    {"x": ROWS, "b": BIAS, "v": VEC},
    [_unary(f"graph.{op} %x", ROWS) for op in UNARY]
    + [
        _op("graph.add %x, %b", [ROWS, BIAS], ROWS),
        _op("graph.maximum %x, %b", [ROWS, BIAS], ROWS),
        _unary("graph.gelu %v", VEC),
        _unary("graph.exp %v", VEC),
    ],
)


@pytest.mark.parametrize(("n", "m"), [(0, 0), (1, 1), (5, 17), (700, 100_003)])
def test_elementwise_kernels_match_numpy_and_their_serial_version(
    n: int, m: int
) -> None:
    x = (RNG.standard_normal((n, 37)) * 3).astype(np.float32)
    b = RNG.standard_normal(37).astype(np.float32)
    v = (RNG.standard_normal(m) * 3).astype(np.float32)
    x64, b64, v64 = (a.astype(np.float64) for a in (x, b, v))
    expected = [fn(x64) for fn in UNARY.values()]
    expected += [x64 + b64, np.maximum(x64, b64), _gelu(v64), np.exp(v64)]
    for (scheduled, serial), reference in zip(
        _both(ELEMENTWISE, x, b, v), expected, strict=True
    ):
        np.testing.assert_array_equal(scheduled, serial)
        _close(scheduled, reference)


def test_gelu_keeps_special_values() -> None:
    """x * Phi(x): +-0 and tiny x keep their sign, +inf -> inf, NaN -> NaN, and
    -inf -> NaN (-inf * 0), as 0.5 x (1 + erf(x / sqrt 2)) gives in numpy."""
    program = _program({"v": VEC}, [_unary("graph.gelu %v", VEC)])
    special = np.array([0.0, -0.0, 1e-30, -1e-30, np.inf, -np.inf, np.nan], np.float32)
    (out,) = _results(_compile(program), special)
    np.testing.assert_array_equal(out[:4], special[:4] / 2)
    assert np.signbit(out[1]) and np.signbit(out[3])
    assert out[4] == np.inf and np.isnan(out[5]) and np.isnan(out[6])


INJECTIVE = _program(
    {"x": ROWS, "y": _t("n, 5")},
    [
        _op("graph.permute_dims %x axes = [1, 0]", [ROWS], _t("37, n")),
        _op("graph.concat %x, %y axis = 1", [ROWS, _t("n, 5")], _t("n, 42")),
    ],
)


@pytest.mark.parametrize("n", [0, 1, 1000])
def test_injective_kernels_match_numpy_and_their_serial_version(n: int) -> None:
    x = RNG.standard_normal((n, 37)).astype(np.float32)
    y = RNG.standard_normal((n, 5)).astype(np.float32)
    expected = [x.T, np.concatenate([x, y], axis=1)]
    for (scheduled, serial), reference in zip(
        _both(INJECTIVE, x, y), expected, strict=True
    ):
        np.testing.assert_array_equal(scheduled, serial)
        np.testing.assert_array_equal(scheduled, reference)


# ------------------------------------------------------------------ reductions
SLAB = _t("b, n, 5")
REDUCTIONS = _program(
    {"x": ROWS, "z": SLAB},
    [_op(f"graph.{op} %x axes = [-1]", [ROWS], _t("n")) for op in ("sum", "mean")]
    + [_op(f"graph.{op} %x axes = [-1]", [ROWS], _t("n")) for op in ("max", "min")]
    + [
        _op("graph.argmax %x axis = -1", [ROWS], _t("n", "i64")),
        _op("graph.sum %z axes = [1]", [SLAB], _t("b, 5")),
    ],
)


@pytest.mark.parametrize("n", [0, 1, 1000])
def test_reduction_kernels_match_numpy_and_their_serial_version(n: int) -> None:
    x = RNG.standard_normal((n, 37)).astype(np.float32)
    z = RNG.standard_normal((3, n, 5)).astype(np.float32)
    if n > 1:
        x[0, 3] = -np.inf  # one -inf: max unaffected, min -inf, sum -inf
        x[-1, :] = -np.inf  # only -inf
    x64 = x.astype(np.float64)
    expected = [x64.sum(-1), x64.sum(-1) / 37]
    expected += [np.max(x64, -1, initial=-np.inf), np.min(x64, -1, initial=np.inf)]
    expected += [np.argmax(x64, -1), z.astype(np.float64).sum(1)]
    for (scheduled, serial), reference in zip(
        _both(REDUCTIONS, x, z), expected, strict=True
    ):
        if scheduled.dtype == np.int64:
            np.testing.assert_array_equal(scheduled, serial)
            np.testing.assert_array_equal(scheduled, reference)
            continue
        np.testing.assert_allclose(scheduled, serial, rtol=1e-6, equal_nan=True)
        _close(scheduled, reference)


def test_max_and_min_propagate_nan() -> None:
    """numpy.max / min semantics: a NaN anywhere in the row makes it NaN."""
    x = RNG.standard_normal((40, 37)).astype(np.float32)
    x[2, 5] = np.nan
    x[7, 36] = np.nan
    out = _results(_compile(REDUCTIONS), x, np.zeros((3, 40, 5), np.float32))
    np.testing.assert_array_equal(out[2], x.max(-1))
    np.testing.assert_array_equal(out[3], x.min(-1))


# ------------------------------------------------------------------ row kernels
SOFTMAX = _program(
    {"x": _t("n, m")}, [_unary("graph.softmax %x axis = -1", _t("n, m"))]
)


def _softmax(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.float64)
    with np.errstate(invalid="ignore"):
        shifted = np.exp(x - x.max(-1, keepdims=True, initial=-np.inf))
        return shifted / shifted.sum(-1, keepdims=True)


@pytest.mark.parametrize(("n", "m"), [(0, 8), (3, 0), (1, 1), (9, 37), (64, 1000)])
def test_softmax_matches_numpy(n: int, m: int) -> None:
    x = (RNG.standard_normal((n, m)) * 4).astype(np.float32)
    (out,) = _results(_compile(SOFTMAX), x)
    _close(out, _softmax(x))


def test_softmax_nan_and_inf_rows() -> None:
    """-inf entries get probability 0; a row of -inf only is NaN (0/0, as in
    numpy and torch); a NaN or a +inf entry makes its row NaN (inf - inf)."""
    x = RNG.standard_normal((5, 37)).astype(np.float32)
    x[0, [1, 30]] = -np.inf
    x[1, :] = -np.inf
    x[2, 4] = np.nan
    x[3, 7] = np.inf
    (out,) = _results(_compile(SOFTMAX), x)
    assert out[0, 1] == 0 and out[0, 30] == 0
    assert np.isnan(out[1:4]).all()
    _close(out, _softmax(x))


HIDDEN, GAMMA = _t("n, 768"), _t("768")
NORMS = _program(
    {"x": HIDDEN, "g": GAMMA, "b": GAMMA},
    [
        (
            "graph.layer_norm %x, %g, %b axes = [-1] eps = 1.000000e-05 : "
            f"{HIDDEN}, {GAMMA}, {GAMMA}",
            HIDDEN,
        ),
        (
            f"graph.rms_norm %x, %g axes = [-1] eps = 1.000000e-06 : {HIDDEN}, {GAMMA}",
            HIDDEN,
        ),
    ],
)


@pytest.mark.parametrize("n", [0, 1, 33])
def test_layer_norm_and_rms_norm_match_numpy(n: int) -> None:
    x = (RNG.standard_normal((n, 768)) * 2 + 1).astype(np.float32)
    g = RNG.standard_normal(768).astype(np.float32)
    b = RNG.standard_normal(768).astype(np.float32)
    x64 = x.astype(np.float64)
    mean = x64.sum(-1, keepdims=True) / 768
    var = ((x64 - mean) ** 2).sum(-1, keepdims=True) / 768
    layer = (x64 - mean) / np.sqrt(var + 1e-5) * g + b
    rms = x64 / np.sqrt((x64**2).sum(-1, keepdims=True) / 768 + 1e-6) * g
    out = _results(_compile(NORMS), x, g, b)
    _close(out[0], layer)
    _close(out[1], rms)


# ------------------------------------------------------------------ IR
def _functions(program: str) -> dict[str, str]:
    """Function name -> its text in the host's O3 LLVM IR of `program`."""
    module = parse_module(make_context(), program)
    api.lower_to_llvm(module)
    llvm_ir = str(optimize(emit_llvm_ir(module)))
    functions: dict[str, str] = {}
    for chunk in re.split(r"^define ", llvm_ir, flags=re.M)[1:]:
        name = re.search(r"@([\w.]+)\(", chunk)
        assert name is not None
        functions[name.group(1)] = chunk
    return functions


@pytest.mark.parametrize(
    "program",
    [
        _program({"v": VEC}, [_unary("graph.gelu %v", VEC)]),
        _program({"x": _t("n, 64")}, [_unary("graph.exp %x", _t("n, 64"))]),
        _program(
            {"x": _t("n, 64"), "b": _t("64")},
            [_op("graph.add %x, %b", [_t("n, 64"), _t("64")], _t("n, 64"))],
        ),
        _program(
            {"x": _t("n, 64")},
            [_op("graph.sum %x axes = [-1]", [_t("n, 64")], _t("n"))],
        ),
    ],
    ids=["gelu_1d", "exp_rows", "add_broadcast", "sum_rows"],
)
def test_kernels_run_on_the_pool_with_the_widest_vectors(program: str) -> None:
    functions = _functions(program)
    bodies = [body for name, body in functions.items() if "_par" in name]
    assert len(bodies) == 1, f"one outlined parallel body, got {list(functions)}"
    assert f"<{LANES} x float>" in bodies[0]
    assert any("@XUParallelLaunch" in body for body in functions.values())


@pytest.mark.parametrize("program", [SOFTMAX, NORMS], ids=["softmax", "norms"])
def test_row_reductions_are_vectorized(program: str) -> None:
    """The sums of softmax, layer_norm and rms_norm (and softmax's max) fold
    vectors: `reassoc` lets LLVM split them into lanes."""
    bodies = [body for name, body in _functions(program).items() if "_par" in name]
    assert bodies
    for body in bodies:
        assert re.search(rf"fadd reassoc <{LANES} x float>", body)
        assert "@llvm.vector.reduce.fadd" in body
    if program is SOFTMAX:
        assert f"@llvm.maxnum.v{LANES}f32" in bodies[0]
