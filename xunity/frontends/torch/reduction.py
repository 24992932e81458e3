"""Converters for reductions: sum, mean, amax / amin, max / min (of all
elements), argmax.

A missing or empty `dim` reduces every axis, as in torch.  The input is first
cast to the dtype torch recorded for the result, so `sum` of a bool or i32
tensor accumulates in i64 and `mean(..., dtype=...)` in the requested type.
"""

from __future__ import annotations

from collections.abc import Sequence

from xunity.dialects.graph import reduction as r
from xunity.dialects.graph.base import tensor_type
from xunity.frontends.torch.converter import NodeContext, Output, converter

REDUCTIONS: dict[str, type[r.AxesReductionOp]] = {
    "aten.sum.dim_IntList": r.SumOp,
    "aten.sum.default": r.SumOp,
    "aten.mean.dim": r.MeanOp,
    "aten.mean.default": r.MeanOp,
    "aten.amax.default": r.MaxOp,
    "aten.amin.default": r.MinOp,
    "aten.max.default": r.MaxOp,
    "aten.min.default": r.MinOp,
}


@converter(*REDUCTIONS)
def convert_reduction(ctx: NodeContext) -> Sequence[Output]:
    x = ctx.cast(ctx.tensor("self"), ctx.result_element_type())
    rank = tensor_type(x).rank
    has_dim = ctx.has_arg("dim")  # sum.default, max.default: all elements
    axes = ctx.ints("dim") if has_dim and ctx.arg("dim") is not None else []
    keepdims = has_dim and bool(ctx.arg("keepdim"))
    op = REDUCTIONS[str(ctx.node.target)](x, axes or list(range(rank)), keepdims)
    return [ctx.emit(op).result]


@converter("aten.argmax.default")
def convert_argmax(ctx: NodeContext) -> Sequence[Output]:
    dim = ctx.arg("dim")
    axis = None if dim is None else ctx.int_arg("dim")
    op = r.ArgmaxOp(ctx.tensor("self"), axis, bool(ctx.arg("keepdim")))
    return [ctx.emit(op).result]
