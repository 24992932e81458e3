"""Converters for neural-network ops: Conv, pooling, Softmax / LogSoftmax,
LayerNormalization and BatchNormalization (inference).

Convolution and pooling map onto the NCHW `graph.conv2d` / `*_pool2d`; a 1-D
window runs as a 2-D one of height 1.  ONNX's `auto_pad` and `ceil_mode` are
resolved into explicit padding here: SAME padding needs constant spatial dims
unless the stride is 1, and `ceil_mode` needs constant spatial dims.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from xdsl.ir import SSAValue

from xunity.dialects.graph import conv as c
from xunity.dialects.graph import elementwise as ew
from xunity.dialects.graph import manipulation as m
from xunity.dialects.graph import normalization as norm
from xunity.dialects.graph import reduction as r
from xunity.dialects.graph.base import tensor_type
from xunity.dialects.graph.creation import FullOp
from xunity.dialects.graph.inference import normalize_axis
from xunity.frontends.onnx.converter import NodeContext, Output, converter
from xunity.ir.symbolic import SymExpr, product


# ------------------------------------------------------------------ windows
@dataclass(frozen=True)
class Window:
    """Explicit 2-D window parameters in graph-dialect order."""

    kernel: list[int]
    strides: list[int]
    padding: list[int]
    """[top, left, bottom, right]: ONNX's [h_begin, w_begin, h_end, w_end]."""
    dilation: list[int]


