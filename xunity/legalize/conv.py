"""Kernels of the NCHW convolution and pooling graph ops.

Each output element is a reduction over its window: `conv2d` over (input
channel of its group, kernel row, kernel column), the pools over (kernel row,
kernel column).  Window positions in the padding are never loaded from: the
in-bounds test selects the neutral value (0 for sums, the type's lowest value
for max) and the load index is replaced by 0 there, so every load stays
inside the input.  (When the input has no elements at all but padding makes
the output non-empty, that index is offset 0 of the empty buffer.)

`avg_pool2d` divides by the number of in-bounds cells of the window, computed
in closed form; a window lying wholly in the padding averages nothing and
gives NaN, like `numpy.mean([])`.  f16/bf16 sums accumulate in an f32 scratch
buffer and are narrowed once at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from xdsl.dialects import arith
from xdsl.dialects.builtin import i64
from xdsl.ir import Attribute, Operation, SSAValue

from xunity.dialects.graph import conv
from xunity.dialects.graph.types import BOOL_TYPE
from xunity.ir.symbolic import SymExpr
from xunity.legalize.kernel_builder import (
    Buffer,
    Emitter,
    KernelBuilder,
    LegalizeError,
    LegalizeRule,
    compute_type,
)
from xunity.legalize.reduction import bounds

Init = Callable[[Emitter, list[SSAValue]], SSAValue]
Update = Callable[[Emitter, list[SSAValue], list[SSAValue], SSAValue], SSAValue]


def accumulate(
    kb: KernelBuilder,
    out: Buffer,
    extents: Sequence[SymExpr],
    init: Init,
    update: Update,
    name: str,
) -> Buffer:
    """`kb.reduce` into `out`, or into an f32 scratch buffer when `out` is f16/bf16
    (so that long sums are not rounded at every step); returns the accumulator."""
    acc_type = compute_type(out.element_type)
    acc = out if acc_type == out.element_type else kb.scratch(out.shape, acc_type)
    kb.reduce(acc, extents, init, update, name=name)
    return acc


def and_(e: Emitter, lhs: SSAValue, rhs: SSAValue) -> SSAValue:
    return e.emit(arith.AndIOp(lhs, rhs))


def to_float(e: Emitter, index: SSAValue, float_type: Attribute) -> SSAValue:
    """An index value as a float (via i64: `sitofp` does not take `index`)."""
    return e.cast(e.emit(arith.IndexCastOp(index, i64)), float_type)


def window_index(
    kb: KernelBuilder,
    e: Emitter,
    out_pos: SSAValue,
    k: SSAValue,
    stride: int,
    dilation: int,
    pad: int,
    size: SymExpr,
) -> tuple[SSAValue, SSAValue]:
    """The input index `out_pos * stride + k * dilation - pad` and whether it
    lies in [0, size)."""
    index = out_pos if stride == 1 else e.mul(out_pos, kb.dim(stride))
    index = e.add(index, k if dilation == 1 else e.mul(k, kb.dim(dilation)))
    if pad:
        index = e.sub(index, kb.dim(pad))
    in_bounds = and_(
        e,
        e.compare("ge", index, kb.zero),
        e.compare("lt", index, kb.dim(size)),
    )
    return index, in_bounds


def window_load(
    kb: KernelBuilder,
    e: Emitter,
    op: conv.Conv2dOp | conv.Pool2dOp,
    x: Buffer,
    n: SSAValue,
    c: SSAValue,
    oh_ow: Sequence[SSAValue],
    kh_kw: Sequence[SSAValue],
    pad_value: float | int,
) -> SSAValue:
    """x[n, c, ih, iw] at a window position, or `pad_value` in the padding."""
    strides = op.strides.get_values()
    dilation = op.dilation.get_values()
    padding = op.padding.get_values()
    ih, in_h = window_index(
        kb, e, oh_ow[0], kh_kw[0], strides[0], dilation[0], padding[0], x.shape[2]
    )
    iw, in_w = window_index(
        kb, e, oh_ow[1], kh_kw[1], strides[1], dilation[1], padding[1], x.shape[3]
    )
    in_bounds = and_(e, in_h, in_w)
    safe_h = e.select(in_bounds, ih, kb.zero)
    safe_w = e.select(in_bounds, iw, kb.zero)
    value = e.load(x, [n, c, safe_h, safe_w])
    return e.select(in_bounds, value, e.constant(pad_value, value.type))


# ------------------------------------------------------------------ conv2d
def conv2d_rule(op: Operation, kb: KernelBuilder) -> None:
    """out[n, o, oh, ow] = bias[o] + sum over (ic, kh, kw) of
    x[n, g * IC + ic, ih, iw] * w[o, ic, kh, kw], g = o floordiv (O / groups)."""
    assert isinstance(op, conv.Conv2dOp)
    x, w, *bias = kb.inputs
    (out,) = kb.outputs
    if x.element_type == BOOL_TYPE:
        raise LegalizeError("graph.conv2d: i1 convolution is not supported")
    groups = op.groups.value.data
    out_channels, in_channels = w.shape[0], w.shape[1]
    out_per_group = out_channels.floordiv(groups)
    acc_type = compute_type(out.element_type)

    def init(e: Emitter, ivs: list[SSAValue]) -> SSAValue:
        if not bias:
            return e.constant(0, acc_type)
        return e.load(bias[0], [ivs[1]])

    def update(
        e: Emitter, ivs: list[SSAValue], rvs: list[SSAValue], acc: SSAValue
    ) -> SSAValue:
        n, o, oh, ow = ivs
        ic, kh, kw = rvs
        channel = ic
        if groups != 1:
            group = e.floordiv(o, kb.dim(out_per_group))
            channel = e.add(e.mul(group, kb.dim(in_channels)), ic)
        pixel = window_load(kb, e, op, x, n, channel, (oh, ow), (kh, kw), 0)
        weight = e.load(w, [o, ic, kh, kw])
        return e.add(acc, e.mul(pixel, weight))

    acc = accumulate(kb, out, w.shape[1:], init, update, "conv2d")
    if acc is not out:
        kb.compute(out, lambda e, ivs: e.load(acc, ivs), name="conv2d_cast")


# ------------------------------------------------------------------ pooling
def maximum(e: Emitter, lhs: SSAValue, rhs: SSAValue) -> SSAValue:
    """numpy.maximum; on i1 that is `or` (signed max would rank true below false)."""
    if lhs.type == BOOL_TYPE:
        return e.emit(arith.OrIOp(lhs, rhs))
    return e.maximum(lhs, rhs)


def max_pool2d_rule(op: Operation, kb: KernelBuilder) -> None:
    assert isinstance(op, conv.MaxPool2dOp)
    (x,), (out,) = kb.inputs, kb.outputs
    neutral, _ = bounds(compute_type(out.element_type))

    def update(
        e: Emitter, ivs: list[SSAValue], rvs: list[SSAValue], acc: SSAValue
    ) -> SSAValue:
        n, c, oh, ow = ivs
        value = window_load(kb, e, op, x, n, c, (oh, ow), rvs, neutral)
        return maximum(e, acc, value)

    kernel = [SymExpr.of(k) for k in op.kernel.get_values()]
    kb.reduce(
        out,
        kernel,
        lambda e, ivs: e.constant(neutral, compute_type(out.element_type)),
        update,
        name="max_pool2d",
    )


def in_bounds_count(
    kb: KernelBuilder,
    e: Emitter,
    out_pos: SSAValue,
    kernel: int,
    stride: int,
    dilation: int,
    pad: int,
    size: SymExpr,
) -> SSAValue:
    """How many k in [0, kernel) put `start + k * dilation` in [0, size), where
    `start = out_pos * stride - pad`: max(0, min(kernel, ceil((size - start) / d))
    - ceil(max(0, -start) / d))."""
    start = out_pos if stride == 1 else e.mul(out_pos, kb.dim(stride))
    if pad:
        start = e.sub(start, kb.dim(pad))

    def ceil_div(value: SSAValue) -> SSAValue:
        if dilation == 1:
            return value
        return e.emit(arith.CeilDivSIOp(value, kb.dim(dilation)))

    first = ceil_div(e.maximum(kb.zero, e.sub(kb.zero, start)))
    end = e.minimum(kb.dim(kernel), ceil_div(e.sub(kb.dim(size), start)))
    return e.maximum(kb.zero, e.sub(end, first))


def avg_pool2d_rule(op: Operation, kb: KernelBuilder) -> None:
    assert isinstance(op, conv.AvgPool2dOp)
    (x,), (out,) = kb.inputs, kb.outputs
    acc_type = compute_type(out.element_type)
    kernel = op.kernel.get_values()
    strides = op.strides.get_values()
    dilation = op.dilation.get_values()
    padding = op.padding.get_values()

    def update(
        e: Emitter, ivs: list[SSAValue], rvs: list[SSAValue], acc: SSAValue
    ) -> SSAValue:
        n, c, oh, ow = ivs
        return e.add(acc, window_load(kb, e, op, x, n, c, (oh, ow), rvs, 0.0))

    extents = [SymExpr.of(k) for k in kernel]
    acc = accumulate(
        kb, out, extents, lambda e, ivs: e.constant(0.0, acc_type), update, "avg_pool2d"
    )

    def mean(e: Emitter, ivs: list[SSAValue]) -> SSAValue:
        counts = [
            in_bounds_count(
                kb,
                e,
                ivs[2 + axis],
                kernel[axis],
                strides[axis],
                dilation[axis],
                padding[axis],
                x.shape[2 + axis],
            )
            for axis in range(2)
        ]
        count = to_float(e, e.mul(counts[0], counts[1]), acc_type)
        return e.div(e.load(acc, ivs), count)

    kb.compute(out, mean, name="avg_pool2d_mean")


RULES: dict[type[Operation], LegalizeRule] = {
    conv.Conv2dOp: conv2d_rule,
    conv.MaxPool2dOp: max_pool2d_rule,
    conv.AvgPool2dOp: avg_pool2d_rule,
}
