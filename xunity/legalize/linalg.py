"""Kernel of graph.matmul with numpy semantics.

f32 matrix products (both operands at least 2-D) use the gemm / gemv
strategies (xunity/strategies/); this generic kernel covers the rest
(f16/bf16, integers, 1-D operands).

`out[b..., i, j] = sum_k lhs[b..., i, k] * rhs[b..., k, j]`, as loops
(b..., i) { init out[.., i, :]; for k { for j { update } } }: the reduce loop
over k sits between the row loops and the contiguous column loop j, and the
outermost non-unit row loop is parallel.  Batch dims broadcast (a 1-dim reads index
0); a 1-D operand has no i (lhs) or j (rhs) index, which is numpy's promotion
with the promoted dim dropped.  f16/bf16 products accumulate in f32 and are
rounded once; integers accumulate (and wrap) in their own type.
"""

from __future__ import annotations

import dataclasses

from xdsl.ir import Operation

from xunity.dialects.graph import linalg
from xunity.dialects.graph.types import BOOL_TYPE
from xunity.legalize.kernel_builder import (
    KernelBuilder,
    LegalizeError,
    LegalizeRule,
    compute_type,
    parallel_axis,
)


def matmul_rule(op: Operation, kb: KernelBuilder) -> None:
    assert isinstance(op, linalg.MatmulOp)
    (lhs, rhs), (out,) = kb.inputs, kb.outputs
    if lhs.element_type == BOOL_TYPE:
        raise LegalizeError("graph.matmul: i1 operands are not supported; cast first")
    batch_rank = out.rank - (lhs.rank > 1) - (rhs.rank > 1)
    # Views of the batch dims alone, to broadcast them against the output's.
    lhs_batch = dataclasses.replace(lhs, shape=lhs.shape[:-2])
    rhs_batch = dataclasses.replace(rhs, shape=rhs.shape[:-2])
    acc_type = compute_type(out.element_type)
    # f16/bf16 accumulate in an f32 scratch buffer, rounded once at the end.
    acc = out if acc_type == out.element_type else kb.scratch(out.shape, acc_type)

    # Loop order (batch.., i) { init row; for k { for j { row[j] += a*b } } }:
    # the innermost j is contiguous in rhs and out.  Rows are independent (each
    # writes its own slice of out and acc), so the outermost non-unit row loop
    # is parallel.
    row_extents = list(out.shape[: out.rank - (rhs.rank > 1)])
    col_extents = list(out.shape[len(row_extents) :])
    k_extent = lhs.shape[-1]
    with kb.loops(row_extents, parallel=parallel_axis(row_extents)) as row_vars:
        rows = list(zip(row_vars, row_extents, strict=True))
        with kb.loops(col_extents) as col_vars:
            spatial = rows + list(zip(col_vars, col_extents, strict=True))
            with kb.block("matmul_init", spatial) as ivs:
                kb.emitter.store(kb.emitter.constant(0, acc_type), acc, ivs)
        with kb.loops([k_extent]) as (k_var,), kb.loops(col_extents) as col_vars:
            spatial = rows + list(zip(col_vars, col_extents, strict=True))
            with kb.block("matmul_update", spatial, [(k_var, k_extent)]) as ivs:
                e = kb.emitter
                s_ivs, k = ivs[:-1], ivs[-1]
                batch, rest = s_ivs[:batch_rank], s_ivs[batch_rank:]
                i = rest[:1] if lhs.rank > 1 else []
                j = rest[-1:] if rhs.rank > 1 else []
                total = e.load(acc, s_ivs)
                a = e.load(lhs, [*lhs_batch.broadcast_indices(batch, kb.zero), *i, k])
                b = e.load(rhs, [*rhs_batch.broadcast_indices(batch, kb.zero), k, *j])
                e.store(e.add(total, e.mul(a, b)), acc, s_ivs)
        if acc is not out:
            with kb.loops(col_extents) as col_vars:
                spatial = rows + list(zip(col_vars, col_extents, strict=True))
                with kb.block("matmul_final", spatial) as ivs:
                    kb.emitter.store(kb.emitter.load(acc, ivs), out, ivs)


RULES: dict[type[Operation], LegalizeRule] = {
    linalg.MatmulOp: matmul_rule,
}
