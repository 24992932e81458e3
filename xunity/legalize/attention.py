"""Kernels of the attention graph ops: scaled-dot-product attention and rotary
embedding.

f32 attention with a constant value head dim runs on the GEMM micro-kernel
(the attention-gemm strategy, xunity/strategies/attention_gemm.py).
Otherwise `graph.attention` is computed in five steps
over f32 scratch buffers (the query's element type is widened to f32 for
f16/bf16):

1. `scores[b, h, i, j] = sum_d q[b, i, h, d] * k[b, j, h / group, d]`
2. `scores = keep ? scores * scale + bias : -inf` (i1 mask and causal give
   `keep`, an additive mask gives `bias`)
3. `row_max[b, h, i] = max_j scores`
4. `scores = exp(scores - row_max)`, `row_sum[b, h, i] = sum_j scores`
5. `out[b, i, h, e] = sum_j scores * v[b, j, h / group, e] / row_sum`

All five steps sit inside one loop nest over the rows (b, h, i), whose
outermost loop not provably of extent 1 is parallel: a row writes only its own
scores[b, h, i, :], row_max/row_sum[b, h, i] and out[b, i, h, :] (and the
f32 accumulator of an f16/bf16 output, shaped like it).

A row whose keys are all masked out (every score -inf, including
`seq_kv == 0`) has no softmax; its output is defined as zeros: the row
maximum is replaced by 0 before the subtraction (so exp gives 0, not NaN) and
the reciprocal of a zero row sum by 0.  The scores buffer is the full
[batch, heads, seq_q, seq_kv] matrix; fusing it away (flash attention) is a
schedule's business.
"""

from __future__ import annotations

import math as pymath
from collections.abc import Callable, Sequence

from xdsl.dialects import math
from xdsl.ir import Operation, SSAValue

from xunity.dialects.graph import attention
from xunity.dialects.graph.types import BOOL_TYPE
from xunity.ir.symbolic import SymExpr
from xunity.legalize.conv import and_, to_float
from xunity.legalize.kernel_builder import (
    Buffer,
    Emitter,
    KernelBuilder,
    LegalizeRule,
    compute_type,
    parallel_axis,
)
from xunity.legalize.reduction import SHIFT_MAX, SUM


