"""Kernel of graph.matmul with numpy semantics.

`out[b..., i, j] = sum_k lhs[b..., i, k] * rhs[b..., k, j]`: spatial loops over
the output, one reduce loop over k.  Batch dims broadcast (a 1-dim reads index
0); a 1-D operand has no i (lhs) or j (rhs) index, which is numpy's promotion
with the promoted dim dropped.  f16/bf16 products accumulate in f32 and are
rounded once; integers accumulate (and wrap) in their own type.
"""

from __future__ import annotations

import dataclasses

from xdsl.ir import Operation, SSAValue

from xunity.dialects.graph import linalg
from xunity.dialects.graph.types import BOOL_TYPE
from xunity.legalize.kernel_builder import (
    Emitter,
    KernelBuilder,
    LegalizeError,
    LegalizeRule,
    compute_type,
    reduce_into,
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

    def update(
        e: Emitter, s: list[SSAValue], r: list[SSAValue], acc: SSAValue
    ) -> SSAValue:
        batch, rest = s[:batch_rank], s[batch_rank:]
        (k,) = r
        i = rest[:1] if lhs.rank > 1 else []
        j = rest[-1:] if rhs.rank > 1 else []
        a = e.load(lhs, [*lhs_batch.broadcast_indices(batch, kb.zero), *i, k])
        b = e.load(rhs, [*rhs_batch.broadcast_indices(batch, kb.zero), k, *j])
        return e.add(acc, e.mul(a, b))

    acc_type = compute_type(out.element_type)
    reduce_into(
        kb,
        out,
        [lhs.shape[-1]],
        init=lambda e, ivs: e.constant(0, acc_type),
        update=update,
        name="matmul",
    )


RULES: dict[type[Operation], LegalizeRule] = {
    linalg.MatmulOp: matmul_rule,
}
