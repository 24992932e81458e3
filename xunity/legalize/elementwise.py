"""Kernels of the elementwise graph ops (unary math, broadcasting binary ops,
comparisons, where, astype): one `compute` each, with numpy semantics."""

from __future__ import annotations

import math as pymath
from collections.abc import Callable, Sequence

from xdsl.dialects import arith, math
from xdsl.ir import Operation, SSAValue

from xunity.dialects.graph import elementwise as ew
from xunity.ir.numerics import CONTRACT, ERFC_AS_P, ERFC_AS_POLY
from xunity.legalize.kernel_builder import (
    Emitter,
    KernelBuilder,
    LegalizeError,
    LegalizeRule,
    is_float_type,
)

Unary = Callable[[Emitter, SSAValue], SSAValue]
Binary = Callable[[Emitter, SSAValue, SSAValue], SSAValue]


def _sigmoid(e: Emitter, x: SSAValue) -> SSAValue:
    one = e.constant(1.0, x.type)
    return e.div(one, e.add(one, e.exp(e.neg(x))))


def _gelu(e: Emitter, x: SSAValue) -> SSAValue:
    """x * Phi(x), the normal CDF Phi from Abramowitz-Stegun 7.1.26 (Phi's
    absolute error <= 1.5e-7, as `math.erf`'s beyond |x| > 1):

        h = Phi(-|x|) = t P(t) e^{-x^2/2} / 2,  t = 1 / (1 + p |x| / sqrt 2)
        Phi(x) = 1 - h for x > 0, else h

    One exp and one division, about half of 0.5 x (1 + erf(x / sqrt 2)),
    which evaluates both of erf's branches.  NaN stays NaN, like the erf form.
    """
    one = e.constant(1.0, x.type)
    scaled = e.mul(e.math(math.AbsFOp, x), e.constant(_GELU_T_SCALE, x.type))
    t = e.div(one, e.add(one, scaled))
    gaussian = e.exp(e.mul(e.mul(x, x), e.constant(-0.5, x.type)))
    h = e.mul(_poly(e, t, _GELU_TAIL_POLY), gaussian)
    positive = e.compare("gt", x, e.constant(0.0, x.type))
    return e.mul(x, e.select(positive, e.sub(one, h), h))


_GELU_T_SCALE = ERFC_AS_P / pymath.sqrt(2.0)
_GELU_TAIL_POLY = tuple(0.5 * c for c in ERFC_AS_POLY)
"""t P(t) / 2 (halving is exact)."""


def _gelu_tanh(e: Emitter, x: SSAValue) -> SSAValue:
    """0.5 x (1 + tanh(u)) = x / (1 + e^{-2u}), u = sqrt(2/pi) (x + 0.044715 x^3):
    one exp and one division, and no cancellation in 1 + tanh(u) for u << 0."""
    cube = e.mul(e.mul(x, x), x)
    inner = e.add(x, e.mul(cube, e.constant(0.044715, x.type)))
    minus_2u = e.mul(inner, e.constant(-2.0 * pymath.sqrt(2.0 / pymath.pi), x.type))
    return e.div(x, e.add(e.constant(1.0, x.type), e.exp(minus_2u)))


def _poly(e: Emitter, x: SSAValue, coefficients: Sequence[float]) -> SSAValue:
    """Horner's rule (highest power first), each step contractible to an fma."""
    result = e.constant(coefficients[0], x.type)
    for coefficient in coefficients[1:]:
        product = e.emit(arith.MulfOp(result, x, CONTRACT))
        constant = e.constant(coefficient, x.type)
        result = e.emit(arith.AddfOp(product, constant, CONTRACT))
    return result


def _abs(e: Emitter, x: SSAValue) -> SSAValue:
    if is_float_type(x.type):
        return e.math(math.AbsFOp, x)
    return e.math(math.AbsIOp, x)


