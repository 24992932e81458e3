"""Converters for elementwise ONNX ops: math, arithmetic, comparisons, logic,
`Where`, `Cast`, `Clip` and the pass-through ops (`Identity`, `Dropout`).

ONNX broadcasting is numpy's, as is the graph dialect's, so binary ops map
one to one.  Ops without a graph op decompose: `And(a, b)` is
`where(a, b, a)`, `Reciprocal(x)` is `1 / x`, `Clip` is `maximum` then
`minimum`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from xdsl.ir import Attribute, SSAValue

from xunity.dialects.graph import elementwise as ew
from xunity.dialects.graph.base import tensor_type
from xunity.dialects.graph.types import BOOL_TYPE
from xunity.frontends.onnx.converter import NodeContext, Output, converter
from xunity.frontends.onnx.types import element_type_of, element_type_of_numpy

UNARY: dict[str, type[ew.UnaryElementwiseOp]] = {
    "Relu": ew.ReluOp,
    "Sigmoid": ew.SigmoidOp,
    "Tanh": ew.TanhOp,
    "Erf": ew.ErfOp,
    "Exp": ew.ExpOp,
    "Log": ew.LogOp,
    "Sqrt": ew.SqrtOp,
    "Neg": ew.NegOp,
    "Abs": ew.AbsOp,
    "Sin": ew.SinOp,
    "Cos": ew.CosOp,
}

BINARY: dict[str, type[ew.BinaryElementwiseOp]] = {
    "Add": ew.AddOp,
    "Sub": ew.SubOp,
    "Mul": ew.MulOp,
    "Div": ew.DivOp,
    "Equal": ew.EqualOp,
    "Less": ew.LessOp,
    "LessOrEqual": ew.LessEqualOp,
    "Greater": ew.GreaterOp,
    "GreaterOrEqual": ew.GreaterEqualOp,
    "Xor": ew.NotEqualOp,
}

VARIADIC: dict[str, type[ew.BinaryElementwiseOp]] = {
    "Max": ew.MaximumOp,
    "Min": ew.MinimumOp,
    "Sum": ew.AddOp,
}


@converter(*UNARY)
def convert_unary(ctx: NodeContext) -> Sequence[Output]:
    return [ctx.emit(UNARY[ctx.node.op_type](ctx.input(0))).result]


@converter(*BINARY)
def convert_binary(ctx: NodeContext) -> Sequence[Output]:
    op = BINARY[ctx.node.op_type](ctx.input(0), ctx.input(1))
    return [ctx.emit(op).result]


@converter(*VARIADIC, "Mean")
def convert_variadic(ctx: NodeContext) -> Sequence[Output]:
    op_class = VARIADIC.get(ctx.node.op_type, ew.AddOp)
    inputs = ctx.inputs()
    result = inputs[0]
    for value in inputs[1:]:
        result = ctx.emit(op_class(result, value)).result
    if ctx.node.op_type == "Mean":
        count = ctx.scalar(len(inputs), result)
        result = ctx.emit(ew.DivOp(result, count)).result
    return [result]


@converter("Pow")
def convert_pow(ctx: NodeContext) -> Sequence[Output]:
    base, exponent = ctx.input(0), ctx.input(1)
    element_type = tensor_type(base).element_type
    if tensor_type(exponent).element_type != element_type:
        # Pow-12 allows an exponent of another type; the graph op does not.
        exponent = ctx.emit(ew.AsTypeOp(exponent, element_type)).result
    return [ctx.emit(ew.PowOp(base, exponent)).result]


@converter("Reciprocal")
def convert_reciprocal(ctx: NodeContext) -> Sequence[Output]:
    x = ctx.input(0)
    return [ctx.emit(ew.DivOp(ctx.scalar(1, x), x)).result]


@converter("Gelu")
def convert_gelu(ctx: NodeContext) -> Sequence[Output]:
    approximate = ctx.attr("approximate", "none")
    if approximate not in ("none", "tanh"):
        raise ctx.error(f"unknown approximate='{approximate}'")
    op_class = ew.GeluTanhOp if approximate == "tanh" else ew.GeluOp
    return [ctx.emit(op_class(ctx.input(0))).result]


@converter("Not")
def convert_not(ctx: NodeContext) -> Sequence[Output]:
    x = ctx.input(0)
    false = ctx.constant(np.array(False))
    return [ctx.emit(ew.EqualOp(x, false)).result]


@converter("And", "Or")
def convert_logic(ctx: NodeContext) -> Sequence[Output]:
    a, b = ctx.input(0), ctx.input(1)
    # a and b == where(a, b, a); a or b == where(a, a, b)
    op = ew.WhereOp(a, b, a) if ctx.node.op_type == "And" else ew.WhereOp(a, a, b)
    return [ctx.emit(op).result]


@converter("Where")
def convert_where(ctx: NodeContext) -> Sequence[Output]:
    op = ew.WhereOp(ctx.input(0), ctx.input(1), ctx.input(2))
    return [ctx.emit(op).result]


@converter("Cast")
def convert_cast(ctx: NodeContext) -> Sequence[Output]:
    target = element_type_of(int(ctx.attr("to")), "Cast target")
    return [_cast(ctx, ctx.input(0), target)]


@converter("CastLike")
def convert_cast_like(ctx: NodeContext) -> Sequence[Output]:
    like = ctx.known(1)
    if like is not None:
        target = element_type_of_numpy(like.dtype, "CastLike target")
    else:
        target = ctx.input_type(1).element_type
    return [_cast(ctx, ctx.input(0), target)]


def _cast(ctx: NodeContext, x: SSAValue, target: Attribute) -> SSAValue:
    source = tensor_type(x).element_type
    if target == source:
        return x
    if target == BOOL_TYPE:
        # ONNX casts to bool by comparing with zero, not by truncation.
        return ctx.emit(ew.NotEqualOp(x, ctx.scalar(0, x))).result
    return ctx.emit(ew.AsTypeOp(x, target)).result


@converter("Clip")
def convert_clip(ctx: NodeContext) -> Sequence[Output]:
    x = ctx.input(0)
    bounds: list[tuple[type[ew.BinaryElementwiseOp], SSAValue | None]]
    if ctx.opset < 11:
        low, high = ctx.attr("min"), ctx.attr("max")
        bounds = [
            (ew.MaximumOp, None if low is None else ctx.scalar(low, x)),
            (ew.MinimumOp, None if high is None else ctx.scalar(high, x)),
        ]
    else:
        bounds = [
            (ew.MaximumOp, ctx.optional_input(1)),
            (ew.MinimumOp, ctx.optional_input(2)),
        ]
    for op_class, bound in bounds:
        if bound is not None:
            x = ctx.emit(op_class(x, bound)).result
    return [x]


# ------------------------------------------------------------------ activations
@converter("LeakyRelu", "PRelu", "Elu", "Selu")
def convert_rectifier(ctx: NodeContext) -> Sequence[Output]:
    """Piecewise: x where x > 0 (>= 0 for Selu), a slope or curve elsewhere."""
    x = ctx.input(0)
    op_type = ctx.node.op_type
    if op_type == "LeakyRelu":
        negative = _mul(ctx, x, ctx.scalar(float(ctx.attr("alpha", 0.01)), x))
    elif op_type == "PRelu":
        negative = _mul(ctx, x, ctx.input(1))
    else:
        alpha = ctx.attr(
            "alpha", 1.67326319217681884765625 if op_type == "Selu" else 1.0
        )
        expm1 = ctx.emit(
            ew.SubOp(ctx.emit(ew.ExpOp(x)).result, ctx.scalar(1, x))
        ).result
        negative = _mul(ctx, expm1, ctx.scalar(float(alpha), x))
    is_negative = ctx.emit(ew.LessOp(x, ctx.scalar(0, x))).result
    y = ctx.emit(ew.WhereOp(is_negative, negative, x)).result
    if op_type == "Selu":
        gamma = float(ctx.attr("gamma", 1.05070102214813232421875))
        y = _mul(ctx, y, ctx.scalar(gamma, y))
    return [y]


@converter("HardSigmoid", "HardSwish")
def convert_hard_sigmoid(ctx: NodeContext) -> Sequence[Output]:
    """max(0, min(1, alpha * x + beta)); HardSwish multiplies it by x."""
    x = ctx.input(0)
    swish = ctx.node.op_type == "HardSwish"
    alpha = 1 / 6 if swish else float(ctx.attr("alpha", 0.2))
    beta = 0.5 if swish else float(ctx.attr("beta", 0.5))
    y = _mul(ctx, x, ctx.scalar(alpha, x))
    y = ctx.emit(ew.AddOp(y, ctx.scalar(beta, x))).result
    y = ctx.emit(ew.MinimumOp(y, ctx.scalar(1, x))).result
    y = ctx.emit(ew.MaximumOp(y, ctx.scalar(0, x))).result
    return [_mul(ctx, x, y) if swish else y]


def _mul(ctx: NodeContext, a: SSAValue, b: SSAValue) -> SSAValue:
    return ctx.emit(ew.MulOp(a, b)).result


@converter("Identity")
def convert_identity(ctx: NodeContext) -> Sequence[Output]:
    return [ctx.input(0)]


@converter("Dropout")
def convert_dropout(ctx: NodeContext) -> Sequence[Output]:
    """Inference: the identity (a requested mask output is unsupported)."""
    if ctx.has_input(2):
        training = ctx.known(2)
        if training is None:
            raise ctx.error("training_mode must be known at import time")
        ratio = ctx.known(1) if ctx.has_input(1) else None
        if bool(training) and (ratio is None or float(ratio) != 0.0):
            raise ctx.error("training_mode=true is not supported")
    if ctx.output_used(1):
        raise ctx.error("the mask output is not supported")
    return [ctx.input(0)]
