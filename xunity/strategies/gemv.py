"""Strategy `gemv`: f32 matmul with a static, small row count (decode shapes);
the gemm strategy runs the same GEMV when a symbolic row count is small.

Such a product is memory-bound on rhs: k is split into GEMV_TASKS parallel
tasks, each streaming a contiguous run of whole rhs rows into partial sums
(j contiguous, vectorised by LLVM), then the partials are added.
"""

from __future__ import annotations

from xdsl.dialects.builtin import f32
from xdsl.ir import Operation, SSAValue

from xunity.dialects import tir
from xunity.dialects.graph.linalg import MatmulOp
from xunity.dialects.graph.types import TensorType
from xunity.ir.symbolic import SymExpr
from xunity.legalize.kernel_builder import (
    Buffer,
    KernelBuilder,
    block_over,
    loop_over,
    memref_of,
)
from xunity.strategies.base import KernelStrategy
from xunity.strategies.matmul import Matmul, ceildiv, is_f32_matrix_product, static_rows

GEMV_MAX_ROWS = 4
"""Up to this many rows, matmul runs as GEMV strips instead: a static row
count here, a symbolic one at run time (gemm.py)."""
GEMV_TASKS = 4
"""GEMV splits k into this many parallel tasks (a few per core)."""
GEMV_UNROLL = 4
"""rhs rows added into the partial sums per pass."""


def gemv_rule(op: Operation, kb: KernelBuilder) -> None:
    """out[b.., i, j] = sum_k lhs[b.., i, k] rhs[b.., k, j], split over k."""
    del op
    build_gemv(Matmul(kb))


def build_gemv(mm: Matmul) -> None:
    """The GEMV at the builder's insertion point, for any row count (the gemm
    strategy also runs it, guarded, when a symbolic row count is small).

    Each of GEMV_TASKS parallel tasks streams a contiguous run of whole rhs
    rows (what DRAM prefetchers stream best) into its own partial sums; a
    last pass adds the partials, which also makes it the final block that
    kernel fusion puts elementwise consumers into.  The partials are
    allocated here, so a guarded GEMV allocates them only when it runs.
    """
    kb = mm.kb
    e = kb.emitter
    shape = (SymExpr.of(GEMV_TASKS), mm.lhs.shape[-2], mm.out.shape[-1])
    sizes = [
        size
        for dim, size in zip(shape[1:], (mm.m, mm.n), strict=True)
        if not dim.is_constant
    ]
    partial_type = memref_of(TensorType(shape, f32))
    partial = Buffer(e.emit(tir.AllocBufferOp(partial_type, sizes)), shape, f32)
    tasks, m = kb.dim(GEMV_TASKS), mm.m
    chunk = ceildiv(e, mm.k, GEMV_TASKS)
    with kb.loops(mm.batch_shape) as batch_vars:
        batch = [loop.pair for loop in mm.batch_loops(batch_vars)]
        with loop_over(kb, tasks, parallel=True) as t:
            e = kb.emitter
            k0 = e.mul(t, chunk)
            rows = e.maximum(e.minimum(chunk, e.sub(mm.k, k0)), kb.zero)
            with (
                loop_over(kb, m) as i,
                loop_over(kb, mm.n) as j,
                block_over(
                    kb, "gemv_init", [(t, tasks), (i, m), (j, mm.n)], [], [partial]
                ) as ivs,
            ):
                kb.emitter.store(kb.emitter.constant(0, f32), partial, ivs)
            # GEMV_UNROLL rows of rhs per pass over the partial row (fewer
            # loads/stores of it, more streams in flight), then the rest.
            e = kb.emitter
            groups = e.floordiv(rows, e.index(GEMV_UNROLL))
            rest = e.sub(rows, e.mul(groups, e.index(GEMV_UNROLL)))
            with loop_over(kb, groups) as g:
                first = kb.emitter.add(
                    k0, kb.emitter.mul(g, kb.emitter.index(GEMV_UNROLL))
                )
                _gemv_update(kb, mm, partial, batch, (t, tasks), m, first, GEMV_UNROLL)
            with loop_over(kb, rest) as r:
                e = kb.emitter
                first = e.add(e.add(k0, e.mul(groups, e.index(GEMV_UNROLL))), r)
                _gemv_update(kb, mm, partial, batch, (t, tasks), m, first, 1)
        with (
            loop_over(kb, m) as i,
            loop_over(kb, mm.n) as j,
            block_over(
                kb, "gemv_sum", [*batch, (i, m), (j, mm.n)], [partial], [mm.out]
            ) as ivs,
        ):
            e = kb.emitter
            vi, vj = ivs[len(batch) :]
            parts = [e.load(partial, [e.index(t), vi, vj]) for t in range(GEMV_TASKS)]
            total = parts[0]
            for part in parts[1:]:
                total = e.add(total, part)
            e.store(total, mm.out, ivs)


def _gemv_update(
    kb: KernelBuilder,
    mm: Matmul,
    partial: Buffer,
    batch: list[tuple[SSAValue, SSAValue]],
    task: tuple[SSAValue, SSAValue],
    m: SSAValue,
    first: SSAValue,
    count: int,
) -> None:
    """partial[t, i, j] += sum over rows first .. first + count - 1 of lhs * rhs."""
    with (
        loop_over(kb, m) as i,
        loop_over(kb, mm.n) as j,
        block_over(
            kb,
            "gemv_update" if count == 1 else f"gemv_update{count}",
            [*batch, task, (i, m), (j, mm.n)],
            [mm.lhs, mm.matrix],
            [partial],
            reduce=[(first, mm.k)],
        ) as ivs,
    ):
        e = kb.emitter
        b_ivs, (vt, vi, vj, vk) = ivs[: len(batch)], ivs[len(batch) :]
        total = e.load(partial, [vt, vi, vj])
        for offset in range(count):
            row = vk if offset == 0 else e.add(vk, e.index(offset))
            a = e.load(mm.lhs, mm.lhs_at(b_ivs, vi, row))
            b = e.load(mm.matrix, mm.rhs_at(b_ivs, row, vj))
            total = e.add(total, e.mul(a, b))
        e.store(total, partial, [vt, vi, vj])


def _gemv_applies(op: Operation, kb: KernelBuilder) -> bool:
    lhs, rhs = kb.inputs
    if not is_f32_matrix_product(lhs, rhs):
        return False
    rows = static_rows(lhs)
    return rows is not None and rows <= GEMV_MAX_ROWS


GEMV = KernelStrategy("gemv", MatmulOp, _gemv_applies, gemv_rule)
"""f32 matrix products with at most GEMV_MAX_ROWS static rows."""