UNARY: dict[type[Operation], Unary] = {
    ew.NegOp: lambda e, x: e.neg(x),
    ew.AbsOp: _abs,
    ew.ExpOp: lambda e, x: e.exp(x),
    ew.LogOp: lambda e, x: e.math(math.LogOp, x),
    ew.SqrtOp: lambda e, x: e.math(math.SqrtOp, x),
    ew.RsqrtOp: lambda e, x: e.math(math.RsqrtOp, x),
    ew.TanhOp: lambda e, x: e.math(math.TanhOp, x),
    ew.SigmoidOp: _sigmoid,
    ew.ErfOp: lambda e, x: e.math(math.ErfOp, x),
    ew.ReluOp: lambda e, x: e.maximum(x, e.constant(0, x.type)),
    ew.GeluOp: _gelu,
    ew.GeluTanhOp: _gelu_tanh,
    ew.SiluOp: lambda e, x: e.mul(x, _sigmoid(e, x)),
    ew.CosOp: lambda e, x: e.math(math.CosOp, x),
    ew.SinOp: lambda e, x: e.math(math.SinOp, x),
}

BINARY: dict[type[Operation], Binary] = {
    ew.AddOp: Emitter.add,
    ew.SubOp: Emitter.sub,
    ew.MulOp: Emitter.mul,
    ew.DivOp: Emitter.div,
    ew.MaximumOp: Emitter.maximum,
    ew.MinimumOp: Emitter.minimum,
    ew.EqualOp: lambda e, a, b: e.compare("eq", a, b),
    ew.NotEqualOp: lambda e, a, b: e.compare("ne", a, b),
    ew.LessOp: lambda e, a, b: e.compare("lt", a, b),
    ew.LessEqualOp: lambda e, a, b: e.compare("le", a, b),
    ew.GreaterOp: lambda e, a, b: e.compare("gt", a, b),
    ew.GreaterEqualOp: lambda e, a, b: e.compare("ge", a, b),
}


def _pow(e: Emitter, a: SSAValue, b: SSAValue) -> SSAValue:
    if not is_float_type(a.type):
        raise LegalizeError("graph.pow: integer powers are not supported; use floats")
    return e.math(math.PowFOp, a, b)


BINARY[ew.PowOp] = _pow


def unary_rule(fn: Unary) -> LegalizeRule:
    def rule(op: Operation, kb: KernelBuilder) -> None:
        (x,), (out,) = kb.inputs, kb.outputs
        kb.compute(out, lambda e, ivs: fn(e, e.load(x, ivs)), name=op.name[6:])

    return rule


def binary_rule(fn: Binary) -> LegalizeRule:
    def rule(op: Operation, kb: KernelBuilder) -> None:
        (a, b), (out,) = kb.inputs, kb.outputs

        def value_at(e: Emitter, ivs: list[SSAValue]) -> SSAValue:
            lhs = e.load(a, a.broadcast_indices(ivs, kb.zero))
            rhs = e.load(b, b.broadcast_indices(ivs, kb.zero))
            return fn(e, lhs, rhs)

        kb.compute(out, value_at, name=op.name[6:])

    return rule


def where_rule(op: Operation, kb: KernelBuilder) -> None:
    (cond, a, b), (out,) = kb.inputs, kb.outputs

    def value_at(e: Emitter, ivs: list[SSAValue]) -> SSAValue:
        c = e.load(cond, cond.broadcast_indices(ivs, kb.zero))
        x = e.load(a, a.broadcast_indices(ivs, kb.zero))
        y = e.load(b, b.broadcast_indices(ivs, kb.zero))
        return e.select(c, x, y)

    kb.compute(out, value_at, name="where")


def astype_rule(op: Operation, kb: KernelBuilder) -> None:
    (x,), (out,) = kb.inputs, kb.outputs
    kb.compute(out, lambda e, ivs: e.load(x, ivs), name="astype")


RULES: dict[type[Operation], LegalizeRule] = {
    **{op: unary_rule(fn) for op, fn in UNARY.items()},
    **{op: binary_rule(fn) for op, fn in BINARY.items()},
    ew.WhereOp: where_rule,
    ew.AsTypeOp: astype_rule,
}
