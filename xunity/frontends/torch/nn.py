"""Converters for neural-network ops: softmax, layer / RMS / batch norm,
embedding, scaled-dot-product attention, convolution and pooling.

Attention: torch's `scaled_dot_product_attention` takes `[batch, heads, seq,
head_dim]`, `graph.attention` `[batch, seq, heads, head_dim]`, so q, k and v
are permuted in and the result out.  torch's `is_causal` aligns the mask
top-left (query i sees keys j <= i) and the graph's bottom-right; the two agree
when the lengths are provably equal, otherwise an explicit `tril` mask is
built.  Convolution and pooling map onto the NCHW graph ops (1-D as 2-D with
height 1); `ceil_mode` becomes extra end padding on constant dims.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from xdsl.ir import SSAValue

from xunity.dialects.graph import attention as at
from xunity.dialects.graph import conv as c
from xunity.dialects.graph import elementwise as ew
from xunity.dialects.graph import manipulation as m
from xunity.dialects.graph import normalization as norm
from xunity.dialects.graph import reduction as r
from xunity.dialects.graph.base import tensor_type
from xunity.dialects.graph.creation import FullOp, TrilOp
from xunity.dialects.graph.inference import normalize_axis
from xunity.dialects.graph.types import BOOL_TYPE, TensorType
from xunity.frontends.torch.converter import NodeContext, Output, converter


# ------------------------------------------------------------------ softmax
@converter(
    "aten.softmax.int",
    "aten._softmax.default",
    "aten.log_softmax.int",
    "aten._log_softmax.default",
)
def convert_softmax(ctx: NodeContext) -> Sequence[Output]:
    x = ctx.cast(ctx.tensor("self"), ctx.result_element_type())
    axis = normalize_axis(ctx.int_arg("dim"), tensor_type(x).rank)
    y = ctx.emit(norm.SoftmaxOp(x, axis)).result
    if "log_softmax" in str(ctx.node.target):
        y = ctx.emit(ew.LogOp(y)).result
    return [y]


# ------------------------------------------------------------------ norms
@converter("aten.layer_norm.default", "aten.native_layer_norm.default")
def convert_layer_norm(ctx: NodeContext) -> Sequence[Output]:
    """`native_layer_norm`'s mean and rstd outputs are not provided."""
    x = ctx.tensor("input")
    x_type = tensor_type(x)
    count = len(ctx.ints("normalized_shape"))
    normalized = TensorType(x_type.shape[x_type.rank - count :], x_type.element_type)
    gamma = ctx.optional_tensor("weight") or _full(ctx, 1.0, normalized)
    beta = ctx.optional_tensor("bias") or _full(ctx, 0.0, normalized)
    axes = list(range(x_type.rank - count, x_type.rank))
    y = ctx.emit(norm.LayerNormOp(x, gamma, beta, axes, float(ctx.arg("eps")))).result
    if str(ctx.node.target) == "aten.native_layer_norm.default":
        return [y, None, None]
    return [y]


def _full(ctx: NodeContext, value: float, result_type: TensorType) -> SSAValue:
    return ctx.emit(FullOp(value, result_type)).result


@converter("aten.rms_norm.default")
def convert_rms_norm(ctx: NodeContext) -> Sequence[Output]:
    """eps=None means the dtype's machine epsilon, as in torch."""
    x = ctx.tensor("input")
    x_type = tensor_type(x)
    count = len(ctx.ints("normalized_shape"))
    normalized = TensorType(x_type.shape[x_type.rank - count :], x_type.element_type)
    weight = ctx.optional_tensor("weight") or _full(ctx, 1.0, normalized)
    eps = ctx.arg("eps")
    if eps is None:
        eps = torch.finfo(ctx.result_val.dtype).eps
    axes = list(range(x_type.rank - count, x_type.rank))
    return [ctx.emit(norm.RMSNormOp(x, weight, axes, float(eps))).result]


@converter(
    "aten.batch_norm.default", "aten._native_batch_norm_legit_no_training.default"
)
def convert_batch_norm(ctx: NodeContext) -> Sequence[Output]:
    """Inference: (x - mean) * weight / sqrt(var + eps) + bias, per channel."""
    legit = "legit" in str(ctx.node.target)
    if not legit and ctx.arg("training"):
        raise ctx.error("batch norm in training mode is not supported (call .eval())")
    x = ctx.tensor("input")
    rank = tensor_type(x).rank
    mean = ctx.optional_tensor("running_mean")
    var = ctx.optional_tensor("running_var")
    if mean is None or var is None:
        raise ctx.error("needs running statistics (track_running_stats=True)")

    def per_channel(value: SSAValue) -> SSAValue:
        channels = tensor_type(value).shape
        return ctx.emit(m.ReshapeOp(value, [*channels, *[1] * (rank - 2)])).result

    eps = ctx.scalar(float(ctx.arg("eps")), tensor_type(var).element_type)
    factor = ctx.emit(ew.RsqrtOp(ctx.emit(ew.AddOp(var, eps)).result)).result
    weight = ctx.optional_tensor("weight")
    if weight is not None:
        factor = ctx.emit(ew.MulOp(weight, factor)).result
    y = ctx.emit(ew.SubOp(x, per_channel(mean))).result
    y = ctx.emit(ew.MulOp(y, per_channel(factor))).result
    bias = ctx.optional_tensor("bias")
    if bias is not None:
        y = ctx.emit(ew.AddOp(y, per_channel(bias))).result
    return [y, None, None] if legit else [y]