def _window(
    ctx: NodeContext, spatial: Sequence[SymExpr], kernel: list[int], pool: bool
) -> Window:
    rank = len(spatial)
    if rank not in (1, 2) or len(kernel) != rank:
        raise ctx.error(f"only 1-D and 2-D windows are supported, got {rank}-D")
    strides = ctx.ints_attr("strides", [1] * rank)
    dilation = ctx.ints_attr("dilations", [1] * rank)
    pads = ctx.ints_attr("pads", [0] * (2 * rank))
    begin, end = pads[:rank], pads[rank:]
    auto_pad = ctx.attr("auto_pad", "NOTSET")
    for axis in range(rank):
        span = dilation[axis] * (kernel[axis] - 1) + 1
        size = spatial[axis].constant_value()
        if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
            if strides[axis] == 1:
                total = span - 1
            elif size is None:
                raise ctx.error(
                    f"auto_pad={auto_pad} with stride > 1 needs constant dims"
                )
            else:
                out = -(-size // strides[axis])
                total = max(0, (out - 1) * strides[axis] + span - size)
            small, large = total // 2, total - total // 2
            begin[axis], end[axis] = (
                (small, large) if auto_pad == "SAME_UPPER" else (large, small)
            )
        elif auto_pad == "VALID":
            begin[axis] = end[axis] = 0
        elif auto_pad != "NOTSET":
            raise ctx.error(f"unknown auto_pad '{auto_pad}'")
        if pool and ctx.attr("ceil_mode", 0):
            if size is None:
                raise ctx.error("ceil_mode=1 needs constant spatial dims")
            end[axis] += _ceil_mode_padding(
                size, span, strides[axis], begin[axis], end[axis]
            )
    if rank == 1:
        return Window(
            [1, *kernel], [1, *strides], [0, begin[0], 0, end[0]], [1, *dilation]
        )
    return Window(kernel, strides, [*begin, *end], dilation)


def _ceil_mode_padding(size: int, span: int, stride: int, lo: int, hi: int) -> int:
    """Extra end padding that makes the floor formula give the ceil_mode size.

    As in ONNX (and PyTorch), the last window must start inside the input or
    the begin padding."""
    padded = size + lo + hi - span
    out = -(-padded // stride) + 1
    if (out - 1) * stride >= size + lo:
        out -= 1
    return max(0, (out - 1) * stride - padded)


def _as_2d(ctx: NodeContext, value: SSAValue) -> SSAValue:
    """A rank-3 [N, C, W] tensor as [N, C, 1, W]; rank 4 unchanged."""
    rank = len(tensor_type(value).shape)
    if rank == 4:
        return value
    if rank != 3:
        raise ctx.error(f"expects a rank-3 or rank-4 tensor, got rank {rank}")
    return ctx.emit(m.ExpandDimsOp(value, [2])).result


def _from_2d(ctx: NodeContext, value: SSAValue, rank: int) -> SSAValue:
    return value if rank == 4 else ctx.emit(m.SqueezeOp(value, [2])).result


# ------------------------------------------------------------------ conv, pool
@converter("Conv")
def convert_conv(ctx: NodeContext) -> Sequence[Output]:
    x, weight = ctx.input(0), ctx.input(1)
    x_shape = ctx.input_type(0).shape
    w_shape = ctx.input_type(1).shape
    kernel = ctx.attr("kernel_shape")
    if kernel is None:
        dims = [d.constant_value() for d in w_shape[2:]]
        if any(d is None for d in dims):
            raise ctx.error("kernel dims must be constant")
        kernel = [d for d in dims if d is not None]
    window = _window(ctx, x_shape[2:], [int(k) for k in kernel], pool=False)
    op = c.Conv2dOp(
        _as_2d(ctx, x),
        _as_2d(ctx, weight),
        ctx.optional_input(2),
        strides=window.strides,
        padding=window.padding,
        dilation=window.dilation,
        groups=int(ctx.attr("group", 1)),
    )
    return [_from_2d(ctx, ctx.emit(op).result, len(x_shape))]


@converter("MaxPool", "AveragePool")
def convert_pool(ctx: NodeContext) -> Sequence[Output]:
    if ctx.output_used(1):
        raise ctx.error("the Indices output is not supported")
    x = ctx.input(0)
    shape = ctx.input_type(0).shape
    window = _window(ctx, shape[2:], ctx.ints_attr("kernel_shape"), pool=True)
    op_class: type[c.Pool2dOp] = c.MaxPool2dOp
    if ctx.node.op_type == "AveragePool":
        op_class = c.AvgPool2dOp
        if ctx.attr("count_include_pad", 0) and any(window.padding):
            raise ctx.error("count_include_pad=1 with padding is not supported")
    if ctx.node.op_type == "MaxPool" and ctx.attr("storage_order", 0):
        raise ctx.error("storage_order=1 is not supported")
    op = op_class(
        _as_2d(ctx, x),
        window.kernel,
        strides=window.strides,
        padding=window.padding,
        dilation=window.dilation,
    )
    return [_from_2d(ctx, ctx.emit(op).result, len(shape))]


@converter("GlobalAveragePool", "GlobalMaxPool")
def convert_global_pool(ctx: NodeContext) -> Sequence[Output]:
    x = ctx.input(0)
    axes = list(range(2, len(ctx.input_type(0).shape)))
    op_class = r.MeanOp if ctx.node.op_type == "GlobalAveragePool" else r.MaxOp
    return [ctx.emit(op_class(x, axes, keepdims=True)).result]


# ------------------------------------------------------------------ softmax
@converter("Softmax", "LogSoftmax")
def convert_softmax(ctx: NodeContext) -> Sequence[Output]:
    x = ctx.input(0)
    shape = ctx.input_type(0).shape
    axis = normalize_axis(
        int(ctx.attr("axis", 1 if ctx.opset < 13 else -1)), len(shape)
    )
    if ctx.opset < 13 and axis != len(shape) - 1:
        # Before opset 13, softmax runs over all dims from `axis` on, flattened.
        flat = [product(shape[:axis]), product(shape[axis:])]
        y = ctx.emit(m.ReshapeOp(x, flat)).result
        y = ctx.emit(norm.SoftmaxOp(y, -1)).result
        y = ctx.emit(m.ReshapeOp(y, shape)).result
    else:
        y = ctx.emit(norm.SoftmaxOp(x, axis)).result
    if ctx.node.op_type == "LogSoftmax":
        y = ctx.emit(ew.LogOp(y)).result
    return [y]


# ------------------------------------------------------------------ norms
@converter("LayerNormalization")
def convert_layer_norm(ctx: NodeContext) -> Sequence[Output]:
    x = ctx.input(0)
    x_type = ctx.input_type(0)
    axis = normalize_axis(int(ctx.attr("axis", -1)), x_type.rank)
    normalized = x_type.shape[axis:]
    scale = _broadcast(ctx, ctx.input(1), normalized)
    bias = ctx.optional_input(2)
    if bias is None:
        bias = ctx.emit(FullOp(0.0, x_type.with_shape(normalized))).result
    bias = _broadcast(ctx, bias, normalized)
    eps = float(ctx.attr("epsilon", 1e-5))
    axes = list(range(axis, x_type.rank))
    y = ctx.emit(norm.LayerNormOp(x, scale, bias, axes, eps)).result
    if not (ctx.output_used(1) or ctx.output_used(2)):
        return [y]
    return [y, *_moments(ctx, x, axes, eps)]


def _moments(
    ctx: NodeContext, x: SSAValue, axes: list[int], eps: float
) -> tuple[SSAValue, SSAValue]:
    """LayerNormalization's optional Mean and InvStdDev outputs (reduced dims kept)."""
    mean = ctx.emit(r.MeanOp(x, axes, keepdims=True)).result
    centered = ctx.emit(ew.SubOp(x, mean)).result
    squared = ctx.emit(ew.MulOp(centered, centered)).result
    var = ctx.emit(r.MeanOp(squared, axes, keepdims=True)).result
    shifted = ctx.emit(ew.AddOp(var, ctx.scalar(eps, var))).result
    return mean, ctx.emit(ew.RsqrtOp(shifted)).result


def _broadcast(ctx: NodeContext, value: SSAValue, shape: Sequence[SymExpr]) -> SSAValue:
    if tuple(tensor_type(value).shape) == tuple(shape):
        return value
    return ctx.emit(m.BroadcastToOp(value, shape)).result


@converter("RMSNormalization")
def convert_rms_norm(ctx: NodeContext) -> Sequence[Output]:
    x = ctx.input(0)
    x_type = ctx.input_type(0)
    axis = normalize_axis(int(ctx.attr("axis", -1)), x_type.rank)
    scale = _broadcast(ctx, ctx.input(1), x_type.shape[axis:])
    eps = float(ctx.attr("epsilon", 1e-5))
    axes = list(range(axis, x_type.rank))
    return [ctx.emit(norm.RMSNormOp(x, scale, axes, eps)).result]


@converter("BatchNormalization")
def convert_batch_norm(ctx: NodeContext) -> Sequence[Output]:
    """Inference form: (x - mean) * scale / sqrt(var + eps) + bias, per channel."""
    if ctx.attr("training_mode", 0) or any(ctx.output_used(i) for i in (1, 2)):
        raise ctx.error("only inference (one output, training_mode=0) is supported")
    x = ctx.input(0)
    rank = ctx.input_type(0).rank
    if rank < 2:
        raise ctx.error(f"expects rank >= 2, got rank {rank}")

    def per_channel(index: int) -> SSAValue:
        value = ctx.input(index)
        channels = tensor_type(value).shape
        return ctx.emit(m.ReshapeOp(value, [*channels, *[1] * (rank - 2)])).result

    scale, bias, mean, var = (per_channel(i) for i in (1, 2, 3, 4))
    eps = ctx.scalar(float(ctx.attr("epsilon", 1e-5)), var)
    std = ctx.emit(ew.SqrtOp(ctx.emit(ew.AddOp(var, eps)).result)).result
    factor = ctx.emit(ew.DivOp(scale, std)).result
    centered = ctx.emit(ew.SubOp(x, mean)).result
    scaled = ctx.emit(ew.MulOp(centered, factor)).result
    return [ctx.emit(ew.AddOp(scaled, bias)).result]
