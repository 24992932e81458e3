"""Numeric constants of xunity's f32 math: fast-math flags, range-reduction
constants and polynomial coefficients.

The math expansions of convert-math-to-llvm evaluate these polynomials, and
kernels that inline part of a function (legalization's erf-based gelu) use
the same coefficients, so both round identically.  Coefficients are listed
highest degree first, as `F32Emitter.poly` takes them.
"""

from xdsl.dialects import arith
from xdsl.dialects.utils.fast_math import FastMathFlag

CONTRACT = arith.FastMathFlagsAttr([FastMathFlag.ALLOW_CONTRACT])
"""A multiply and the add that uses it may fuse into one fma."""

INF = float("inf")

NAN = float("nan")

LOG2E = 1.44269504088896341

LN2 = 0.693147180559945309

LN2_HI = 0.693359375  # few mantissa bits: n * LN2_HI is exact for |n| < 2^15

LN2_LO = -2.12194440e-4

EXP_POLY = (
    1.9875691500e-4,
    1.3981999507e-3,
    8.3334519073e-3,
    4.1665795894e-2,
    1.6666665459e-1,
    5.0000001201e-1,
)
"""Cephes expf: e^r = 1 + r + r^2 P(r) on |r| <= ln2/2."""

SQRT_HALF = 0.707106781186547524

LOG_POLY = (
    7.0376836292e-2,
    -1.1514610310e-1,
    1.1676998740e-1,
    -1.2420140846e-1,
    1.4249322787e-1,
    -1.6668057665e-1,
    2.0000714765e-1,
    -2.4999993993e-1,
    3.3333331174e-1,
)
"""Cephes logf: log(1 + m) = m - m^2/2 + m^3 P(m), sqrt(1/2) - 1 <= m < sqrt(2) - 1."""

TANH_POLY = (
    -5.70498872745e-3,
    2.06390887954e-2,
    -5.37397155531e-2,
    1.33314422036e-1,
    -3.33332819422e-1,
)
"""Cephes tanhf: tanh(x) = x + x z P(z), z = x^2, on |x| < 0.625."""

ERF_POLY = (
    7.853861353153693e-5,
    -8.010193625184903e-4,
    5.188327685732524e-3,
    -2.685381193529856e-2,
    1.128358514861418e-1,
    -3.761262582423300e-1,
    1.128379165726710e0,
)
"""Cephes erff: erf(x) = x P(x^2) on |x| < 1."""

ERFC_AS_P = 0.3275911

ERFC_AS_POLY = (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592, 0.0)
"""Abramowitz & Stegun 7.1.26: erfc(x) = t P(t) e^{-x^2}, t = 1 / (1 + p x), x >= 0."""

TWO_OVER_PI = (0.6366197466850281, 2.5682552973194106e-08)
"""2/pi as two f32 parts."""

PI_OVER_2 = (1.5707963705062866, -4.371138828673793e-08, -1.7151245100058819e-15)
"""pi/2 as three f32 parts; with fma each product is exact."""

SIN_POLY = (-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1)
"""Cephes sinf: sin(r) = r + r^3 P(r^2) on |r| <= pi/4."""

COS_POLY = (2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2)
"""Cephes cosf: cos(r) = 1 - r^2/2 + r^4 P(r^2) on |r| <= pi/4."""
