"""Converters for tensor creation: full / zeros / ones (and their `_like`s),
scalar_tensor, arange, tril / triu.

Shapes and dtypes are read from what torch recorded for the result, so a
`torch.ones(n, n)` over a symbolic `n` is a `graph.full` of shape `[n, n]`.
`graph.arange` has constant bounds only.
"""

from __future__ import annotations

from collections.abc import Sequence

from xunity.dialects.graph.creation import ArangeOp, FullOp, TrilOp, TriuOp
from xunity.frontends.torch.converter import NodeContext, Output, converter
from xunity.ir.symbolic import SymExpr

FILLS: dict[str, float | None] = {
    "aten.full.default": None,
    "aten.full_like.default": None,
    "aten.scalar_tensor.default": None,
    "aten.zeros.default": 0,
    "aten.zeros_like.default": 0,
    "aten.ones.default": 1,
    "aten.ones_like.default": 1,
    "aten.new_zeros.default": 0,
    "aten.new_ones.default": 1,
}
"""Creation op -> its fill value (None: read from the arguments)."""


@converter(*FILLS)
def convert_full(ctx: NodeContext) -> Sequence[Output]:
    target = str(ctx.node.target)
    value = FILLS[target]
    if value is None:
        name = "s" if target == "aten.scalar_tensor.default" else "fill_value"
        value = ctx.arg(name)
    if isinstance(value, SymExpr):
        raise ctx.error(f"fill value {value} is a symbolic size, not a constant")
    return [ctx.emit(FullOp(float(value), ctx.result_type())).result]


@converter("aten.arange.default", "aten.arange.start", "aten.arange.start_step")
def convert_arange(ctx: NodeContext) -> Sequence[Output]:
    bounds = [
        ctx.arg(name) if ctx.has_arg(name) else default
        for name, default in (("start", 0), ("end", None), ("step", 1))
    ]
    values = [b.constant_value() if isinstance(b, SymExpr) else b for b in bounds]
    if not all(isinstance(v, int | float) and float(v).is_integer() for v in values):
        raise ctx.error(
            f"bounds {bounds} must be constant integers (graph.arange has no "
            "symbolic bounds)"
        )
    start, end, step = (int(v) for v in values)  # pyright: ignore[reportArgumentType]
    return [ctx.emit(ArangeOp(start, end, step, ctx.result_element_type())).result]


@converter("aten.tril.default", "aten.triu.default")
def convert_triangular(ctx: NodeContext) -> Sequence[Output]:
    op_class = TrilOp if str(ctx.node.target) == "aten.tril.default" else TriuOp
    op = op_class(ctx.tensor("self"), ctx.int_arg("diagonal"))
    return [ctx.emit(op).result]
