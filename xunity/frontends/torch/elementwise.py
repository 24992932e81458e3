"""Converters for elementwise ATen ops: math, arithmetic with tensors or scalars,
comparisons, `where` / `masked_fill`, dtype casts and the identities (`clone`,
`contiguous`, inference `dropout`, ...).

torch promotes mixed operands (`int_tensor * 0.5` is float); the graph ops
want equal element types, so each operand is cast to the dtype torch recorded
for the result (for comparisons, to the operands' promoted dtype).  Python
numbers become rank-0 constants, which broadcast as numpy does.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import fx
from xdsl.ir import Attribute, SSAValue

from xunity.dialects.graph import elementwise as ew
from xunity.frontends.torch.converter import (
    NodeContext,
    Output,
    converter,
    element_type_of,
)

UNARY: dict[str, type[ew.UnaryElementwiseOp]] = {
    "aten.relu.default": ew.ReluOp,
    "aten.sigmoid.default": ew.SigmoidOp,
    "aten.tanh.default": ew.TanhOp,
    "aten.silu.default": ew.SiluOp,
    "aten.exp.default": ew.ExpOp,
    "aten.log.default": ew.LogOp,
    "aten.sqrt.default": ew.SqrtOp,
    "aten.rsqrt.default": ew.RsqrtOp,
    "aten.neg.default": ew.NegOp,
    "aten.abs.default": ew.AbsOp,
    "aten.sin.default": ew.SinOp,
    "aten.cos.default": ew.CosOp,
    "aten.erf.default": ew.ErfOp,
}

BINARY: dict[str, type[ew.BinaryElementwiseOp]] = {
    "aten.add.Tensor": ew.AddOp,
    "aten.add.Scalar": ew.AddOp,
    "aten.sub.Tensor": ew.SubOp,
    "aten.sub.Scalar": ew.SubOp,
    "aten.mul.Tensor": ew.MulOp,
    "aten.mul.Scalar": ew.MulOp,
    "aten.div.Tensor": ew.DivOp,
    "aten.div.Scalar": ew.DivOp,
    "aten.maximum.default": ew.MaximumOp,
    "aten.minimum.default": ew.MinimumOp,
}

COMPARISONS: dict[str, type[ew.ComparisonOp]] = {
    f"aten.{name}.{overload}": op
    for name, op in (
        ("eq", ew.EqualOp),
        ("ne", ew.NotEqualOp),
        ("lt", ew.LessOp),
        ("le", ew.LessEqualOp),
        ("gt", ew.GreaterOp),
        ("ge", ew.GreaterEqualOp),
    )
    for overload in ("Tensor", "Scalar")
}

IDENTITIES = (
    "aten.clone.default",
    "aten.contiguous.default",
    "aten.alias.default",
    "aten.detach.default",
    "aten.detach_.default",
    "aten.lift_fresh_copy.default",
)


@converter(*UNARY)
def convert_unary(ctx: NodeContext) -> Sequence[Output]:
    x = ctx.operand("self", ctx.result_element_type())
    return [ctx.emit(UNARY[str(ctx.node.target)](x)).result]


@converter("aten.gelu.default")
def convert_gelu(ctx: NodeContext) -> Sequence[Output]:
    approximate = ctx.arg("approximate")
    if approximate not in ("none", "tanh"):
        raise ctx.error(f"unknown approximate='{approximate}'")
    op_class = ew.GeluTanhOp if approximate == "tanh" else ew.GeluOp
    return [ctx.emit(op_class(ctx.tensor("self"))).result]


@converter("aten.reciprocal.default")
def convert_reciprocal(ctx: NodeContext) -> Sequence[Output]:
    element_type = ctx.result_element_type()
    x = ctx.operand("self", element_type)
    return [ctx.emit(ew.DivOp(ctx.scalar(1, element_type), x)).result]


@converter(*BINARY)
def convert_binary(ctx: NodeContext) -> Sequence[Output]:
    element_type = ctx.result_element_type()
    lhs = ctx.operand("self", element_type)
    rhs = _scaled(ctx, ctx.operand("other", element_type), element_type)
    return [ctx.emit(BINARY[str(ctx.node.target)](lhs, rhs)).result]


@converter("aten.rsub.Scalar", "aten.rsub.Tensor")
def convert_rsub(ctx: NodeContext) -> Sequence[Output]:
    """other - alpha * self."""
    element_type = ctx.result_element_type()
    scaled = _scaled(ctx, ctx.operand("self", element_type), element_type)
    other = ctx.operand("other", element_type)
    return [ctx.emit(ew.SubOp(other, scaled)).result]


def _scaled(ctx: NodeContext, value: SSAValue, element_type: Attribute) -> SSAValue:
    """`alpha * value` for add/sub's `alpha` argument (1 leaves it alone)."""
    target = str(ctx.node.target)
    if not target.startswith(("aten.add.", "aten.sub.", "aten.rsub.")):
        return value
    alpha = ctx.arg("alpha")
    if alpha == 1:
        return value
    return ctx.emit(ew.MulOp(value, ctx.scalar(alpha, element_type))).result


