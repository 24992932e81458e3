"""Kernels of the normalization graph ops: softmax, layer_norm and rms_norm.

Each kernel runs one loop nest over the rows (the dims that are not
normalized); per row it folds the normalized axes into f32 scratch buffers
shaped like the remaining dims, then writes that row of the output.  Every row
writes only its own output and scratch elements, so the outermost non-unit
row loop is parallel.
Softmax subtracts the row maximum before `exp`, so large logits do not
overflow, and multiplies by the reciprocal of the row sum.  layer_norm takes
the biased variance in a second pass over `x - mean` (PyTorch's definition,
without the cancellation of E[x^2] - E[x]^2).  f16/bf16 inputs are computed
in f32 throughout.
"""

from __future__ import annotations

from collections.abc import Callable

from xdsl.dialects import math
from xdsl.dialects.builtin import f32
from xdsl.ir import Operation, SSAValue

from xunity.dialects.graph import normalization as norm
from xunity.ir.symbolic import SymExpr
from xunity.legalize.kernel_builder import (
    Buffer,
    Emitter,
    KernelBuilder,
    LegalizeRule,
    compute_type,
    parallel_axis,
)
from xunity.legalize.reduction import (
    SHIFT_MAX,
    SUM,
    Element,
    ReducedAxes,
    add_reassociable,
    mean_of,
)


def _row_loops(kb: KernelBuilder, axes: ReducedAxes):
    """The loops over the kept dims (one row per iteration), the outermost
    non-unit one parallel: each row writes only its own elements of the output
    and of the row-indexed scratch buffers."""
    shape = list(axes.kept_shape)
    return kb.loops(shape, parallel=parallel_axis(shape))


def _row_compute(
    kb: KernelBuilder,
    out: Buffer,
    axes: ReducedAxes,
    rows: list[tuple[SSAValue, SymExpr]],
    value_at: Callable[[Emitter, list[SSAValue]], SSAValue],
    name: str,
) -> None:
    """out[i...] = value_at(i...) over one row (inside the row loops); the
    block's iteration variables are in the output's dim order."""
    with kb.loops(axes.extents) as reduce_vars:
        reduced = list(zip(reduce_vars, axes.extents, strict=True))
        spatial = axes.input_indices(rows, reduced)  # type: ignore[arg-type]
        with kb.block(name, spatial) as ivs:  # type: ignore[arg-type]
            kb.emitter.store(value_at(kb.emitter, ivs), out, ivs)


def softmax_rule(op: Operation, kb: KernelBuilder) -> None:
    """row_max = max(x); e = exp(x - row_max); inv = 1 / sum(e); y = e * inv,
    all inside one loop over rows.

    An f32 output holds `e` between the passes, so exp runs once per element
    (ONNX Runtime's scheme); f16/bf16 outputs recompute it instead, so that
    the result is rounded to 16 bits once.
    """
    assert isinstance(op, norm.SoftmaxOp)
    (x,), (out,) = kb.inputs, kb.outputs
    axes = ReducedAxes.of(x.shape, [op.axis.value.data], keepdims=False)
    row_max = kb.scratch(axes.kept_shape, f32)
    row_inv = kb.scratch(axes.kept_shape, f32)
    keeps_exp = compute_type(out.element_type) == out.element_type

    def shifted_exp_at(e: Emitter, ivs: list[SSAValue]) -> SSAValue:
        row = axes.kept_indices(ivs, kb.zero)
        return e.exp(e.sub(e.load(x, ivs), e.load(row_max, row)))

    def reciprocal(e: Emitter, total: SSAValue) -> SSAValue:
        return e.div(e.constant(1.0, f32), total)

    def value_at(e: Emitter, ivs: list[SSAValue]) -> SSAValue:
        numerator = e.load(out, ivs) if keeps_exp else shifted_exp_at(e, ivs)
        return e.mul(numerator, e.load(row_inv, axes.kept_indices(ivs, kb.zero)))

    with _row_loops(kb, axes) as row_vars:
        rows = list(zip(row_vars, axes.kept_shape, strict=True))
        SHIFT_MAX.in_row(
            kb, row_max, rows, axes.extents, axes.element(x), "softmax_max"
        )
        if keeps_exp:
            # One pass stores exp(x - max) and sums it: the row sum is carried
            # in a register (convert-tir-to-cpu promotes the accumulator).
            _exp_and_sum(kb, out, row_inv, axes, rows, shifted_exp_at)
        else:
            summand = _recompute(shifted_exp_at, axes)
            SUM.in_row(
                kb, row_inv, rows, axes.extents, summand, "softmax_sum", reciprocal
            )
        _row_compute(kb, out, axes, rows, value_at, name="softmax")


