"""Converters for reductions: ReduceSum / Mean / Max / Min, the derived ReduceL1,
ReduceL2, ReduceSumSquare and ReduceLogSumExp, and ArgMax.

Axes moved from an attribute to an optional input in opset 13 for ReduceSum
and in opset 18 for the others; `noop_with_empty_axes` turns an empty axes
list into the identity instead of a full reduction.
"""

from __future__ import annotations

from collections.abc import Sequence

from xunity.dialects.graph import elementwise as ew
from xunity.dialects.graph import reduction as r
from xunity.frontends.onnx.converter import NodeContext, Output, converter

REDUCTIONS: dict[str, type[r.AxesReductionOp]] = {
    "ReduceSum": r.SumOp,
    "ReduceMean": r.MeanOp,
    "ReduceMax": r.MaxOp,
    "ReduceMin": r.MinOp,
    "ReduceL1": r.SumOp,
    "ReduceL2": r.SumOp,
    "ReduceSumSquare": r.SumOp,
    "ReduceLogSumExp": r.SumOp,
}

AXES_INPUT_SINCE = {"ReduceSum": 13}
"""Opset from which axes are an input; 18 for the ops not listed."""


@converter(*REDUCTIONS)
def convert_reduce(ctx: NodeContext) -> Sequence[Output]:
    op_type = ctx.node.op_type
    x = ctx.input(0)
    if ctx.opset < AXES_INPUT_SINCE.get(op_type, 18):
        axes = ctx.attr("axes")
    else:
        axes = ctx.known_ints(1, "axes") if ctx.has_input(1) else None
    if not axes:
        if ctx.attr("noop_with_empty_axes", 0):
            return [x]
        axes = None
    if op_type == "ReduceL1":
        x = ctx.emit(ew.AbsOp(x)).result
    elif op_type in ("ReduceL2", "ReduceSumSquare"):
        x = ctx.emit(ew.MulOp(x, x)).result
    elif op_type == "ReduceLogSumExp":
        x = ctx.emit(ew.ExpOp(x)).result
    keepdims = bool(ctx.attr("keepdims", 1))
    axes_list = None if axes is None else [int(a) for a in axes]
    y = ctx.emit(REDUCTIONS[op_type](x, axes_list, keepdims)).result
    if op_type == "ReduceL2":
        y = ctx.emit(ew.SqrtOp(y)).result
    elif op_type == "ReduceLogSumExp":
        y = ctx.emit(ew.LogOp(y)).result
    return [y]


@converter("ArgMax", "ArgMin")
def convert_argmax(ctx: NodeContext) -> Sequence[Output]:
    """ArgMin is the ArgMax of -x (the first minimum is the first maximum of -x)."""
    if ctx.attr("select_last_index", 0):
        raise ctx.error("select_last_index=1 is not supported")
    x = ctx.input(0)
    if ctx.node.op_type == "ArgMin":
        x = ctx.emit(ew.NegOp(x)).result
    axis = int(ctx.attr("axis", 0))
    keepdims = bool(ctx.attr("keepdims", 1))
    return [ctx.emit(r.ArgmaxOp(x, axis, keepdims)).result]