# ------------------------------------------------------------------ embedding
@converter("aten.embedding.default")
def convert_embedding(ctx: NodeContext) -> Sequence[Output]:
    """Row lookup (`padding_idx` only matters for gradients)."""
    op = m.TakeOp(ctx.tensor("weight"), ctx.tensor("indices"), axis=0)
    return [ctx.emit(op).result]


# ------------------------------------------------------------------ attention
@converter("aten.scaled_dot_product_attention.default")
def convert_attention(ctx: NodeContext) -> Sequence[Output]:
    if ctx.arg("dropout_p") != 0:
        raise ctx.error("dropout_p must be 0 (inference)")
    q, k, v = (ctx.tensor(name) for name in ("query", "key", "value"))
    rank = tensor_type(q).rank
    if rank not in (3, 4):
        raise ctx.error(f"expects rank-3 or rank-4 q, k, v, got rank {rank}")
    q, k, v = (_to_graph_layout(ctx, t) for t in (q, k, v))
    mask = ctx.optional_tensor("attn_mask")
    seq_q, seq_kv = tensor_type(q).shape[1], tensor_type(k).shape[1]
    causal = bool(ctx.arg("is_causal"))
    if causal and not seq_q.provably_equal(seq_kv):
        if mask is not None:
            raise ctx.error("is_causal with attn_mask is not allowed")
        ones = _full(ctx, 1, TensorType([seq_q, seq_kv], BOOL_TYPE))
        mask, causal = ctx.emit(TrilOp(ones)).result, False  # top-left, as torch
    scale = ctx.arg("scale")
    op = at.AttentionOp(
        q, k, v, mask, causal=causal, scale=None if scale is None else float(scale)
    )
    y = ctx.emit(op).result
    if rank == 3:
        return [ctx.emit(m.SqueezeOp(y, [2])).result]
    return [ctx.emit(m.PermuteDimsOp(y, [0, 2, 1, 3])).result]


def _to_graph_layout(ctx: NodeContext, x: SSAValue) -> SSAValue:
    """[b, h, s, d] -> [b, s, h, d]; a rank-3 [b, s, d] gets one head."""
    if tensor_type(x).rank == 3:
        return ctx.emit(m.ExpandDimsOp(x, [2])).result
    return ctx.emit(m.PermuteDimsOp(x, [0, 2, 1, 3])).result


# ------------------------------------------------------------------ conv
@converter(
    "aten.conv2d.default",
    "aten.conv2d.padding",
    "aten.conv1d.default",
    "aten.conv1d.padding",
    "aten.convolution.default",
)
def convert_conv(ctx: NodeContext) -> Sequence[Output]:
    if str(ctx.node.target) == "aten.convolution.default" and ctx.arg("transposed"):
        raise ctx.error("transposed convolution is not supported")
    x, weight = ctx.tensor("input"), ctx.tensor("weight")
    rank = tensor_type(x).rank
    spatial = rank - 2
    if spatial not in (1, 2):
        raise ctx.error(f"only 1-D and 2-D convolutions are supported, got {spatial}-D")
    strides = _pair(ctx.ints("stride"), spatial)
    dilation = _pair(ctx.ints("dilation"), spatial)
    kernel = [d.constant_value() for d in tensor_type(weight).shape[2:]]
    if any(k is None for k in kernel):
        raise ctx.error("kernel dims must be constant")
    padding = _conv_padding(
        ctx, [k for k in kernel if k is not None], dilation, spatial
    )
    op = c.Conv2dOp(
        _as_2d(ctx, x),
        _as_2d(ctx, weight),
        ctx.optional_tensor("bias"),
        strides=_as_2d_window(strides, spatial, 1),
        padding=padding,
        dilation=_as_2d_window(dilation, spatial, 1),
        groups=ctx.int_arg("groups"),
    )
    return [_from_2d(ctx, ctx.emit(op).result, rank)]


