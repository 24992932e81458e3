"""`convert-math-to-llvm`: `math` ops -> LLVM intrinsics or branch-free f32 code.

A loop whose body calls libm's scalar `expf` cannot be vectorised, so the
transcendental functions on f32 are expanded here into straight-line `arith`
code (selects, no branches) that LLVM's loop vectoriser turns into zmm code:

- exp, exp2: Cody-Waite reduction x = n ln2 + r, |r| <= ln2/2, Cephes'
  polynomial for e^r (degree 7 in all), and 2^n applied exactly down to the
  subnormals: as two power-of-two factors built from exponent bits (8
  integer and float ops per element), or, with `vector-ldexp` (the host
  has AVX-512, whose `vscalefps` LLVM selects for a vector `llvm.ldexp`),
  as one ldexp.  Without AVX-512 LLVM scalarises a vector ldexp into libm
  calls, hence the option rather than ldexp everywhere.
- log, log2, log10: frexp-style split x = m 2^e, m in [sqrt(1/2), sqrt(2)),
  Cephes' degree-9 polynomial for log(m).
- expm1 (Taylor series below |x| < 1/2, else exp - 1), log1p (log(1+x)
  corrected by x / ((1+x) - 1)).
- tanh: Cephes' odd polynomial below |x| < 0.625, else 1 - 2 / (e^{2|x|} + 1).
- erf: Cephes' odd polynomial below |x| < 1, else Abramowitz-Stegun 7.1.26
  (absolute error <= 1.5e-7) times e^{-x^2}; +-1 beyond |x| > 4.
- sin, cos: x = q pi/2 + r with q from a two-part 2/pi and a three-part pi/2
  applied with fma (1e-7 absolute error up to |x| = 1e7, 1e-6 up to 1e9,
  bounded beyond), Cephes' polynomials on [-pi/4, pi/4], quadrant by select.
- rsqrt = 1 / sqrt; powf = exp(y log|x|) with C's special cases (x < 0 with
  an integer y, zeros, y = 0, x = 1).

Measured accuracy is 1-3 ulp (table in tests/transforms/test_to_llvm_numerics.py);
signed zeros, infinities and NaNs follow C.  fma is needed exactly only by
sin/cos (hosts without FMA get LLVM's correct but slow fallback); polynomial
steps and exp's reduction are `contract` mul/add pairs, fused into fmas only
where the host has them (half the instructions, one rounding).
xDSL's `expand-math-to-polynomials` only has a Taylor series for exp without
range reduction (useless beyond |x| ~ 1), so none of it is reused.

sqrt, fabs, floor, ceil, copysign, fma, round, roundeven and trunc map to LLVM
intrinsics (which vectorise).  f16 and bf16 compute in f32 (extend, compute,
truncate).  f64 transcendentals, and the f32 ones without an expansion (atan,
sinh, ...), call libm.  Math on vectors is not supported (xDSL's llvm compare
and select are scalar).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from xdsl.context import Context
from xdsl.dialects import arith, llvm, math
from xdsl.dialects.builtin import (
    BFloat16Type,
    Float16Type,
    Float32Type,
    Float64Type,
    FloatAttr,
    IndexType,
    IntegerAttr,
    IntegerType,
    ModuleOp,
    VectorType,
    f32,
    i32,
)
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.utils.type import get_element_type_or_self

from xunity.ir.numerics import (
    CONTRACT,
    COS_POLY,
    ERF_POLY,
    ERFC_AS_P,
    ERFC_AS_POLY,
    EXP_POLY,
    INF,
    LN2,
    LN2_HI,
    LN2_LO,
    LOG2E,
    LOG_POLY,
    NAN,
    PI_OVER_2,
    SIN_POLY,
    SQRT_HALF,
    TANH_POLY,
    TWO_OVER_PI,
)
from xunity.lowering.llvm_patterns import (
    check_lowered,
    declare_function,
    replace_by_intrinsic_call,
)

PASS_NAME = "convert-math-to-llvm"


_FLOAT_MATH = (
    math.FloatingPointLikeUnaryMathOperation,
    math.FloatingPointLikeBinaryMathOperation,
    math.FmaOp,
)


# ------------------------------------------------------------------ f16 / bf16
class PromoteHalfMath(RewritePattern):
    """math.op(x : f16|bf16)  ==>  truncf(math.op(extf(x) : f32))"""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not isinstance(op, _FLOAT_MATH):
            return
        result_type = op.results[0].type
        if not isinstance(
            get_element_type_or_self(result_type), Float16Type | BFloat16Type
        ):
            return
        wide_type = (
            VectorType(f32, result_type.get_shape())
            if isinstance(result_type, VectorType)
            else f32
        )
        operands = [
            rewriter.insert(arith.ExtFOp(operand, wide_type)).result
            for operand in op.operands
        ]
        wide = rewriter.insert(
            type(op).create(
                operands=operands,
                result_types=[wide_type],
                properties=dict(op.properties),
                attributes=dict(op.attributes),
            )
        )
        rewriter.replace(op, [arith.TruncFOp(wide.results[0], result_type)])


# ------------------------------------------------------------------ intrinsics
_INTRINSIC_OPS: dict[type[Operation], Callable[..., Operation]] = {
    math.SqrtOp: llvm.FSqrtOp,
    math.AbsFOp: lambda x: llvm.FAbsOp(x, SSAValue.get(x).type),
    math.FloorOp: llvm.FFloorOp,
    math.CeilOp: llvm.FCeilOp,
    math.CopySignOp: llvm.FCopySignOp,
    math.FmaOp: llvm.FMAOp,
}
"""math ops that xDSL's llvm dialect has as intrinsic ops."""

