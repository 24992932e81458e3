"""Kernels of the normalization graph ops: softmax, layer_norm and rms_norm.

Each kernel first folds every row (the normalized axes) into f32 scratch
buffers shaped like the remaining dims, then writes the output elementwise.
Softmax subtracts the row maximum before `exp`, so large logits do not
overflow.  layer_norm takes the biased variance in a second pass over
`x - mean` (PyTorch's definition, without the cancellation of
E[x^2] - E[x]^2).  f16/bf16 inputs are computed in f32 throughout.
"""

from __future__ import annotations

from xdsl.dialects import math
from xdsl.dialects.builtin import f32
from xdsl.ir import Operation, SSAValue

from xunity.dialects.graph import normalization as norm
from xunity.legalize.kernel_builder import Buffer, Emitter, KernelBuilder, LegalizeRule
from xunity.legalize.reduction import MAX, SUM, ReducedAxes, mean_of


def softmax_rule(op: Operation, kb: KernelBuilder) -> None:
    """row_max = max(x); row_sum = sum(exp(x - row_max));
    y = exp(x - row_max) / row_sum"""
    assert isinstance(op, norm.SoftmaxOp)
    (x,), (out,) = kb.inputs, kb.outputs
    axes = ReducedAxes.of(x.shape, [op.axis.value.data], keepdims=False)
    row_max = kb.scratch(axes.kept_shape, f32)
    row_sum = kb.scratch(axes.kept_shape, f32)
    value = axes.element(x)
    MAX.into(kb, row_max, axes.extents, value, name="softmax_max")

    def shifted_exp(e: Emitter, s: list[SSAValue], r: list[SSAValue]) -> SSAValue:
        return e.exp(e.sub(value(e, s, r), e.load(row_max, s)))

    SUM.into(kb, row_sum, axes.extents, shifted_exp, name="softmax_sum")

    def value_at(e: Emitter, ivs: list[SSAValue]) -> SSAValue:
        row = axes.kept_indices(ivs, kb.zero)
        numerator = e.exp(e.sub(e.load(x, ivs), e.load(row_max, row)))
        return e.div(numerator, e.load(row_sum, row))

    kb.compute(out, value_at, name="softmax")


def _trailing_axes(op: norm.TrailingNormOp, kb: KernelBuilder) -> ReducedAxes:
    return ReducedAxes.of(kb.inputs[0].shape, op.axes.get_values(), keepdims=False)


def _inverse_std_into(
    kb: KernelBuilder,
    rstd: Buffer,
    x: Buffer,
    axes: ReducedAxes,
    eps: float,
    name: str,
    mean: Buffer | None = None,
) -> None:
    """rstd = 1 / sqrt(sum((x - mean)^2) / N + eps), or of sum(x^2) without `mean`."""

    element = axes.element(x)

    def square(e: Emitter, s: list[SSAValue], r: list[SSAValue]) -> SSAValue:
        value = element(e, s, r)
        if mean is not None:
            value = e.sub(value, e.load(mean, s))
        return e.mul(value, value)

    def inverse_std(e: Emitter, sum_of_squares: SSAValue) -> SSAValue:
        variance = mean_of(kb, axes.extents)(e, sum_of_squares)
        shifted = e.add(variance, e.constant(eps, f32))
        return e.div(e.constant(1.0, f32), e.math(math.SqrtOp, shifted))

    SUM.into(kb, rstd, axes.extents, square, name, finalize=inverse_std)


def layer_norm_rule(op: Operation, kb: KernelBuilder) -> None:
    """mean = sum(x) / N; rstd = 1 / sqrt(sum((x - mean)^2) / N + eps);
    y = (x - mean) * rstd * gamma + beta"""
    assert isinstance(op, norm.LayerNormOp)
    (x, gamma, beta), (out,) = kb.inputs, kb.outputs
    axes = _trailing_axes(op, kb)
    outer = len(axes.kept_shape)
    mean = kb.scratch(axes.kept_shape, f32)
    rstd = kb.scratch(axes.kept_shape, f32)
    SUM.into(
        kb,
        mean,
        axes.extents,
        axes.element(x),
        name="layer_norm_mean",
        finalize=mean_of(kb, axes.extents),
    )
    eps = op.eps.value.data
    _inverse_std_into(kb, rstd, x, axes, eps, "layer_norm_rstd", mean)

    def value_at(e: Emitter, ivs: list[SSAValue]) -> SSAValue:
        row, inner = ivs[:outer], ivs[outer:]
        normalized = e.mul(e.sub(e.load(x, ivs), e.load(mean, row)), e.load(rstd, row))
        return e.add(e.mul(normalized, e.load(gamma, inner)), e.load(beta, inner))

    kb.compute(out, value_at, name="layer_norm")


def rms_norm_rule(op: Operation, kb: KernelBuilder) -> None:
    """rstd = 1 / sqrt(sum(x^2) / N + eps); y = x * rstd * weight"""
    assert isinstance(op, norm.RMSNormOp)
    (x, weight), (out,) = kb.inputs, kb.outputs
    axes = _trailing_axes(op, kb)
    outer = len(axes.kept_shape)
    rstd = kb.scratch(axes.kept_shape, f32)
    _inverse_std_into(kb, rstd, x, axes, op.eps.value.data, "rms_norm_rstd")

    def value_at(e: Emitter, ivs: list[SSAValue]) -> SSAValue:
        row, inner = ivs[:outer], ivs[outer:]
        normalized = e.mul(e.load(x, ivs), e.load(rstd, row))
        return e.mul(normalized, e.load(weight, inner))

    kb.compute(out, value_at, name="rms_norm")


RULES: dict[type[Operation], LegalizeRule] = {
    norm.SoftmaxOp: softmax_rule,
    norm.LayerNormOp: layer_norm_rule,
    norm.RMSNormOp: rms_norm_rule,
}