def _conv_padding(
    ctx: NodeContext, kernel: list[int], dilation: list[int], spatial: int
) -> list[int]:
    """[top, left, bottom, right]; 'same' puts the odd cell at the end, as torch."""
    padding = ctx.arg("padding")
    if padding == "valid":
        begin = end = [0] * spatial
    elif padding == "same":
        totals = [d * (k - 1) for k, d in zip(kernel, dilation, strict=True)]
        begin = [t // 2 for t in totals]
        end = [t - t // 2 for t in totals]
    else:
        begin = end = _pair(ctx.ints("padding"), spatial)
    if spatial == 1:
        return [0, begin[0], 0, end[0]]
    return [*begin, *end]


def _pair(values: list[int], spatial: int) -> list[int]:
    return values * spatial if len(values) == 1 else values


def _as_2d_window(values: list[int], spatial: int, fill: int) -> list[int]:
    return [fill, *values] if spatial == 1 else values


def _as_2d(ctx: NodeContext, value: SSAValue) -> SSAValue:
    """A rank-3 [N, C, W] tensor as [N, C, 1, W]; rank 4 unchanged."""
    if tensor_type(value).rank == 4:
        return value
    return ctx.emit(m.ExpandDimsOp(value, [2])).result


def _from_2d(ctx: NodeContext, value: SSAValue, rank: int) -> SSAValue:
    return value if rank == 4 else ctx.emit(m.SqueezeOp(value, [2])).result


# ------------------------------------------------------------------ pooling
@converter(
    "aten.max_pool2d.default",
    "aten.max_pool2d_with_indices.default",
    "aten.avg_pool2d.default",
)
def convert_pool(ctx: NodeContext) -> Sequence[Output]:
    target = str(ctx.node.target)
    x = ctx.tensor("self")
    kernel = _pair(ctx.ints("kernel_size"), 2)
    strides = _pair(ctx.ints("stride"), 2) if ctx.arg("stride") else kernel
    pads = _pair(ctx.ints("padding"), 2)
    padding = [*pads, *pads]
    dilation = [1, 1]
    op_class: type[c.Pool2dOp] = c.MaxPool2dOp
    if target == "aten.avg_pool2d.default":
        op_class = c.AvgPool2dOp
        if ctx.arg("divisor_override") is not None:
            raise ctx.error("divisor_override is not supported")
        if ctx.arg("count_include_pad") and any(pads):
            raise ctx.error("count_include_pad=True with padding is not supported")
    else:
        dilation = _pair(ctx.ints("dilation"), 2)
    if ctx.arg("ceil_mode"):
        padding = _ceil_mode_padding(ctx, x, kernel, strides, padding, dilation)
    op = op_class(x, kernel, strides=strides, padding=padding, dilation=dilation)
    y = ctx.emit(op).result
    return [y, None] if target.endswith("with_indices.default") else [y]


def _ceil_mode_padding(
    ctx: NodeContext,
    x: SSAValue,
    kernel: list[int],
    strides: list[int],
    padding: list[int],
    dilation: list[int],
) -> list[int]:
    """Extra end padding that gives the output size torch recorded (ceil_mode)."""
    recorded = ctx.result_type(0 if isinstance(ctx.result_val, tuple) else None)
    padding = list(padding)
    for axis in range(2):
        size = tensor_type(x).shape[2 + axis].constant_value()
        out = recorded.shape[2 + axis].constant_value()
        if size is None or out is None:
            raise ctx.error("ceil_mode=True needs constant spatial dims")
        span = dilation[axis] * (kernel[axis] - 1) + 1
        padded = size + padding[axis] + padding[axis + 2]
        extra = max(0, (out - 1) * strides[axis] + span - padded)
        if extra and str(ctx.node.target) == "aten.avg_pool2d.default":
            raise ctx.error(
                "ceil_mode=True that changes the output size is not supported"
            )
        padding[axis + 2] += extra
    return padding


@converter("aten.adaptive_avg_pool2d.default", "aten._adaptive_avg_pool2d.default")
def convert_adaptive_avg_pool(ctx: NodeContext) -> Sequence[Output]:
    """To 1x1: a mean; to a size that divides the input: a plain average pool."""
    x = ctx.tensor("self")
    out = _pair(ctx.ints("output_size"), 2)
    spatial = tensor_type(x).shape[-2:]
    if out == [1, 1]:
        return [ctx.emit(r.MeanOp(x, [-2, -1], keepdims=True)).result]
    if all(d.provably_equal(o) for d, o in zip(spatial, out, strict=True)):
        return [x]
    sizes = [d.constant_value() for d in spatial]
    kernel = [s // o for s, o in zip(sizes, out, strict=True) if s is not None]
    if len(kernel) != 2 or any(
        s is None or s % o for s, o in zip(sizes, out, strict=True)
    ):
        raise ctx.error(
            f"output size {out} must be 1x1 or divide the input's "
            f"[{', '.join(map(str, spatial))}]"
        )
    op = c.AvgPool2dOp(x, kernel, strides=kernel)
    return [ctx.emit(op).result]