_CALLED_INTRINSICS: dict[type[Operation], str] = {
    math.RoundEvenOp: "llvm.roundeven",
    math.RoundOp: "llvm.round",
    math.TruncOp: "llvm.trunc",
}
"""math ops that become `llvm.call_intrinsic` of an overloaded intrinsic."""


class IntrinsicLowering(RewritePattern):
    """math.sqrt x  ==>  llvm.intr.sqrt x (fabs, floor, ceil, copysign, fma, round*)"""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if (llvm_op := _INTRINSIC_OPS.get(type(op))) is not None:
            rewriter.replace(op, [llvm_op(*op.operands)])
            return
        if (name := _CALLED_INTRINSICS.get(type(op))) is not None:
            replace_by_intrinsic_call(op, name, rewriter)


class AbsILowering(RewritePattern):
    """math.absi x  ==>  select(x < 0, 0 - x, x)"""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: math.AbsIOp, rewriter: PatternRewriter) -> None:
        if isinstance(op.result.type, VectorType):
            return  # needs a vector llvm.select
        result_type = op.result.type
        assert isinstance(result_type, IntegerType | IndexType)
        zero = rewriter.insert(arith.ConstantOp(IntegerAttr(0, result_type)))
        negated = rewriter.insert(arith.SubiOp(zero, op.operand))
        negative = rewriter.insert(arith.CmpiOp(op.operand, zero, "slt"))
        rewriter.replace(op, [arith.SelectOp(negative, negated, op.operand)])


