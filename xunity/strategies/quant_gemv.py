"""Strategy `quant-gemv`: graph.quant_matmul for few rows (decode).

q4 weights take the int16-activation path of quant_dot.py; what follows is
the f32 loop that q8_0 keeps.

The weight is streamed once per row of x, panel by panel, and dequantised
in registers.  Parallel tasks take runs of 48-row panels; for each row of x
and each block b, a loop over the panel's rows c computes the block's dot
product sum_k q x (16 steps written out: each decodes one code byte, q4's
elements j and j + 16, or two q8_0 codes, into two FMA chains) and adds
`d * dot (+ m * sum(x))` to out; the per-block sums of x are computed once
per call.  The rows of a panel are the codes' innermost, unit-stride dim
(the panel layout, xunity/dialects/graph/quantized.py), so LLVM vectorises
the loop over c at the host's vector width: one load of codes serves a
vector of weight rows, no horizontal sums, both sums in registers.

Decoding costs as much as the FMAs (a q4 byte: a mask, a shift, two
widenings and two int-to-float conversions for two FMAs), so a row runs at
the cores' vector throughput rather than at the memory's bandwidth
(docs/strategies.md has the figures).  Rows sharing one decoding measured
slower (the x values of several rows no longer fit in registers, and LLVM
checks every pair of rows for aliasing), so further rows repeat the pass,
reading the panel from L1/L2.
"""

from __future__ import annotations

import os

from xdsl.dialects.builtin import f32
from xdsl.ir import Operation

from xunity.dialects.graph.quantized import PANEL_ROWS, QuantMatmulOp
from xunity.legalize.kernel_builder import (
    Buffer,
    KernelBuilder,
    block_over,
    loop_over,
)
from xunity.legalize.quantized import QuantWeight
from xunity.strategies.base import KernelStrategy
from xunity.strategies.matmul import static_rows
from xunity.strategies.quant_dot import build_q4_gemv, panel_tasks

QUANT_GEMV_MAX_ROWS = 5
"""Up to this many rows (static, or a symbolic count at run time:
quant_gemm.py) quant_matmul runs this GEMV rather than the GEMM, which
dequantises the whole weight once but pads rows to 8-row tiles (SmolLM2's
[1536, 576] and [576, 1536] q4_1, GEMV vs GEMM, best of 7 blocks of 20
calls, 2 threads: 4 rows 0.093 vs 0.125 ms, 5 rows 0.113 vs 0.123-0.129,
6 rows 0.133 vs 0.125-0.130, 8 rows 0.17 vs 0.115)."""
QUANT_GEMV_TASKS = 2 * len(os.sched_getaffinity(0))
"""Parallel tasks over the panels, each a contiguous run of panels: two per
CPU this process may use, so that the pool can still balance them, with
runs long enough for the hardware prefetchers (SmolLM2 decode on 2 CPUs,
profiled, two alternating pairs of processes: 16 tasks 195.6 / 192.7
tok/s, 4 tasks 196.5 / 207.8)."""


def quant_gemv_rule(op: Operation, kb: KernelBuilder) -> None:
    """out[.., i, n] = sum_k x[.., i, k] W[n, k], W decoded in registers."""
    x, *parts = kb.inputs
    build_quant_gemv(kb, x, QuantWeight.of(op, parts), kb.outputs[0])


def build_quant_gemv(
    kb: KernelBuilder, x: Buffer, weight: QuantWeight, out: Buffer
) -> None:
    """The GEMV at the builder's insertion point, for any row count."""
    if weight.fmt.nibbles:
        build_q4_gemv(kb, x, weight, out, QUANT_GEMV_TASKS)
        return
    reads = [x, *weight.buffers]
    panels, blocks = kb.dim(weight.panels), kb.dim(weight.blocks)
    rows = x.shape[:-1]
    with (
        panel_tasks(kb, panels, QUANT_GEMV_TASKS) as (first, count),
        loop_over(kb, count) as q,
        kb.loops(rows) as row_vars,
    ):
        e = kb.emitter
        p = e.add(first, q)
        row0 = e.mul(p, e.index(PANEL_ROWS))
        width = e.minimum(e.index(PANEL_ROWS), e.sub(kb.dim(weight.rows), row0))
        spatial = [(v, kb.dim(d)) for v, d in zip(row_vars, rows, strict=True)]
        with loop_over(kb, blocks) as b, loop_over(kb, width) as c:
            pairs = [*spatial, (p, panels), (c, width)]
            with block_over(
                kb, "quant_gemv", pairs, reads, [out], reduce=[(b, blocks)]
            ) as ivs:
                e = kb.emitter
                *row, vp, vc, vb = ivs
                at = [vp, vb, vc]
                dot = weight.block_dot(e, x, row, at)
                term = weight.scaled(e, weight.block_scales(e, at), dot, None)
                n = [*row, e.add(e.mul(vp, e.index(PANEL_ROWS)), vc)]
                first_block = e.compare("eq", vb, kb.zero)
                before = e.select(first_block, e.constant(0, f32), e.load(out, n))
                e.store(e.add(before, term), out, n)


def _applies(op: Operation, kb: KernelBuilder) -> bool:
    rows = static_rows(kb.inputs[0])
    return rows is not None and rows <= QUANT_GEMV_MAX_ROWS


QUANT_GEMV = KernelStrategy("quant-gemv", QuantMatmulOp, _applies, quant_gemv_rule)
"""graph.quant_matmul with at most QUANT_GEMV_MAX_ROWS static rows."""