def _exp_and_sum(
    kb: KernelBuilder,
    out: Buffer,
    row_inv: Buffer,
    axes: ReducedAxes,
    rows: list[tuple[SSAValue, SymExpr]],
    shifted_exp_at: Callable[[Emitter, list[SSAValue]], SSAValue],
) -> None:
    """out[row, :] = exp(x - max); row_inv = 1 / sum of it, in one pass."""
    with kb.block("softmax_sum_init", rows) as ivs:
        kb.emitter.store(kb.emitter.constant(0.0, f32), row_inv, ivs)
    with kb.loops(axes.extents) as reduce_vars:
        reduced = list(zip(reduce_vars, axes.extents, strict=True))
        with kb.block("softmax_exp_sum", rows, reduced) as ivs:
            e = kb.emitter
            s_ivs, r_ivs = ivs[: len(rows)], ivs[len(rows) :]
            indices = axes.input_indices(s_ivs, r_ivs)
            value = shifted_exp_at(e, indices)
            e.store(value, out, indices)
            total = add_reassociable(e, e.load(row_inv, s_ivs), value)
            e.store(total, row_inv, s_ivs)
    with kb.block("softmax_sum_final", rows) as ivs:
        e = kb.emitter
        e.store(e.div(e.constant(1.0, f32), e.load(row_inv, ivs)), row_inv, ivs)


def _recompute(
    value_at: Callable[[Emitter, list[SSAValue]], SSAValue], axes: ReducedAxes
) -> Element:
    """`value_at` (over input indices) as a fold element over (row, reduce) indices."""
    return lambda e, s, r: value_at(e, axes.input_indices(s, r))


def _trailing_axes(op: norm.TrailingNormOp, kb: KernelBuilder) -> ReducedAxes:
    return ReducedAxes.of(kb.inputs[0].shape, op.axes.get_values(), keepdims=False)


def _inverse_std_in_row(
    kb: KernelBuilder,
    rstd: Buffer,
    rows: list[tuple[SSAValue, SymExpr]],
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

    SUM.in_row(kb, rstd, rows, axes.extents, square, name, finalize=inverse_std)


def layer_norm_rule(op: Operation, kb: KernelBuilder) -> None:
    """mean = sum(x) / N; rstd = 1 / sqrt(sum((x - mean)^2) / N + eps);
    y = (x - mean) * rstd * gamma + beta, all inside one loop over rows"""
    assert isinstance(op, norm.LayerNormOp)
    (x, gamma, beta), (out,) = kb.inputs, kb.outputs
    axes = _trailing_axes(op, kb)
    outer = len(axes.kept_shape)
    mean = kb.scratch(axes.kept_shape, f32)
    rstd = kb.scratch(axes.kept_shape, f32)
    eps = op.eps.value.data

    def value_at(e: Emitter, ivs: list[SSAValue]) -> SSAValue:
        row, inner = ivs[:outer], ivs[outer:]
        normalized = e.mul(e.sub(e.load(x, ivs), e.load(mean, row)), e.load(rstd, row))
        return e.add(e.mul(normalized, e.load(gamma, inner)), e.load(beta, inner))

    with _row_loops(kb, axes) as row_vars:
        rows = list(zip(row_vars, axes.kept_shape, strict=True))
        SUM.in_row(
            kb,
            mean,
            rows,
            axes.extents,
            axes.element(x),
            name="layer_norm_mean",
            finalize=mean_of(kb, axes.extents),
        )
        _inverse_std_in_row(kb, rstd, rows, x, axes, eps, "layer_norm_rstd", mean)
        _row_compute(kb, out, axes, rows, value_at, name="layer_norm")


def rms_norm_rule(op: Operation, kb: KernelBuilder) -> None:
    """rstd = 1 / sqrt(sum(x^2) / N + eps); y = x * rstd * weight, inside one
    loop over rows"""
    assert isinstance(op, norm.RMSNormOp)
    (x, weight), (out,) = kb.inputs, kb.outputs
    axes = _trailing_axes(op, kb)
    outer = len(axes.kept_shape)
    rstd = kb.scratch(axes.kept_shape, f32)
    eps = op.eps.value.data

    def value_at(e: Emitter, ivs: list[SSAValue]) -> SSAValue:
        row, inner = ivs[:outer], ivs[outer:]
        normalized = e.mul(e.load(x, ivs), e.load(rstd, row))
        return e.mul(normalized, e.load(weight, inner))

    with _row_loops(kb, axes) as row_vars:
        rows = list(zip(row_vars, axes.kept_shape, strict=True))
        _inverse_std_in_row(kb, rstd, rows, x, axes, eps, "rms_norm_rstd")
        _row_compute(kb, out, axes, rows, value_at, name="rms_norm")


RULES: dict[type[Operation], LegalizeRule] = {
    norm.SoftmaxOp: softmax_rule,
    norm.LayerNormOp: layer_norm_rule,
    norm.RMSNormOp: rms_norm_rule,
}
