"""Kernels of the normalization graph ops: softmax, layer_norm and rms_norm.

Each kernel first folds every row (the normalized axes) into f32 scratch
buffers shaped like the remaining dims, then writes the output elementwise.
Softmax subtracts the row maximum before `exp`, so large logits do not
overflow.  layer_norm takes the biased variance in a second pass over
`x - mean` (PyTorch's definition, without the cancellation of
E[x^2] - E[x]^2).  f16/bf16 inputs are computed in f32 throughout.
"""

from __future__ import annotations

from collections.abc import Callable

from xdsl.dialects import math
from xdsl.dialects.builtin import f32
from xdsl.ir import Operation, SSAValue

from xunity.dialects.graph import normalization as norm
from xunity.legalize.kernel_builder import (
    Emitter,
    KernelBuilder,
    LegalizeRule,
    element_count,
    reduce_into,
)
from xunity.legalize.reduction import ReducedAxes, lowest, maximum


def softmax_rule(op: Operation, kb: KernelBuilder) -> None:
    """row_max = max(x); row_sum = sum(exp(x - row_max));
    y = exp(x - row_max) / row_sum"""
    assert isinstance(op, norm.SoftmaxOp)
    (x,), (out,) = kb.inputs, kb.outputs
    axes = ReducedAxes.of(x.shape, [op.axis.value.data], keepdims=False)
    row_max = kb.scratch(axes.kept_shape, f32)
    row_sum = kb.scratch(axes.kept_shape, f32)
    kb.reduce(
        row_max,
        axes.extents,
        init=lambda e, ivs: lowest(e, f32),
        update=lambda e, s, r, acc: maximum(
            e, acc, e.load(x, axes.input_indices(s, r))
        ),
        name="softmax_max",
    )

    def shifted_exp(e: Emitter, s: list[SSAValue], r: list[SSAValue]) -> SSAValue:
        value = e.load(x, axes.input_indices(s, r))
        return e.exp(e.sub(value, e.load(row_max, s)))

    kb.reduce(
        row_sum,
        axes.extents,
        init=lambda e, ivs: e.constant(0.0, f32),
        update=lambda e, s, r, acc: e.add(acc, shifted_exp(e, s, r)),
        name="softmax_sum",
    )

    def value_at(e: Emitter, ivs: list[SSAValue]) -> SSAValue:
        row = axes.kept_indices(ivs, kb.zero)
        numerator = e.exp(e.sub(e.load(x, ivs), e.load(row_max, row)))
        return e.div(numerator, e.load(row_sum, row))

    kb.compute(out, value_at, name="softmax")


def _inverse_std(
    kb: KernelBuilder, axes: ReducedAxes, eps: float
) -> Callable[[Emitter, SSAValue], SSAValue]:
    """sum_of_squares -> 1 / sqrt(sum_of_squares / count + eps)"""

    def finalize(e: Emitter, sum_of_squares: SSAValue) -> SSAValue:
        variance = e.div(sum_of_squares, element_count(e, kb, axes.extents))
        shifted = e.add(variance, e.constant(eps, f32))
        return e.div(e.constant(1.0, f32), e.math(math.SqrtOp, shifted))

    return finalize


def _trailing_axes(op: norm.TrailingNormOp, kb: KernelBuilder) -> ReducedAxes:
    return ReducedAxes.of(kb.inputs[0].shape, op.axes.get_values(), keepdims=False)


def layer_norm_rule(op: Operation, kb: KernelBuilder) -> None:
    """mean = sum(x) / N; rstd = 1 / sqrt(sum((x - mean)^2) / N + eps);
    y = (x - mean) * rstd * gamma + beta"""
    assert isinstance(op, norm.LayerNormOp)
    (x, gamma, beta), (out,) = kb.inputs, kb.outputs
    axes = _trailing_axes(op, kb)
    outer = len(axes.kept_shape)
    mean = kb.scratch(axes.kept_shape, f32)
    rstd = kb.scratch(axes.kept_shape, f32)
    reduce_into(
        kb,
        mean,
        axes.extents,
        init=lambda e, ivs: e.constant(0.0, f32),
        update=lambda e, s, r, acc: e.add(acc, e.load(x, axes.input_indices(s, r))),
        finalize=lambda e, total: e.div(total, element_count(e, kb, axes.extents)),
        name="layer_norm_mean",
    )

    def squared_deviation(e: Emitter, s: list[SSAValue], r: list[SSAValue]) -> SSAValue:
        deviation = e.sub(e.load(x, axes.input_indices(s, r)), e.load(mean, s))
        return e.mul(deviation, deviation)

    reduce_into(
        kb,
        rstd,
        axes.extents,
        init=lambda e, ivs: e.constant(0.0, f32),
        update=lambda e, s, r, acc: e.add(acc, squared_deviation(e, s, r)),
        finalize=_inverse_std(kb, axes, op.eps.value.data),
        name="layer_norm_rstd",
    )

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

    def square(e: Emitter, s: list[SSAValue], r: list[SSAValue]) -> SSAValue:
        value = e.load(x, axes.input_indices(s, r))
        return e.mul(value, value)

    reduce_into(
        kb,
        rstd,
        axes.extents,
        init=lambda e, ivs: e.constant(0.0, f32),
        update=lambda e, s, r, acc: e.add(acc, square(e, s, r)),
        finalize=_inverse_std(kb, axes, op.eps.value.data),
        name="rms_norm_rstd",
    )

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