@converter("aten.pow.Tensor_Scalar", "aten.pow.Tensor_Tensor", "aten.pow.Scalar")
def convert_pow(ctx: NodeContext) -> Sequence[Output]:
    element_type = ctx.result_element_type()
    base = ctx.operand("self", element_type)
    exponent = ctx.arg("exponent")
    # Square and square root are common (RMSNorm, std) and exact as mul / sqrt.
    if exponent == 1:
        return [base]
    if exponent == 2:
        return [ctx.emit(ew.MulOp(base, base)).result]
    if exponent == 0.5:
        return [ctx.emit(ew.SqrtOp(base)).result]
    power = ctx.operand("exponent", element_type)
    return [ctx.emit(ew.PowOp(base, power)).result]


@converter(*COMPARISONS)
def convert_comparison(ctx: NodeContext) -> Sequence[Output]:
    element_type = _promoted(ctx, "self", "other")
    lhs = ctx.operand("self", element_type)
    rhs = ctx.operand("other", element_type)
    return [ctx.emit(COMPARISONS[str(ctx.node.target)](lhs, rhs)).result]


def _promoted(ctx: NodeContext, *names: str) -> Attribute:
    """The element type torch computes these operands in (`torch.result_type`)."""
    vals = []
    for name in names:
        raw = ctx.raw_arg(name)
        vals.append(raw.meta["val"] if isinstance(raw, fx.Node) else raw)
    dtype = vals[0].dtype if len(vals) == 1 else torch.result_type(*vals)
    return element_type_of(dtype, f"{ctx.node.target}")


LOGICAL = {
    "aten.logical_and.default": "and",
    "aten.logical_or.default": "or",
    "aten.__and__.Tensor": "and",
    "aten.__or__.Tensor": "or",
    "aten.bitwise_and.Tensor": "and",
    "aten.bitwise_or.Tensor": "or",
}
"""Boolean connectives; the bitwise spellings only on bool tensors."""


@converter("aten.logical_not.default", "aten.bitwise_not.default")
def convert_logical_not(ctx: NodeContext) -> Sequence[Output]:
    boolean = _boolean(ctx)
    x = ctx.cast(ctx.tensor("self"), boolean)
    return [ctx.emit(ew.EqualOp(x, ctx.scalar(False, boolean))).result]


@converter(*LOGICAL)
def convert_logical(ctx: NodeContext) -> Sequence[Output]:
    boolean = _boolean(ctx)
    a = ctx.cast(ctx.tensor("self"), boolean)
    b = ctx.cast(ctx.tensor("other"), boolean)
    # a and b == where(a, b, a); a or b == where(a, a, b)
    is_and = LOGICAL[str(ctx.node.target)] == "and"
    op = ew.WhereOp(a, b, a) if is_and else ew.WhereOp(a, a, b)
    return [ctx.emit(op).result]


def _boolean(ctx: NodeContext) -> Attribute:
    if ctx.result_val.dtype != torch.bool:
        raise ctx.error(f"only bool tensors are supported, got {ctx.result_val.dtype}")
    return ctx.result_element_type()


@converter(
    "aten.where.self",
    "aten.where.ScalarSelf",
    "aten.where.ScalarOther",
    "aten.where.Scalar",
)
def convert_where(ctx: NodeContext) -> Sequence[Output]:
    element_type = ctx.result_element_type()
    condition = ctx.cast(ctx.tensor("condition"), element_type_of(torch.bool, "where"))
    a = ctx.operand("self", element_type)
    b = ctx.operand("other", element_type)
    return [ctx.emit(ew.WhereOp(condition, a, b)).result]


@converter("aten.masked_fill.Scalar", "aten.masked_fill.Tensor")
def convert_masked_fill(ctx: NodeContext) -> Sequence[Output]:
    """where(mask, value, self)."""
    element_type = ctx.result_element_type()
    mask = ctx.cast(ctx.tensor("mask"), element_type_of(torch.bool, "masked_fill"))
    x = ctx.operand("self", element_type)
    value = ctx.operand("value", element_type)
    return [ctx.emit(ew.WhereOp(mask, value, x)).result]


@converter("aten.clamp.default", "aten.hardtanh.default")
def convert_clamp(ctx: NodeContext) -> Sequence[Output]:
    element_type = ctx.result_element_type()
    x = ctx.operand("self", element_type)
    hardtanh = str(ctx.node.target) == "aten.hardtanh.default"
    low = ctx.arg("min_val" if hardtanh else "min")
    high = ctx.arg("max_val" if hardtanh else "max")
    if low is not None:
        x = ctx.emit(ew.MaximumOp(x, ctx.scalar(low, element_type))).result
    if high is not None:
        x = ctx.emit(ew.MinimumOp(x, ctx.scalar(high, element_type))).result
    return [x]


# ------------------------------------------------------------------ casts, identities
@converter(
    "aten.to.dtype",
    "aten.to.dtype_layout",
    "aten.to.device",
    "aten._to_copy.default",
    "aten.type_as.default",
)
def convert_to(ctx: NodeContext) -> Sequence[Output]:
    """A dtype cast to the dtype torch recorded (device and layout ignored)."""
    return [ctx.cast(ctx.tensor("self"), ctx.result_element_type())]


@converter(*IDENTITIES)
def convert_identity(ctx: NodeContext) -> Sequence[Output]:
    return [ctx.tensor("self")]


@converter("aten.dropout.default", "aten.feature_dropout.default")
def convert_dropout(ctx: NodeContext) -> Sequence[Output]:
    """Inference: the identity (export records `train`; True is rejected)."""
    if ctx.arg("train") and ctx.arg("p") != 0:
        raise ctx.error("dropout in training mode is not supported (call .eval())")
    return [ctx.tensor("input")]