# ------------------------------------------------------------------ f32 expansions
@dataclass
class F32Emitter:
    """Inserts scalar f32 / i32 arith code before the op being rewritten."""

    rewriter: PatternRewriter
    vector_ldexp: bool = False
    """The host has a vector ldexp instruction (see the module doc)."""
    _constants: dict[str, SSAValue] = field(default_factory=dict)

    def _emit(self, op: Operation) -> SSAValue:
        return self.rewriter.insert(op).results[0]

    def f(self, value: float) -> SSAValue:
        key = f"f{value!r}"
        if key not in self._constants:
            self._constants[key] = self._emit(arith.ConstantOp(FloatAttr(value, f32)))
        return self._constants[key]

    def i(self, value: int) -> SSAValue:
        key = f"i{value}"
        if key not in self._constants:
            self._constants[key] = self._emit(arith.ConstantOp(IntegerAttr(value, i32)))
        return self._constants[key]

    # float arithmetic
    def add(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self._emit(arith.AddfOp(a, b))

    def sub(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self._emit(arith.SubfOp(a, b))

    def mul(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self._emit(arith.MulfOp(a, b))

    def div(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self._emit(arith.DivfOp(a, b))

    def fma(self, a: SSAValue, b: SSAValue, c: SSAValue) -> SSAValue:
        return self._emit(math.FmaOp(a, b, c))

    def neg(self, a: SSAValue) -> SSAValue:
        return self._emit(arith.NegfOp(a))

    def abs(self, a: SSAValue) -> SSAValue:
        return self._emit(math.AbsFOp(a))

    def floor(self, a: SSAValue) -> SSAValue:
        return self._emit(math.FloorOp(a))

    def roundeven(self, a: SSAValue) -> SSAValue:
        return self._emit(math.RoundEvenOp(a))

    def sqrt(self, a: SSAValue) -> SSAValue:
        return self._emit(math.SqrtOp(a))

    def copysign(self, magnitude: SSAValue, sign: SSAValue) -> SSAValue:
        return self._emit(math.CopySignOp(magnitude, sign))

    def poly(self, x: SSAValue, coefficients: Sequence[float]) -> SSAValue:
        """Horner's rule; coefficients from the highest power down to x^0.

        Each step is a `mul_add`: half the instructions with fma, and one
        rounding instead of two.
        """
        result = self.f(coefficients[0])
        for coefficient in coefficients[1:]:
            result = self.mul_add(result, x, self.f(coefficient))
        return result

    def mul_add(self, a: SSAValue, b: SSAValue, c: SSAValue) -> SSAValue:
        """a * b + c, one fma where the host has it (else two roundings)."""
        product = self._emit(arith.MulfOp(a, b, CONTRACT))
        return self._emit(arith.AddfOp(product, c, CONTRACT))

    # compares and selects
    def cmp(self, predicate: str, a: SSAValue, b: SSAValue) -> SSAValue:
        return self._emit(arith.CmpfOp(a, b, predicate))

    def select(self, cond: SSAValue, a: SSAValue, b: SSAValue) -> SSAValue:
        return self._emit(arith.SelectOp(cond, a, b))

    def is_nan(self, a: SSAValue) -> SSAValue:
        return self.cmp("uno", a, a)

    # integer bits
    def bits(self, a: SSAValue) -> SSAValue:
        return self._emit(arith.BitcastOp(a, i32))

    def from_bits(self, a: SSAValue) -> SSAValue:
        return self._emit(arith.BitcastOp(a, f32))

    def to_int(self, a: SSAValue) -> SSAValue:
        return self._emit(arith.FPToSIOp(a, i32))

    def to_float(self, a: SSAValue) -> SSAValue:
        return self._emit(arith.SIToFPOp(a, f32))

    def iadd(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self._emit(arith.AddiOp(a, b))

    def isub(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self._emit(arith.SubiOp(a, b))

    def iand(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self._emit(arith.AndIOp(a, b))

    def ior(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self._emit(arith.OrIOp(a, b))

    def shl(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self._emit(arith.ShLIOp(a, b))

    def ashr(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self._emit(arith.ShRSIOp(a, b))

    def lshr(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self._emit(arith.ShRUIOp(a, b))

    def icmp(self, predicate: str, a: SSAValue, b: SSAValue) -> SSAValue:
        return self._emit(arith.CmpiOp(a, b, predicate))

    def lrint(self, a: SSAValue) -> SSAValue:
        """a rounded to an i32 in the current (default: nearest-even) mode; an
        unspecified integer, not poison, when it does not fit (NaN)."""
        return self._emit(llvm.CallIntrinsicOp("llvm.lrint.i32.f32", [a], [i32]))

    def ldexp(self, a: SSAValue, exponent: SSAValue) -> SSAValue:
        """a * 2^exponent (i32), rounded once."""
        return self._emit(
            llvm.CallIntrinsicOp("llvm.ldexp.f32.i32", [a, exponent], [f32])
        )


def _scale_by_power_of_two(e: F32Emitter, p: SSAValue, n: SSAValue) -> SSAValue:
    """p * 2^n for an integral f32 n in [-151, 128], exact down to the subnormals."""
    ni = e.to_int(n)
    half = e.ashr(ni, e.i(1))
    rest = e.isub(ni, half)

    def power(k: SSAValue) -> SSAValue:
        return e.from_bits(e.shl(e.iadd(k, e.i(127)), e.i(23)))

    return e.mul(e.mul(p, power(half)), power(rest))


def _exp_of_reduced(e: F32Emitter, r: SSAValue) -> SSAValue:
    """e^r for |r| <= ln2/2."""
    r2 = e.mul(r, r)
    return e.add(e.mul_add(r2, e.poly(r, EXP_POLY), r), e.f(1.0))


def _clamp_finite(e: F32Emitter, x: SSAValue, lo: float, hi: float) -> SSAValue:
    """x clamped to [lo, hi]; NaN -> hi, so no poison reaches fptosi."""
    x = e.select(e.cmp("ugt", x, e.f(hi)), e.f(hi), x)
    x = e.select(e.cmp("olt", x, e.f(lo)), e.f(lo), x)
    return x


def _ldexp_exp(
    e: F32Emitter,
    x: SSAValue,
    bounds: tuple[float, float],
    log2_scale: float,
    reduce: Callable[[SSAValue, SSAValue], SSAValue],
) -> SSAValue:
    """2^n e^r, n = rint(x * log2_scale), r = reduce(x, n), scaled by one ldexp.

    The clamps keep NaN (they select on ordered compares), `lrint` gives
    some integer for it where `fptosi` would give poison, and the NaN then
    flows through r and the polynomial: no select at the end, and no
    roundeven next to the conversion (vcvtps2dq rounds to nearest even).
    """
    lo, hi = bounds
    xc = e.select(e.cmp("ogt", x, e.f(hi)), e.f(hi), x)
    xc = e.select(e.cmp("olt", xc, e.f(lo)), e.f(lo), xc)
    ni = e.lrint(xc if log2_scale == 1.0 else e.mul(xc, e.f(log2_scale)))
    r = reduce(xc, e.to_float(ni))
    return e.ldexp(_exp_of_reduced(e, r), ni)


def _exp_reduction(e: F32Emitter) -> Callable[[SSAValue, SSAValue], SSAValue]:
    """r = x - n ln2 in two parts (Cody-Waite)."""
    return lambda x, n: e.mul_add(n, e.f(-LN2_LO), e.mul_add(n, e.f(-LN2_HI), x))


def _exp2_reduction(e: F32Emitter) -> Callable[[SSAValue, SSAValue], SSAValue]:
    """r = (x - n) ln2 (x - n is exact)."""
    return lambda x, n: e.mul(e.sub(x, n), e.f(LN2))


def exp_f32(e: F32Emitter, x: SSAValue) -> SSAValue:
    if e.vector_ldexp:
        return _ldexp_exp(e, x, (-104.0, 88.8), LOG2E, _exp_reduction(e))
    xc = _clamp_finite(e, x, -104.0, 88.8)
    n = e.roundeven(e.mul(xc, e.f(LOG2E)))
    result = _scale_by_power_of_two(e, _exp_of_reduced(e, _exp_reduction(e)(xc, n)), n)
    return e.select(e.is_nan(x), x, result)


def exp2_f32(e: F32Emitter, x: SSAValue) -> SSAValue:
    if e.vector_ldexp:
        return _ldexp_exp(e, x, (-151.0, 128.5), 1.0, _exp2_reduction(e))
    xc = _clamp_finite(e, x, -151.0, 128.5)
    n = e.roundeven(xc)
    result = _scale_by_power_of_two(e, _exp_of_reduced(e, _exp2_reduction(e)(xc, n)), n)
    return e.select(e.is_nan(x), x, result)


def expm1_f32(e: F32Emitter, x: SSAValue) -> SSAValue:
    # Taylor to x^9 / 9!: error < 3e-10 relative on |x| < 1/2.
    coefficients = [1.0 / f for f in (362880, 40320, 5040, 720, 120, 24, 6, 2, 1)]
    small = e.mul(e.poly(x, coefficients), x)
    large = e.sub(exp_f32(e, x), e.f(1.0))
    return e.select(e.cmp("olt", e.abs(x), e.f(0.5)), small, large)


def log_f32(e: F32Emitter, x: SSAValue) -> SSAValue:
    # Subnormals: scale by 2^23 first so that the exponent field is meaningful.
    subnormal = e.cmp("olt", x, e.f(1.17549435e-38))
    xs = e.select(subnormal, e.mul(x, e.f(8388608.0)), x)
    bits = e.bits(xs)
    exponent = e.isub(e.iand(e.lshr(bits, e.i(23)), e.i(0xFF)), e.i(126))
    exponent = e.select(subnormal, e.isub(exponent, e.i(23)), exponent)
    m = e.from_bits(e.ior(e.iand(bits, e.i(0x807FFFFF)), e.i(0x3F000000)))  # [0.5, 1)
    below = e.cmp("olt", m, e.f(SQRT_HALF))
    exponent = e.select(below, e.isub(exponent, e.i(1)), exponent)
    m = e.sub(e.select(below, e.add(m, m), m), e.f(1.0))
    fe = e.to_float(exponent)
    z = e.mul(m, m)
    y = e.mul(e.mul(e.poly(m, LOG_POLY), m), z)
    y = e.add(y, e.mul(fe, e.f(LN2_LO)))
    y = e.sub(y, e.mul(z, e.f(0.5)))
    result = e.add(e.add(m, y), e.mul(fe, e.f(LN2_HI)))
    result = e.select(e.cmp("oeq", x, e.f(INF)), x, result)
    result = e.select(e.cmp("oeq", x, e.f(0.0)), e.f(-INF), result)
    return e.select(e.cmp("ult", x, e.f(0.0)), e.f(NAN), result)  # x < 0 or NaN


def log2_f32(e: F32Emitter, x: SSAValue) -> SSAValue:
    return e.mul(log_f32(e, x), e.f(LOG2E))


def log10_f32(e: F32Emitter, x: SSAValue) -> SSAValue:
    return e.mul(log_f32(e, x), e.f(0.434294481903251828))


def log1p_f32(e: F32Emitter, x: SSAValue) -> SSAValue:
    # log(u) * x / (u - 1) with u = 1 + x cancels the rounding of 1 + x.
    u = e.add(x, e.f(1.0))
    d = e.sub(u, e.f(1.0))
    corrected = e.mul(log_f32(e, u), e.div(x, d))
    result = e.select(e.cmp("oeq", d, e.f(0.0)), x, corrected)
    return e.select(e.cmp("oeq", u, e.f(INF)), u, result)


def tanh_f32(e: F32Emitter, x: SSAValue) -> SSAValue:
    z = e.mul(x, x)
    small = e.add(e.mul(e.mul(e.poly(z, TANH_POLY), z), x), x)
    ax = e.abs(x)
    clamped = e.select(e.cmp("ogt", ax, e.f(10.0)), e.f(10.0), ax)  # tanh(10) == 1.0f
    exp2x = exp_f32(e, e.add(clamped, clamped))
    large = e.sub(e.f(1.0), e.div(e.f(2.0), e.add(exp2x, e.f(1.0))))
    large = e.copysign(large, x)
    result = e.select(e.cmp("olt", ax, e.f(0.625)), small, large)
    return e.select(e.cmp("oeq", x, e.f(0.0)), x, result)  # tanh(-0) is -0


def erf_f32(e: F32Emitter, x: SSAValue) -> SSAValue:
    small = e.mul(x, e.poly(e.mul(x, x), ERF_POLY))
    ax = e.abs(x)
    clamped = e.select(e.cmp("ogt", ax, e.f(4.0)), e.f(4.0), ax)  # erf(4) == 1.0f
    t = e.div(e.f(1.0), e.add(e.mul(clamped, e.f(ERFC_AS_P)), e.f(1.0)))
    erfc = e.mul(e.poly(t, ERFC_AS_POLY), exp_f32(e, e.neg(e.mul(clamped, clamped))))
    large = e.copysign(e.sub(e.f(1.0), erfc), x)
    return e.select(e.cmp("olt", ax, e.f(1.0)), small, large)


def _sin_cos_f32(e: F32Emitter, x: SSAValue, quadrant_shift: int) -> SSAValue:
    """sin(x + quadrant_shift * pi/2)."""
    finite = e.cmp("olt", e.abs(x), e.f(INF))
    xs = e.select(finite, x, e.f(0.0))
    # x 2/pi = hi + lo exactly enough; the quadrant count q = qa + qb, with qa the
    # integer nearest hi and qb the one nearest the rest, is then right even when
    # hi has no fraction bits left (|x| > 2^24).
    hi = e.mul(xs, e.f(TWO_OVER_PI[0]))
    lo = e.fma(xs, e.f(TWO_OVER_PI[1]), e.fma(xs, e.f(TWO_OVER_PI[0]), e.neg(hi)))
    qa = e.roundeven(hi)
    qb = e.roundeven(e.add(e.sub(hi, qa), lo))
    r = xs
    for part in PI_OVER_2:
        r = e.fma(e.neg(qa), e.f(part), r)
        r = e.fma(e.neg(qb), e.f(part), r)
    # Beyond |x| ~ 1e9 the reduction loses all bits; keep the result in [-1, 1].
    quarter_pi = 0.785398163397448310
    r = e.select(e.cmp("ogt", r, e.f(quarter_pi)), e.f(quarter_pi), r)
    r = e.select(e.cmp("olt", r, e.f(-quarter_pi)), e.f(-quarter_pi), r)
    # qa mod 4 in float arithmetic (exact), so that fptosi never overflows.
    qa_mod_4 = e.sub(qa, e.mul(e.floor(e.mul(qa, e.f(0.25))), e.f(4.0)))
    quadrant = e.iadd(e.iadd(e.to_int(qa_mod_4), e.to_int(qb)), e.i(quadrant_shift))
    z = e.mul(r, r)
    sin_r = e.add(e.mul(e.mul(e.poly(z, SIN_POLY), z), r), r)
    cos_r = e.add(
        e.sub(e.f(1.0), e.mul(z, e.f(0.5))), e.mul(e.mul(z, z), e.poly(z, COS_POLY))
    )
    odd = e.icmp("ne", e.iand(quadrant, e.i(1)), e.i(0))
    negate = e.icmp("ne", e.iand(quadrant, e.i(2)), e.i(0))
    y = e.select(odd, cos_r, sin_r)
    y = e.select(negate, e.neg(y), y)
    return e.select(finite, y, e.f(NAN))


def sin_f32(e: F32Emitter, x: SSAValue) -> SSAValue:
    # The reduction turns -0 into +0; sin(-0) is -0.
    return e.select(e.cmp("oeq", x, e.f(0.0)), x, _sin_cos_f32(e, x, 0))


def cos_f32(e: F32Emitter, x: SSAValue) -> SSAValue:
    return _sin_cos_f32(e, x, 1)


def rsqrt_f32(e: F32Emitter, x: SSAValue) -> SSAValue:
    return e.div(e.f(1.0), e.sqrt(x))


def powf_f32(e: F32Emitter, x: SSAValue, y: SSAValue) -> SSAValue:
    magnitude = exp_f32(e, e.mul(y, log_f32(e, e.abs(x))))
    # x < 0: defined for integral y only; odd y keeps the sign.
    integral = e.cmp("oeq", e.floor(y), y)
    half_y = e.mul(y, e.f(0.5))
    odd = e.cmp("one", e.floor(half_y), half_y)
    odd = e.select(integral, odd, integral)
    signed = e.select(odd, e.neg(magnitude), magnitude)
    negative_result = e.select(integral, signed, e.f(NAN))
    result = e.select(e.cmp("olt", x, e.f(0.0)), negative_result, magnitude)
    one = e.f(1.0)
    result = e.select(e.cmp("oeq", y, e.f(0.0)), one, result)  # pow(x, 0) == 1
    return e.select(e.cmp("oeq", x, one), one, result)  # pow(1, y) == 1


_F32_EXPANSIONS: dict[type[Operation], Callable[..., SSAValue]] = {
    math.ExpOp: exp_f32,
    math.Exp2Op: exp2_f32,
    math.ExpM1Op: expm1_f32,
    math.LogOp: log_f32,
    math.Log2Op: log2_f32,
    math.Log10Op: log10_f32,
    math.Log1pOp: log1p_f32,
    math.TanhOp: tanh_f32,
    math.ErfOp: erf_f32,
    math.SinOp: sin_f32,
    math.CosOp: cos_f32,
    math.RsqrtOp: rsqrt_f32,
    math.PowFOp: powf_f32,
}
"""math op -> its branch-free f32 expansion (operands in order)."""


@dataclass
class F32Expansion(RewritePattern):
    """math.exp x : f32  ==>  range reduction + polynomial in arith (see module doc)"""

    vector_ldexp: bool = False

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        expand = _F32_EXPANSIONS.get(type(op))
        if expand is None or not isinstance(op.results[0].type, Float32Type):
            return
        result = expand(F32Emitter(rewriter, self.vector_ldexp), *op.operands)
        rewriter.replace(op, [], [result])


class RsqrtF64Lowering(RewritePattern):
    """math.rsqrt x : f64  ==>  1 / sqrt(x)"""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: math.RsqrtOp, rewriter: PatternRewriter) -> None:
        if not isinstance(op.result.type, Float64Type):
            return
        one = rewriter.insert(arith.ConstantOp(FloatAttr(1.0, op.result.type)))
        root = rewriter.insert(math.SqrtOp(op.operand))
        rewriter.replace(op, [arith.DivfOp(one, root)])


# ------------------------------------------------------------------ libm
_LIBM_NAMES: dict[type[Operation], str] = {
    math.ExpOp: "exp",
    math.Exp2Op: "exp2",
    math.ExpM1Op: "expm1",
    math.LogOp: "log",
    math.Log2Op: "log2",
    math.Log10Op: "log10",
    math.Log1pOp: "log1p",
    math.TanhOp: "tanh",
    math.ErfOp: "erf",
    math.SinOp: "sin",
    math.CosOp: "cos",
    math.TanOp: "tan",
    math.PowFOp: "pow",
    math.AtanOp: "atan",
    math.Atan2Op: "atan2",
    math.AsinOp: "asin",
    math.AcosOp: "acos",
    math.SinhOp: "sinh",
    math.CoshOp: "cosh",
    math.AsinhOp: "asinh",
    math.AcoshOp: "acosh",
    math.AtanhOp: "atanh",
    math.CbrtOp: "cbrt",
}
"""math op -> the C double function; the float one has an `f` suffix."""


class LibmCallLowering(RewritePattern):
    """math.atan x : f32  ==>  llvm.call @atanf(x) (declared once per module)"""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        base = _LIBM_NAMES.get(type(op))
        if base is None:
            return
        result_type: Attribute = op.results[0].type
        if not isinstance(result_type, Float32Type | Float64Type):
            return
        name = base + ("f" if isinstance(result_type, Float32Type) else "")
        operand_types = [operand.type for operand in op.operands]
        declare_function(rewriter, op, name, operand_types, result_type)
        rewriter.replace(op, [llvm.CallOp(name, *op.operands, return_type=result_type)])


@dataclass(frozen=True)
class ConvertMathToLlvmPass(ModulePass):
    """Lower every `math` op to llvm intrinsics, f32 expansions or libm calls."""

    name = "convert-math-to-llvm"

    vector_ldexp: bool = False
    """Scale exp's 2^n with `llvm.ldexp` (only fast where the host has AVX-512)."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(PromoteHalfMath()).rewrite_module(op)
        PatternRewriteWalker(
            GreedyRewritePatternApplier(
                [
                    F32Expansion(self.vector_ldexp),
                    RsqrtF64Lowering(),
                    IntrinsicLowering(),
                    AbsILowering(),
                    LibmCallLowering(),
                ]
            )
        ).rewrite_module(op)
        check_lowered(op, PASS_NAME, "math", _unsupported_reason)


def _unsupported_reason(op: Operation) -> str:
    if any(isinstance(r.type, VectorType) for r in op.results):
        return "vector math is not supported (xDSL's llvm.select is scalar)"
    return "no lowering to llvm"
