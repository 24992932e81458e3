"""The convert-*-to-llvm passes compute what numpy computes: JIT-compiled vs numpy.

Small `func.func` kernels loop (scf.for) over `!llvm.ptr` buffers, go through
`convert-to-llvm` (which includes xDSL's convert-scf-to-cf), are compiled for
the host and called with ctypes on numpy arrays.

Accuracy of the f32 math expansions, measured over the ranges below against
float64 numpy / math.erf (max error in units in the last place of the f32
result; the bounds asserted are these rounded up):

    exp   [-88, 88] + subnormal results     0.95 ulp
    exp2  [-150, 128]                        0.97 ulp
    expm1 [-20, 20], tiny |x|                1.6 ulp
    log   (1e-30, 1e30) + subnormal inputs   0.74 ulp
    log2 / log10 / log1p                     1.5 / 1.9 / 2.2 ulp
    tanh  [-10, 10], tiny |x|                1.3 ulp
    erf   [-10, 10], tiny |x|                3.0 ulp, absolute error 1.8e-7
    sin / cos [-10, 10] and |x| <= 1e7       1.9 / 2.9 ulp, absolute error 1e-7
    sin / cos |x| <= 1e9                     absolute error 1e-6
    rsqrt (1e-30, 1e30)                      1.5 ulp
    powf  x in [1e-3, 1e3], y in [-10, 10]   relative error ~|y log x| * 6e-8
"""

from __future__ import annotations

import ctypes
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from xunity.backends.llvm.emit import emit_llvm_ir
from xunity.backends.llvm.jit import JitEngine
from xunity.backends.llvm.optimize import assembly, optimize
from xunity.backends.llvm.runtime import runtime_ir
from xunity.backends.llvm.target import HostTarget
from xunity.dialects.context import make_context
from xunity.ir.diagnostics import parse_module
from xunity.pipeline import ConvertToLlvmPass

# ------------------------------------------------------------------ harness
ELEMENTWISE = """
func.func @{name}(%n: i64, {params}) {{
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %count = arith.index_cast %n : i64 to index
  scf.for %i = %c0 to %count step %c1 {{
    %ii = arith.index_cast %i : index to i64
{loads}
{body}
    %pr = llvm.getelementptr %r[%ii] : (!llvm.ptr, i64) -> !llvm.ptr, {rt}
    llvm.store %res, %pr {{alignment = {ralign} : i64}} : {rt}, !llvm.ptr
  }}
  func.return
}}
"""

_ALIGN = {"f64": 8, "i64": 8, "f32": 4, "i32": 4, "f16": 2, "bf16": 2, "i16": 2}


def _load(name: str, type: str) -> str:
    align = _ALIGN.get(type, 1)
    return (
        f"    %p{name} = llvm.getelementptr %{name}[%ii] : "
        f"(!llvm.ptr, i64) -> !llvm.ptr, {type}\n"
        f"    %{name}v = llvm.load %p{name} {{alignment = {align} : i64}} "
        f": !llvm.ptr -> {type}"
    )


def elementwise_kernel(name: str, arg_types: list[str], result: str, body: str) -> str:
    """r[i] = body(a[i], b[i], ...); `body` names operands %av, %bv, ... and sets %res."""
    names = "abcd"[: len(arg_types)]
    params = ", ".join(f"%{n}: !llvm.ptr" for n in [*names, "r"])
    loads = "\n".join(_load(n, t) for n, t in zip(names, arg_types, strict=True))
    return ELEMENTWISE.format(
        name=name,
        params=params,
        loads=loads,
        body=f"    {body}",
        rt=result,
        ralign=_ALIGN.get(result, 1),
    )


def lower(text: str, vector_ldexp: bool = False) -> str:
    """LLVM IR of the module after convert-to-llvm."""
    ctx = make_context()
    module = parse_module(ctx, text)
    ConvertToLlvmPass(vector_ldexp).apply(ctx, module)
    return emit_llvm_ir(module)


