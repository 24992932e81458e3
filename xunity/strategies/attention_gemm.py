"""Strategy `attention-gemm`: f32 attention on the GEMM micro-kernel, both
products of each head as tiles.

For each (batch, head), one parallel task:

    packed_q[i, d]   = q[b, i, h, d] * scale       rows zero-padded to a multiple of MR
    packed_kt[d, j]  = k[b, j, h / group, d]       K transposed, columns padded to NR
    packed_v[j, e]   = v[b, j, h / group, e]       columns padded to the PV tile width
    scores           = packed_q @ packed_kt        micro-kernel tiles, kc = D
    per row i:  mask, max, exp, sum, p = e / sum   (vectorised row passes)
    out[b, i, h, :]  = p[i, :seq_kv] @ packed_v    micro-kernel tiles, kc = seq_kv

The packed copies cost O(seq * D) per head against the O(seq^2 * D) products
and make every micro-kernel read in bounds (zero padding) with unit-stride
rows.  Semantics are those of xunity/legalize/attention.py (masks, causal,
grouped heads, all-masked rows giving zeros); it applies to f32 operands whose
value head dim is a constant of at most MAX_HEAD_DIM, unless the query has a
static length of at most MIN_QUERY_ROWS (decode).  A symbolic query length
of at most MIN_QUERY_ROWS at run time runs that row kernel instead, inside
this kernel: one compiled step serves prefill and decode, and packing k and
v for one query row cost 4-25x the row kernel (9 heads over 3 kv heads of
64, one row, 40 to 2048 keys: 29-5260 us against 11-203 us).
"""

from __future__ import annotations

from collections.abc import Callable

from xdsl.dialects import arith, math
from xdsl.dialects.builtin import MemRefType, f32
from xdsl.ir import Operation, SSAValue

from xunity.dialects import cpu, tir
from xunity.dialects.graph import attention
from xunity.dialects.graph.types import BOOL_TYPE
from xunity.ir.symbolic import SymExpr
from xunity.legalize.attention import attention_rule
from xunity.legalize.conv import to_float
from xunity.legalize.kernel_builder import (
    Buffer,
    Emitter,
    KernelBuilder,
    block_over,
    loop_over,
)
from xunity.legalize.reduction import add_reassociable
from xunity.strategies.base import KernelStrategy

QK_NR = 48
"""Score tile width (3 zmm)."""
MAX_HEAD_DIM = 128
MIN_QUERY_ROWS = 4
WIDTH = cpu.GemmMicrokernelOp.VECTOR_WIDTH


def applies(op: Operation, kb: KernelBuilder) -> bool:
    q, k, v, *_ = kb.inputs
    (out,) = kb.outputs
    dv = out.shape[3].constant_value()
    f32_only = all(b.element_type == f32 for b in (q, k, v, out))
    # A few query rows (decode) are matrix-vector products: the row kernel
    # streams k and v once without packing them.
    seq_q = q.shape[1].constant_value()
    many_rows = seq_q is None or seq_q > MIN_QUERY_ROWS
    return f32_only and many_rows and dv is not None and 0 < dv <= MAX_HEAD_DIM