def attention_rule(op: Operation, kb: KernelBuilder) -> None:
    assert isinstance(op, attention.AttentionOp)
    q, k, v, *mask = kb.inputs
    (out,) = kb.outputs
    batch, seq_q, heads, head_dim = q.shape
    seq_kv, kv_heads = k.shape[1], k.shape[2]
    f = compute_type(q.element_type)
    scores = kb.scratch((batch, heads, seq_q, seq_kv), f)
    row_max = kb.scratch((batch, heads, seq_q), f)
    row_sum = kb.scratch((batch, heads, seq_q), f)
    # f16/bf16 outputs accumulate in an f32 scratch shaped like the output.
    acc = out if f == out.element_type else kb.scratch(out.shape, f)
    head_dim_v = out.shape[3]

    def zero(e: Emitter) -> SSAValue:
        return e.constant(0.0, f)

    def kv_head(e: Emitter, h: SSAValue) -> SSAValue:
        """h floordiv (heads / kv_heads); the division only runs when heads > 0,
        and heads > 0 implies kv_heads > 0 (the verifier proved divisibility)."""
        if heads == kv_heads:
            return h
        kv = kv_heads.constant_value()
        if kv is not None:
            return e.floordiv(h, kb.dim(heads.floordiv(kv)))
        return e.floordiv(h, e.floordiv(kb.dim(heads), kb.dim(kv_heads)))

    def scale(e: Emitter) -> SSAValue:
        if op.scale is not None:
            return e.constant(op.scale.value.data, f)
        size = head_dim.constant_value()
        if size is not None:
            return e.constant(1.0 / pymath.sqrt(max(size, 1)), f)
        # head_dim 0 has all-zero scores; any finite scale keeps them 0.
        size = e.maximum(to_float(e, kb.dim(head_dim), f), e.constant(1.0, f))
        return e.math(math.RsqrtOp, size)

    # 1. scores = q . k
    def product(e: Emitter, ivs: list[SSAValue], rvs: list[SSAValue]) -> SSAValue:
        b, h, i, j = ivs
        query = e.load(q, [b, i, h, rvs[0]])
        key = e.load(k, [b, j, kv_head(e, h), rvs[0]])
        return e.mul(query, key)

    # 2. scale, mask
    def masked(e: Emitter, ivs: list[SSAValue]) -> SSAValue:
        value = e.mul(e.load(scores, ivs), scale(e))
        keep: SSAValue | None = None
        if mask:
            bias = e.load(mask[0], mask[0].broadcast_indices(ivs, kb.zero))
            if mask[0].element_type == BOOL_TYPE:
                keep = bias
            else:
                value = e.add(value, bias)
        if op.causal is not None:
            i, j = ivs[2], ivs[3]
            last = e.add(i, kb.dim(seq_kv - seq_q))
            visible = e.compare("le", j, last)
            keep = visible if keep is None else and_(e, keep, visible)
        if keep is None:
            return value
        return e.select(keep, value, e.constant(float("-inf"), f))

    # 3. row maximum
    def score(e: Emitter, ivs: list[SSAValue], rvs: list[SSAValue]) -> SSAValue:
        return e.load(scores, [*ivs, rvs[0]])

    # 4. exp and row sum
    def shifted_exp(e: Emitter, ivs: list[SSAValue]) -> SSAValue:
        top = e.load(row_max, ivs[:3])
        all_masked = e.compare("eq", top, e.constant(float("-inf"), f))
        top = e.select(all_masked, e.constant(0.0, f), top)
        return e.exp(e.sub(e.load(scores, ivs), top))

    # 5. probabilities times v
    def inverse_sum(e: Emitter, ivs: list[SSAValue]) -> SSAValue:
        total = e.load(row_sum, ivs)
        empty = e.compare("eq", total, e.constant(0.0, f))
        return e.select(empty, e.constant(0.0, f), e.div(e.constant(1.0, f), total))

    def weighted(e: Emitter, ivs: list[SSAValue], j: SSAValue) -> SSAValue:
        b, i, h, d = ivs
        acc_value = e.load(acc, ivs)
        p = e.mul(e.load(scores, [b, h, i, j]), e.load(row_sum, [b, h, i]))
        return e.add(acc_value, e.mul(p, e.load(v, [b, j, kv_head(e, h), d])))

    def store_at(
        spatial: list[tuple[SSAValue, SymExpr]],
        value_at: Callable[[Emitter, list[SSAValue]], SSAValue],
        target: Buffer,
        name: str,
        reduce: Sequence[tuple[SSAValue, SymExpr]] = (),
    ) -> None:
        """target[spatial ivs] = value_at(all ivs) in one block."""
        with kb.block(name, spatial, reduce) as ivs:
            s_ivs = ivs[: len(spatial)]
            kb.emitter.store(value_at(kb.emitter, ivs), target, s_ivs)

    row_extents = [batch, heads, seq_q]
    with kb.loops(row_extents, parallel=parallel_axis(row_extents)) as row_vars:
        rows = list(zip(row_vars, row_extents, strict=True))
        b_row, h_row, i_row = rows
        with kb.loops([seq_kv]) as (j,):
            SUM.in_row(kb, scores, [*rows, (j, seq_kv)], [head_dim], product, "qk")
        with kb.loops([seq_kv]) as (j,):
            store_at([*rows, (j, seq_kv)], masked, scores, "mask")
        SHIFT_MAX.in_row(kb, row_max, rows, [seq_kv], score, "row_max")
        with kb.loops([seq_kv]) as (j,):
            store_at([*rows, (j, seq_kv)], shifted_exp, scores, "exp")
        SUM.in_row(kb, row_sum, rows, [seq_kv], score, "row_sum")
        store_at(rows, inverse_sum, row_sum, "inverse_sum")
        # out[b, i, h, :] = sum_j p[j] * v[b, j, h, :], in (j, e) loop order
        # so that the innermost loop is contiguous in v and out.
        head = [b_row, i_row, h_row]
        with kb.loops([head_dim_v]) as (d,):
            store_at([*head, (d, head_dim_v)], lambda e, ivs: zero(e), acc, "pv_init")
        with kb.loops([seq_kv]) as (j,), kb.loops([head_dim_v]) as (d,):
            store_at(
                [*head, (d, head_dim_v)],
                lambda e, ivs: weighted(e, ivs[:4], ivs[4]),
                acc,
                "pv_update",
                reduce=[(j, seq_kv)],
            )
        if acc is not out:
            with kb.loops([head_dim_v]) as (d,):
                store_at(
                    [*head, (d, head_dim_v)],
                    lambda e, ivs: e.load(acc, ivs),
                    out,
                    "pv_cast",
                )


def rotary_rule(op: Operation, kb: KernelBuilder) -> None:
    """out[.., d] = x[d] * cos[d] + (d < D/2 ? -x[d + D/2] : x[d - D/2]) * sin[d]"""
    assert isinstance(op, attention.RotaryOp)
    (x, cos, sin), (out,) = kb.inputs, kb.outputs
    half = kb.dim(x.shape[3].floordiv(2))

    def table_indices(table_rank: int, ivs: list[SSAValue]) -> list[SSAValue]:
        return [ivs[1], ivs[3]] if table_rank == 2 else ivs

    def value_at(e: Emitter, ivs: list[SSAValue]) -> SSAValue:
        b, s, h, d = ivs
        first_half = e.compare("lt", d, half)
        partner = e.select(first_half, e.add(d, half), e.sub(d, half))
        rotated = e.load(x, [b, s, h, partner])
        rotated = e.select(first_half, e.neg(rotated), rotated)
        c = e.load(cos, cos.broadcast_indices(table_indices(cos.rank, ivs), kb.zero))
        s_ = e.load(sin, sin.broadcast_indices(table_indices(sin.rank, ivs), kb.zero))
        return e.add(e.mul(e.load(x, ivs), c), e.mul(rotated, s_))

    kb.compute(out, value_at, name="rotary")


RULES: dict[type[Operation], LegalizeRule] = {
    attention.AttentionOp: attention_rule,
    attention.RotaryOp: rotary_rule,
}