class Jit:
    """A JIT engine that compiles each named kernel once (symbols must be unique)."""

    def __init__(self, cache_dir: Path):
        self.engine = JitEngine(cache_dir=cache_dir)
        target = self.engine.target
        self.engine.add(runtime_ir(target.triple, target.data_layout))
        self._added: set[str] = set()

    def address(
        self, name: str, text: Callable[[], str], vector_ldexp: bool = False
    ) -> int:
        if name not in self._added:
            self.engine.add(lower(text(), vector_ldexp))
            self._added.add(name)
        return self.engine.address(name)


@pytest.fixture(scope="module")
def jit(tmp_path_factory: pytest.TempPathFactory) -> Jit:
    return Jit(tmp_path_factory.mktemp("objects"))


Kernel = Callable[..., np.ndarray]


def compile_elementwise(
    jit: Jit,
    name: str,
    arg_types: list[str],
    result: str,
    body: str,
    result_dtype: np.dtype | type,
    vector_ldexp: bool = False,
) -> Kernel:
    address = jit.address(
        name, lambda: elementwise_kernel(name, arg_types, result, body), vector_ldexp
    )
    signature = ctypes.CFUNCTYPE(
        None, ctypes.c_int64, *[ctypes.c_void_p] * (len(arg_types) + 1)
    )
    function = signature(address)

    def run(*args: np.ndarray) -> np.ndarray:
        arrays = [np.ascontiguousarray(a) for a in args]
        out = np.empty(arrays[0].shape, result_dtype)
        function(out.size, *[a.ctypes.data for a in arrays], out.ctypes.data)
        return out

    return run


def unary_math(
    jit: Jit, op: str, type: str = "f32", vector_ldexp: bool = False
) -> Kernel:
    dtype = {"f32": np.float32, "f64": np.float64, "f16": np.float16}.get(
        type, np.uint16
    )
    body = f"%res = math.{op} %av : {type}"
    name = f"{op}_{type}" + ("_ldexp" if vector_ldexp else "")
    return compile_elementwise(jit, name, [type], type, body, dtype, vector_ldexp)