def tiles(dv: int) -> tuple[int, int]:
    """(mr, PV tile width): the PV tile covers the value head dim in whole
    vectors; mr fills the accumulator registers, at most 8 rows."""
    pv_nr = -(-dv // WIDTH) * WIDTH
    budget = cpu.GemmMicrokernelOp.MAX_ACCUMULATORS
    mr = min(8, budget // (pv_nr // WIDTH), budget // (QK_NR // WIDTH))
    return mr, pv_nr


def attention_gemm_rule(op: Operation, kb: KernelBuilder) -> None:
    assert isinstance(op, attention.AttentionOp)
    q, k, v, *mask = kb.inputs
    (out,) = kb.outputs
    batch, seq_q, heads, head_dim = q.shape
    seq_kv, kv_heads = k.shape[1], k.shape[2]
    dv = out.shape[3].constant_value()
    assert dv is not None
    mr, pv_nr = tiles(dv)
    rows_pad = seq_q.ceildiv(mr) * mr
    cols_pad = seq_kv.ceildiv(QK_NR) * QK_NR
    bh = batch * heads
    packed_q = kb.scratch([bh, rows_pad, head_dim], f32)
    packed_kt = kb.scratch([bh, head_dim, cols_pad], f32)
    packed_v = kb.scratch([bh, seq_kv, SymExpr.of(pv_nr)], f32)
    scores = kb.scratch([bh, rows_pad, cols_pad], f32)
    row_stat = kb.scratch([bh, seq_q], f32)  # max, then 1 / sum
    e = kb.emitter
    n_bh, n_q, n_kv, n_d = (kb.dim(x) for x in (bh, seq_q, seq_kv, head_dim))
    n_rows, n_cols = kb.dim(rows_pad), kb.dim(cols_pad)
    n_heads = kb.dim(heads)
    group: SSAValue | None = None  # heads per kv head, when they differ
    if heads != kv_heads:
        kv = kv_heads.constant_value()
        group = (
            kb.dim(heads.floordiv(kv))
            if kv is not None
            # max(kv, 1): no task runs when there are no heads, but this does
            else e.floordiv(kb.dim(heads), e.maximum(kb.dim(kv_heads), e.index(1)))
        )
    scale = _scale(op, kb, e, head_dim)
    # A symbolic query length may be a few rows at run time (decode): then
    # the row kernel streams k and v once, unpacked, and no task below runs.
    tasks = n_bh
    if seq_q.constant_value() is None:
        few = e.compare("le", n_q, e.index(MIN_QUERY_ROWS))
        with loop_over(kb, e.select(few, kb.dim(1), kb.zero)), kb.scratch_here():
            attention_rule(op, kb)
        e = kb.emitter
        tasks = e.select(few, kb.zero, n_bh)

    def split(e: Emitter, vbh: SSAValue) -> tuple[SSAValue, SSAValue, SSAValue]:
        """(b, h, kv head) of a fused batch-head index."""
        b, h = e.floordiv(vbh, n_heads), e.rem(vbh, n_heads)
        return b, h, h if group is None else e.floordiv(h, group)

    with loop_over(kb, tasks, parallel=True) as t:
        task = (t, n_bh)
        tile = kb.emitter.emit(tir.AllocBufferOp(MemRefType(f32, [mr * pv_nr])))
        # Pack q (scaled), k transposed and v, zero-padded.
        n_e = kb.dim(pv_nr)
        pack = _Packer(kb, task, split)
        pack(
            "att_pack_q",
            (n_rows, n_d),
            q,
            packed_q,
            (0, n_q),
            lambda b, h, kvh, i, d: [b, i, h, d],
            scale,
        )
        pack(
            "att_pack_kt",
            (n_d, n_cols),
            k,
            packed_kt,
            (1, n_kv),
            lambda b, h, kvh, d, j: [b, j, kvh, d],
        )
        pack(
            "att_pack_v",
            (n_kv, n_e),
            v,
            packed_v,
            (1, kb.dim(dv)),
            lambda b, h, kvh, j, c: [b, j, kvh, c],
        )
        # scores = packed_q @ packed_kt, whole (padded) tiles.
        e = kb.emitter
        zero, one = kb.zero, e.index(1)
        false = e.constant(0, BOOL_TYPE)
        tile_ptr = e.emit(tir.AccessPtrOp(tile, [zero]))
        row_panels = e.emit(arith.CeilDivUIOp(n_q, e.index(mr)))
        with loop_over(kb, row_panels) as ip:
            e = kb.emitter
            row0 = e.mul(ip, e.index(mr))
            a_ptr = e.emit(tir.AccessPtrOp(packed_q.value, [t, row0, zero]))
            with loop_over(kb, e.emit(arith.CeilDivUIOp(n_kv, e.index(QK_NR)))) as jp:
                e = kb.emitter
                col0 = e.mul(jp, e.index(QK_NR))
                b_ptr = e.emit(tir.AccessPtrOp(packed_kt.value, [t, zero, col0]))
                c_ptr = e.emit(tir.AccessPtrOp(scores.value, [t, row0, col0]))
                operands = [a_ptr, n_d, one, b_ptr, n_cols, c_ptr, n_cols, n_d]
                operands += [e.index(mr), e.index(QK_NR), false, tile_ptr]
                e.builder.insert(cpu.GemmMicrokernelOp(operands, mr, QK_NR))
        # Row softmax over the first seq_kv columns, in place.
        with loop_over(kb, n_q) as i:
            _softmax_row(op, kb, scores, row_stat, mask, (t, n_bh), (i, n_q), split)
        # out[b, i, h, :] = p @ packed_v
        with loop_over(kb, row_panels) as ip:
            e = kb.emitter
            row0 = e.mul(ip, e.index(mr))
            rows = e.minimum(e.index(mr), e.sub(n_q, row0))
            b, h, _ = split(e, t)
            a_ptr = e.emit(tir.AccessPtrOp(scores.value, [t, row0, zero]))
            b_ptr = e.emit(tir.AccessPtrOp(packed_v.value, [t, zero, zero]))
            c_ptr = e.emit(tir.AccessPtrOp(out.value, [b, row0, h, zero]))
            ldc = e.mul(n_heads, kb.dim(dv))
            operands = [a_ptr, n_cols, one, b_ptr, n_e, c_ptr, ldc, n_kv, rows]
            operands += [kb.dim(dv), false, tile_ptr]
            e.builder.insert(cpu.GemmMicrokernelOp(operands, mr, pv_nr))


class _Packer:
    """Copies of one head's operand into a zero-padded scratch panel."""

    def __init__(
        self,
        kb: KernelBuilder,
        task: tuple[SSAValue, SSAValue],
        split: Callable[[Emitter, SSAValue], tuple[SSAValue, SSAValue, SSAValue]],
    ):
        self.kb, self.task, self.split = kb, task, split

    def __call__(
        self,
        name: str,
        extents: tuple[SSAValue, SSAValue],
        source: Buffer,
        target: Buffer,
        padding: tuple[int, SSAValue],
        index: Callable[..., list[SSAValue]],
        scale: SSAValue | None = None,
    ) -> None:
        """target[t, a, c] = source[index(b, h, kv head, a, c)] (* scale) where
        axis padding[0] of (a, c) is below padding[1], else 0 (the load index
        is clamped, so nothing is read out of bounds)."""
        kb = self.kb
        (n_a, n_c), (axis, limit) = extents, padding
        with (
            loop_over(kb, n_a) as a,
            loop_over(kb, n_c) as c,
            block_over(
                kb, name, [self.task, (a, n_a), (c, n_c)], [source], [target]
            ) as (vt, va, vc),
        ):
            e = kb.emitter
            b, h, kvh = self.split(e, vt)
            axes = [va, vc]
            inside = e.compare("lt", axes[axis], limit)
            axes[axis] = e.minimum(axes[axis], e.sub(limit, e.index(1)))
            value = e.load(source, index(b, h, kvh, *axes))
            if scale is not None:
                value = e.mul(value, scale)
            e.store(e.select(inside, value, e.constant(0, f32)), target, [vt, va, vc])


def _softmax_row(
    op: attention.AttentionOp,
    kb: KernelBuilder,
    scores: Buffer,
    row_stat: Buffer,
    mask: list[Buffer],
    task: tuple[SSAValue, SSAValue],
    row: tuple[SSAValue, SSAValue],
    split: Callable[[Emitter, SSAValue], tuple[SSAValue, SSAValue, SSAValue]],
) -> None:
    """scores[t, i, :n_kv] = softmax(masked scores); an all-masked row -> zeros.

    Causal rows only visit their visible prefix j <= i + (seq_kv - seq_q)
    (bottom-right aligned) and zero the rest: half the work of a square
    causal matrix, and no exp of -inf.
    """
    n_kv = kb.dim(kb.inputs[1].shape[1])
    seq_gap = kb.dim(kb.inputs[1].shape[1] - kb.inputs[0].shape[1])
    minus_inf = float("-inf")
    visible = n_kv
    if op.causal is not None:
        e = kb.emitter
        last = e.add(e.add(row[0], seq_gap), e.index(1))
        visible = e.minimum(n_kv, e.maximum(last, kb.zero))
        hidden = e.sub(n_kv, visible)
        with (
            loop_over(kb, hidden) as j,
            block_over(
                kb, "att_causal_zero", [task, row, (j, hidden)], [], [scores]
            ) as (vt, vi, vj),
        ):
            e = kb.emitter
            column = e.add(e.sub(n_kv, hidden), vj)
            e.store(e.constant(0.0, f32), scores, [vt, vi, column])

    if mask:
        # The mask pass is elementwise (vectorises); batch and head are
        # computed once per row and bound, not divided out per element.
        e = kb.emitter
        b, h, _ = split(e, task[0])
        heads = (h, kb.dim(kb.inputs[0].shape[2]))
        batch = (b, kb.dim(kb.inputs[0].shape[0]))
        with (
            loop_over(kb, visible) as j,
            block_over(
                kb,
                "att_mask",
                [task, batch, heads, row, (j, n_kv)],
                mask,
                [scores],
            ) as (vt, vb, vh, vi, vj),
        ):
            e = kb.emitter
            value = e.load(scores, [vt, vi, vj])
            bias = e.load(mask[0], mask[0].broadcast_indices([vb, vh, vi, vj], kb.zero))
            if mask[0].element_type == BOOL_TYPE:
                value = e.select(bias, value, e.constant(minus_inf, f32))
            else:
                value = e.add(value, bias)
            e.store(value, scores, [vt, vi, vj])
    with block_over(kb, "att_max_init", [task, row], [], [row_stat]) as ivs:
        kb.emitter.store(kb.emitter.constant(minus_inf, f32), row_stat, ivs)
    with (
        loop_over(kb, visible) as j,
        block_over(kb, "att_max", [task, row, (j, n_kv)], [scores], [row_stat]) as (
            vt,
            vi,
            vj,
        ),
    ):
        e = kb.emitter
        top = e.load(row_stat, [vt, vi])
        value = e.load(scores, [vt, vi, vj])
        e.store(e.emit(arith.MaxnumfOp(top, value)), row_stat, [vt, vi])
    # exp(x - max) in place, then its sum (separate loops: each vectorises).
    with (
        loop_over(kb, visible) as j,
        block_over(
            kb, "att_exp", [task, row, (j, n_kv)], [scores, row_stat], [scores]
        ) as (vt, vi, vj),
    ):
        e = kb.emitter
        top = e.load(row_stat, [vt, vi])
        all_masked = e.compare("eq", top, e.constant(minus_inf, f32))
        top = e.select(all_masked, e.constant(0.0, f32), top)
        shifted = e.exp(e.sub(e.load(scores, [vt, vi, vj]), top))
        e.store(shifted, scores, [vt, vi, vj])
    with block_over(kb, "att_sum_init", [task, row], [], [row_stat]) as ivs:
        kb.emitter.store(kb.emitter.constant(0.0, f32), row_stat, ivs)
    with (
        loop_over(kb, visible) as j,
        block_over(kb, "att_sum", [task, row, (j, n_kv)], [scores], [row_stat]) as (
            vt,
            vi,
            vj,
        ),
    ):
        e = kb.emitter
        total = add_reassociable(
            e, e.load(row_stat, [vt, vi]), e.load(scores, [vt, vi, vj])
        )
        e.store(total, row_stat, [vt, vi])
    with block_over(kb, "att_inverse", [task, row], [row_stat], [row_stat]) as ivs:
        e = kb.emitter
        total = e.load(row_stat, ivs)
        empty = e.compare("eq", total, e.constant(0.0, f32))
        inverse = e.div(e.constant(1.0, f32), total)
        e.store(e.select(empty, e.constant(0.0, f32), inverse), row_stat, ivs)
    with (
        loop_over(kb, visible) as j,
        block_over(
            kb, "att_normalise", [task, row, (j, n_kv)], [row_stat], [scores]
        ) as (vt, vi, vj),
    ):
        e = kb.emitter
        p = e.mul(e.load(scores, [vt, vi, vj]), e.load(row_stat, [vt, vi]))
        e.store(p, scores, [vt, vi, vj])


def _scale(
    op: attention.AttentionOp, kb: KernelBuilder, e: Emitter, head_dim: SymExpr
) -> SSAValue:
    if op.scale is not None:
        return e.constant(op.scale.value.data, f32)
    size = head_dim.constant_value()
    if size is not None:
        return e.constant(1.0 / max(size, 1) ** 0.5, f32)
    size = e.maximum(to_float(e, kb.dim(head_dim), f32), e.constant(1.0, f32))
    return e.math(math.RsqrtOp, size)


ATTENTION_GEMM = KernelStrategy(
    "attention-gemm", attention.AttentionOp, applies, attention_gemm_rule
)
"""f32 attention with a constant value head dim <= MAX_HEAD_DIM, unless the
query is a static MIN_QUERY_ROWS rows or fewer (decode)."""