def ulp_error(got: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """|got - reference| in f32 ulps of the reference; equal values (NaN too) are 0."""
    got64 = got.astype(np.float64)
    ulp = np.spacing(np.abs(reference).astype(np.float32)).astype(np.float64)
    ulp = np.maximum(ulp, float(np.finfo(np.float32).smallest_subnormal))
    with np.errstate(invalid="ignore"):
        error = np.abs(got64 - reference) / ulp
    same = (got64 == reference) | (np.isnan(got64) & np.isnan(reference))
    return np.where(same, 0.0, error)


RNG = np.random.default_rng(2024)
erf64 = np.vectorize(math.erf, otypes=[np.float64])


def _uniform(lo: float, hi: float, n: int = 100_000) -> np.ndarray:
    return RNG.uniform(lo, hi, n)


def _log_uniform(lo: float, hi: float, n: int = 100_000) -> np.ndarray:
    return 10.0 ** RNG.uniform(np.log10(lo), np.log10(hi), n)


def _tiny() -> np.ndarray:
    return _uniform(-1e-4, 1e-4, 5_000)


# ------------------------------------------------------------------ f32 math
MATH_CASES = {
    # op: (reference, inputs, max ulp, absolute tolerance or 0)
    "exp": (np.exp, [_uniform(-88, 88), _uniform(-103, -87, 10_000), _tiny()], 1.0, 0),
    "exp2": (np.exp2, [_uniform(-150, 128), _tiny()], 1.0, 0),
    "expm1": (np.expm1, [_uniform(-20, 20), _uniform(-1, 1), _tiny()], 2.0, 0),
    "log": (np.log, [_log_uniform(1e-30, 1e30), _log_uniform(1e-45, 1e-38, 10_000), _uniform(0.5, 2)], 1.0, 0),
    "log2": (np.log2, [_log_uniform(1e-30, 1e30), _uniform(0.5, 2)], 2.0, 0),
    "log10": (np.log10, [_log_uniform(1e-30, 1e30)], 2.0, 0),
    "log1p": (np.log1p, [_log_uniform(1e-10, 1e10), -_uniform(0, 1), _tiny()], 3.0, 0),
    "tanh": (np.tanh, [_uniform(-10, 10), _uniform(-1, 1), _tiny()], 2.0, 0),
    "erf": (erf64, [_uniform(-10, 10), _uniform(-1, 1), _tiny()], 4.0, 0),
    "sin": (np.sin, [_uniform(-10, 10), _uniform(-1e7, 1e7), _tiny()], 2.0, 1.5e-7),
    "cos": (np.cos, [_uniform(-10, 10), _uniform(-1e7, 1e7)], 2.0, 1.5e-7),
    "rsqrt": (lambda x: 1 / np.sqrt(x), [_log_uniform(1e-30, 1e30)], 2.0, 0),
}  # fmt: skip


SCALED_BY_LDEXP = ["erf", "exp", "exp2", "expm1", "tanh"]
"""The expansions that scale by 2^n, so change with `vector-ldexp`."""

MATH_VARIANTS = [(op, False) for op in sorted(MATH_CASES)] + [
    (op, True) for op in SCALED_BY_LDEXP
]


@pytest.mark.parametrize(("op", "vector_ldexp"), MATH_VARIANTS)
def test_f32_math_is_accurate(jit: Jit, op: str, vector_ldexp: bool) -> None:
    reference, inputs, max_ulp, atol = MATH_CASES[op]
    x = np.concatenate(inputs).astype(np.float32)
    got = unary_math(jit, op, vector_ldexp=vector_ldexp)(x)
    want = reference(x.astype(np.float64))
    error = ulp_error(got, want)
    ok = (error <= max_ulp) | (np.abs(got - want) <= atol)
    worst = int(np.argmax(np.where(ok, 0, error)))
    assert ok.all(), f"{op}({x[worst]!r}) = {got[worst]!r}, expected {want[worst]!r}"


def test_erf_absolute_error_is_below_1e6(jit: Jit) -> None:
    x = np.linspace(-6, 6, 200_001, dtype=np.float32)
    got = unary_math(jit, "erf")(x)
    assert np.abs(got - erf64(x.astype(np.float64))).max() < 1e-6


@pytest.mark.parametrize("op", ["sin", "cos"])
def test_sin_cos_of_huge_arguments_stay_close(jit: Jit, op: str) -> None:
    x = _uniform(-1e9, 1e9).astype(np.float32)
    got = unary_math(jit, op)(x)
    want = getattr(np, op)(x.astype(np.float64))
    assert np.abs(got - want).max() < 1e-6
    extreme = np.array([3.4e38, -3.4e38, 1e30], np.float32)
    assert np.all(np.abs(unary_math(jit, op)(extreme)) <= 1.0)


SPECIALS = np.array(
    [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 1e-38, 3e38, -3e38, 1.0, -1.0],
    np.float32,
)


@pytest.mark.parametrize(("op", "vector_ldexp"), MATH_VARIANTS)
def test_f32_math_special_values(jit: Jit, op: str, vector_ldexp: bool) -> None:
    reference = MATH_CASES[op][0]
    x = SPECIALS
    if op in ("sin", "cos"):  # huge finite arguments are covered above
        x = x[np.abs(x) < 1e30]
    with np.errstate(all="ignore"):
        want = reference(x.astype(np.float64)).astype(np.float32)
    got = unary_math(jit, op, vector_ldexp=vector_ldexp)(x)
    close = np.abs(got - want) <= 2 * np.spacing(np.abs(want))
    same = (got == want) | (np.isnan(got) & np.isnan(want)) | close
    assert same.all(), f"{op}{x[~same]} = {got[~same]}, expected {want[~same]}"


def test_signed_zeros_are_kept(jit: Jit) -> None:
    zeros = np.array([-0.0, 0.0], np.float32)
    for op in ("sin", "tanh", "erf", "expm1", "log1p"):
        got = unary_math(jit, op)(zeros)
        assert np.array_equal(np.signbit(got), [True, False]), op


def _powf(jit: Jit) -> Kernel:
    return compile_elementwise(
        jit, "powf_f32", ["f32", "f32"], "f32",
        "%res = math.powf %av, %bv : f32", np.float32,
    )  # fmt: skip


def test_powf_is_accurate(jit: Jit) -> None:
    x = _log_uniform(1e-3, 1e3).astype(np.float32)
    y = _uniform(-10, 10).astype(np.float32)
    got = _powf(jit)(x, y)
    want = np.power(x.astype(np.float64), y.astype(np.float64))
    exponent = np.abs(y.astype(np.float64) * np.log(x.astype(np.float64)))
    rtol = 2e-7 + 1.2e-7 * exponent  # the error of log(x) grows with |y log x|
    assert np.all(np.abs(got - want) <= rtol * np.abs(want))


def test_powf_special_cases_follow_c(jit: Jit) -> None:
    x = np.array([-2, -2, -2, -8, 0, 0, 0, 5, 1, 1, -1, 2], np.float32)
    y = np.array([2, 3, 0.5, -1 / 3, 2, -1, 0, 0, np.nan, np.inf, 4, -2], np.float32)
    with np.errstate(all="ignore"):
        want = np.power(x, y)
    got = _powf(jit)(x, y)
    np.testing.assert_allclose(got, want, rtol=1e-6)


# ------------------------------------------------------------------ other types
def _to_bf16_bits(x: np.ndarray) -> np.ndarray:
    bits = np.asarray(x, np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return np.where(np.isnan(x), 0x7FC0, rounded).astype(np.uint16)


def _from_bf16_bits(bits: np.ndarray) -> np.ndarray:
    return (bits.astype(np.uint32) << 16).view(np.float32)


@pytest.mark.parametrize("op, reference", [("exp", np.exp), ("tanh", np.tanh)])
def test_f16_math_computes_in_f32(jit: Jit, op: str, reference) -> None:
    x = _uniform(-10, 10, 10_000).astype(np.float16)
    got = unary_math(jit, op, "f16")(x)
    want = reference(x.astype(np.float32)).astype(np.float16)
    assert np.all(np.abs(got.astype(np.float32) - want) <= np.spacing(np.abs(want)))


@pytest.mark.parametrize("op, reference", [("exp", np.exp), ("erf", erf64)])
def test_bf16_math_computes_in_f32(jit: Jit, op: str, reference) -> None:
    x = _to_bf16_bits(_uniform(-10, 10, 10_000))
    got = _from_bf16_bits(unary_math(jit, op, "bf16")(x))
    want = _from_bf16_bits(_to_bf16_bits(reference(_from_bf16_bits(x))))
    one_ulp = 2.0**-7 * np.abs(want)  # bf16 keeps 8 significant bits
    assert np.all(np.abs(got - want) <= one_ulp)


@pytest.mark.parametrize(
    "op, reference", [("exp", np.exp), ("tanh", np.tanh), ("erf", erf64)]
)
def test_f64_math_calls_libm(jit: Jit, op: str, reference) -> None:
    x = _uniform(-10, 10, 10_000)
    got = unary_math(jit, op, "f64")(x)
    np.testing.assert_allclose(got, reference(x), rtol=1e-15, atol=1e-300)


# ------------------------------------------------------------------ vectorisation
EXPANDED = [
    "exp",
    "exp2",
    "expm1",
    "log",
    "log1p",
    "tanh",
    "erf",
    "sin",
    "cos",
    "rsqrt",
]


@pytest.mark.parametrize("op", EXPANDED)
def test_expanded_math_loops_vectorise_without_calls(op: str) -> None:
    ir = lower(
        elementwise_kernel(f"v_{op}", ["f32"], "f32", f"%res = math.{op} %av : f32")
    )
    text = assembly(optimize(ir))
    register = {512: "zmm", 256: "ymm", 128: "xmm"}[HostTarget.detect().vector_bits]
    assert register in text
    assert "call" not in text, f"{op}: the loop still calls a function"


def test_exp_loop_scales_with_vscalefps_given_vector_ldexp() -> None:
    kernel = elementwise_kernel("v_exp", ["f32"], "f32", "%res = math.exp %av : f32")
    text = assembly(optimize(lower(kernel, vector_ldexp=True)))
    if HostTarget.detect().has_vector_ldexp:
        assert "vscalefps" in text and "call" not in text
    else:  # correct (the accuracy tests run it), but LLVM calls libm's ldexpf
        assert "ldexpf" in text


def test_exp_loop_uses_the_widest_vectors_and_never_calls_expf() -> None:
    ir = lower(elementwise_kernel("v_exp", ["f32"], "f32", "%res = math.exp %av : f32"))
    text = assembly(optimize(ir))
    register = {512: "zmm", 256: "ymm", 128: "xmm"}[HostTarget.detect().vector_bits]
    assert register in text
    assert "expf" not in text


# ------------------------------------------------------------------ arith
def _ints(dtype: type, n: int = 20_000) -> np.ndarray:
    info = np.iinfo(dtype)
    return RNG.integers(info.min, info.max, n, dtype=dtype, endpoint=True)


def _nonzero(values: np.ndarray) -> np.ndarray:
    return np.where(values == 0, 1, values)


INTEGER_CASES = {
    # name: (body, numpy reference)
    "floordivsi": ("arith.floordivsi", np.floor_divide),
    "ceildivsi": ("arith.ceildivsi", lambda a, b: -np.floor_divide(-a, b)),
    "divsi": ("arith.divsi", lambda a, b: (np.sign(a) * np.sign(b)) * (np.abs(a) // np.abs(b))),
    "remsi": ("arith.remsi", np.fmod),
    "maxsi": ("arith.maxsi", np.maximum),
    "minsi": ("arith.minsi", np.minimum),
    "shrsi": ("arith.shrsi", lambda a, b: a >> (b & 31)),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(INTEGER_CASES))
def test_signed_integer_ops_match_numpy(jit: Jit, name: str) -> None:
    op, reference = INTEGER_CASES[name]
    a = _ints(np.int32) // 2  # no INT_MIN / -1 overflow
    shifts = RNG.integers(0, 31, a.size).astype(np.int32)
    b = _nonzero((_ints(np.int32) >> shifts).astype(np.int32))
    if name == "shrsi":
        b = RNG.integers(0, 32, a.size, dtype=np.int32)
    kernel = compile_elementwise(
        jit, f"i_{name}", ["i32", "i32"], "i32", f"%res = {op} %av, %bv : i32", np.int32
    )
    np.testing.assert_array_equal(kernel(a, b), reference(a, b))


@pytest.mark.parametrize(
    "name, op, reference",
    [
        ("ceildivui", "arith.ceildivui", lambda a, b: (a + b - 1) // b),
        ("maxui", "arith.maxui", np.maximum),
        ("minui", "arith.minui", np.minimum),
        ("remui", "arith.remui", np.remainder),
    ],
)
def test_unsigned_integer_ops_match_numpy(
    jit: Jit, name: str, op: str, reference
) -> None:
    a = RNG.integers(0, 2**31, 20_000, dtype=np.uint32)
    b = RNG.integers(1, 2**31, 20_000, dtype=np.uint32) >> RNG.integers(0, 31, 20_000)
    b = np.maximum(b, 1).astype(np.uint32)
    if name in ("maxui", "minui"):
        a = _ints(np.uint32)
    kernel = compile_elementwise(
        jit,
        f"u_{name}",
        ["i32", "i32"],
        "i32",
        f"%res = {op} %av, %bv : i32",
        np.uint32,
    )
    np.testing.assert_array_equal(kernel(a, b), reference(a, b))


def test_index_arithmetic_is_64_bit(jit: Jit) -> None:
    body = (
        "%ai = arith.index_cast %av : i64 to index\n"
        "    %bi = arith.index_cast %bv : i64 to index\n"
        "    %q = arith.floordivsi %ai, %bi : index\n"
        "    %s = arith.muli %q, %bi : index\n"
        "    %res = arith.index_cast %s : index to i64"
    )
    kernel = compile_elementwise(jit, "index64", ["i64", "i64"], "i64", body, np.int64)
    a = RNG.integers(-(2**60), 2**60, 10_000, dtype=np.int64)
    b = _nonzero(RNG.integers(-(2**40), 2**40, 10_000, dtype=np.int64))
    np.testing.assert_array_equal(kernel(a, b), (a // b) * b)


FLOAT_BINARY = {
    "maximumf": np.maximum,  # NaN-propagating, like numpy
    "minimumf": np.minimum,
    "maxnumf": np.fmax,  # NaN-ignoring
    "minnumf": np.fmin,
    "divf": np.divide,
}


@pytest.mark.parametrize("op", sorted(FLOAT_BINARY))
def test_float_binary_ops_match_numpy_with_nans(jit: Jit, op: str) -> None:
    a = RNG.standard_normal(10_000).astype(np.float32)
    b = RNG.standard_normal(10_000).astype(np.float32)
    a[::7], b[::11], b[::13] = np.nan, np.nan, -0.0
    a[::17] = 0.0
    kernel = compile_elementwise(
        jit,
        f"f_{op}",
        ["f32", "f32"],
        "f32",
        f"%res = arith.{op} %av, %bv : f32",
        np.float32,
    )
    with np.errstate(all="ignore"):
        want = FLOAT_BINARY[op](a, b)
    # Equal as values: arith (like IEEE 754-2019 maximum) orders -0 < +0 where
    # numpy returns whichever zero comes first.
    np.testing.assert_array_equal(kernel(a, b), want)


@pytest.mark.parametrize(
    "predicate", ["oeq", "one", "olt", "uge", "ueq", "une", "ord", "uno"]
)
def test_cmpf_predicates_with_nans(jit: Jit, predicate: str) -> None:
    a = np.array([1, 1, 2, np.nan, np.nan, -0.0], np.float32)
    b = np.array([1, 2, 1, 1, np.nan, 0.0], np.float32)
    body = f"%c = arith.cmpf {predicate}, %av, %bv : f32\n    %res = arith.extui %c : i1 to i8"
    kernel = compile_elementwise(
        jit, f"cmpf_{predicate}", ["f32", "f32"], "i8", body, np.uint8
    )
    nan = np.isnan(a) | np.isnan(b)
    with np.errstate(invalid="ignore"):
        ordered = {"eq": a == b, "ne": a != b, "lt": a < b, "ge": a >= b}
    want = {
        "oeq": ordered["eq"] & ~nan,
        "one": ordered["ne"] & ~nan,
        "olt": ordered["lt"],
        "uge": ordered["ge"] | nan,
        "ueq": ordered["eq"] | nan,
        "une": ordered["ne"],
        "ord": ~nan,
        "uno": nan,
    }[predicate]
    np.testing.assert_array_equal(kernel(a, b).astype(bool), want)


CASTS = [
    # (name, source type, result type, arith op, input, numpy reference)
    ("fptosi", "f32", "i32", "arith.fptosi", lambda: _uniform(-2e9, 2e9).astype(np.float32), lambda x: x.astype(np.int32)),
    ("fptoui", "f32", "i32", "arith.fptoui", lambda: _uniform(0, 4e9).astype(np.float32), lambda x: x.astype(np.uint32)),
    ("uitofp", "i32", "f32", "arith.uitofp", lambda: _ints(np.uint32), lambda x: x.astype(np.float32)),
    ("sitofp", "i64", "f32", "arith.sitofp", lambda: _ints(np.int64), lambda x: x.astype(np.float32)),
    ("truncf16", "f32", "f16", "arith.truncf", lambda: _uniform(-7e4, 7e4).astype(np.float32), lambda x: x.astype(np.float16)),
    ("extf16", "f16", "f64", "arith.extf", lambda: _uniform(-6e4, 6e4).astype(np.float16), lambda x: x.astype(np.float64)),
    ("trunci", "i64", "i8", "arith.trunci", lambda: _ints(np.int64), lambda x: x.astype(np.int8)),
    ("extsi", "i8", "i64", "arith.extsi", lambda: _ints(np.int8), lambda x: x.astype(np.int64)),
    ("extui", "i8", "i32", "arith.extui", lambda: _ints(np.uint8), lambda x: x.astype(np.int32)),
    ("bitcast", "f32", "i32", "arith.bitcast", lambda: RNG.standard_normal(1000).astype(np.float32), lambda x: x.view(np.int32)),
]  # fmt: skip

_DTYPES = {"f32": np.float32, "f64": np.float64, "f16": np.float16, "i64": np.int64, "i32": np.int32, "i8": np.int8}  # fmt: skip


@pytest.mark.parametrize("case", CASTS, ids=[c[0] for c in CASTS])
def test_casts_match_numpy(jit: Jit, case) -> None:
    name, source, result, op, make_input, reference = case
    body = f"%res = {op} %av : {source} to {result}"
    x = make_input()
    want = reference(x)
    kernel = compile_elementwise(
        jit, f"cast_{name}", [source], result, body, want.dtype
    )
    np.testing.assert_array_equal(kernel(x), want)


def test_bf16_round_trip_rounds_to_nearest_even_and_keeps_nans(jit: Jit) -> None:
    narrow = compile_elementwise(
        jit,
        "to_bf16",
        ["f32"],
        "bf16",
        "%res = arith.truncf %av : f32 to bf16",
        np.uint16,
    )
    wide = compile_elementwise(
        jit,
        "from_bf16",
        ["bf16"],
        "f32",
        "%res = arith.extf %av : bf16 to f32",
        np.float32,
    )
    x = np.concatenate(
        [
            RNG.standard_normal(10_000) * 10.0 ** RNG.uniform(-30, 30, 10_000),
            [np.nan, np.inf, -np.inf, 0.0, -0.0, 3.4e38, 1.0 + 2**-8, 1.0 + 3 * 2**-8],
        ]
    ).astype(np.float32)
    x = np.concatenate(
        [x, np.array([0x7F800001, 0xFFFFFFFF], np.uint32).view(np.float32)]
    )
    bits = narrow(x)
    np.testing.assert_array_equal(bits[~np.isnan(x)], _to_bf16_bits(x)[~np.isnan(x)])
    assert np.isnan(_from_bf16_bits(bits[np.isnan(x)])).all()
    np.testing.assert_array_equal(wide(bits), _from_bf16_bits(bits))


def test_bf16_arithmetic_computes_in_f32(jit: Jit) -> None:
    kernel = compile_elementwise(
        jit, "bf16_mul", ["bf16", "bf16"], "bf16",
        "%res = arith.mulf %av, %bv : bf16", np.uint16,
    )  # fmt: skip
    a = _to_bf16_bits(RNG.standard_normal(10_000))
    b = _to_bf16_bits(RNG.standard_normal(10_000))
    want = _to_bf16_bits(_from_bf16_bits(a) * _from_bf16_bits(b))
    np.testing.assert_array_equal(kernel(a, b), want)


def test_f16_arithmetic_is_native(jit: Jit) -> None:
    kernel = compile_elementwise(
        jit,
        "f16_add",
        ["f16", "f16"],
        "f16",
        "%res = arith.addf %av, %bv : f16",
        np.float16,
    )
    a = RNG.standard_normal(10_000).astype(np.float16)
    b = RNG.standard_normal(10_000).astype(np.float16)
    np.testing.assert_array_equal(kernel(a, b), a + b)


# ------------------------------------------------------------------ cpu ops
CPU_KERNEL = """
func.func @saxpy_sum(%chunks: i64, %s: f32, %x: !llvm.ptr, %y: !llvm.ptr, %sums: !llvm.ptr) {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %n = arith.index_cast %chunks : i64 to index
  %vs = cpu.vbroadcast %s : f32 -> vector<16xf32>
  cpu.parallel %k = %c0 to %n {
    %off = arith.muli %k, %c16 : index
    %vx = cpu.vload %x[%off] align = 4 : !llvm.ptr -> vector<16xf32>
    %vy = cpu.vload %y[%off] align = 4 : !llvm.ptr -> vector<16xf32>
    %r = cpu.vfma %vs, %vx, %vy : vector<16xf32>
    cpu.vstore %r, %y[%off] align = 4 : vector<16xf32>, !llvm.ptr
    %sum = cpu.vreduce add %r : vector<16xf32> -> f32
    %max = cpu.vreduce max %r : vector<16xf32> -> f32
    %pair = arith.muli %k, %c16 : index
    %ki = arith.index_cast %k : index to i64
    %two = arith.constant 2 : i64
    %at = arith.muli %ki, %two : i64
    %psum = llvm.getelementptr %sums[%at] : (!llvm.ptr, i64) -> !llvm.ptr, f32
    llvm.store %sum, %psum {alignment = 4 : i64} : f32, !llvm.ptr
    %pmax = llvm.getelementptr %psum[1] : (!llvm.ptr) -> !llvm.ptr, f32
    llvm.store %max, %pmax {alignment = 4 : i64} : f32, !llvm.ptr
    cpu.yield
  }
  func.return
}
"""


def test_cpu_vector_ops_and_parallel_loop(jit: Jit) -> None:
    address = jit.address("saxpy_sum", lambda: CPU_KERNEL)
    signature = ctypes.CFUNCTYPE(
        None,
        ctypes.c_int64,
        ctypes.c_float,
        ctypes.c_void_p,
        ctypes.c_void_p,
        ctypes.c_void_p,
    )
    kernel = signature(address)
    chunks = 37
    # Offset views: only 4-byte aligned, so an over-aligned vector access would fault.
    x = np.empty(chunks * 16 + 1, np.float32)[1:]
    y = np.empty(chunks * 16 + 1, np.float32)[1:]
    x[:] = RNG.standard_normal(chunks * 16)
    y[:] = RNG.standard_normal(chunks * 16)
    sums = np.empty((chunks, 2), np.float32)
    expected = np.float32(1.5) * x + y
    kernel(chunks, 1.5, x.ctypes.data, y.ctypes.data, sums.ctypes.data)
    np.testing.assert_allclose(y, expected, rtol=1e-6, atol=1e-6)  # fma: one rounding
    rows = y.reshape(chunks, 16)
    np.testing.assert_allclose(sums[:, 0], rows.sum(axis=1), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(sums[:, 1], rows.max(axis=1))


def test_lowered_modules_leave_no_stale_symbols() -> None:
    """Two kernels in one module share one libm declaration (f64 exp)."""
    text = elementwise_kernel("e1", ["f64"], "f64", "%res = math.exp %av : f64")
    text += elementwise_kernel("e2", ["f64"], "f64", "%res = math.exp %av : f64")
    ir = lower(text)
    assert ir.count('declare double @"exp"(double') == 1
