"""Strategy `quant-gemm`: graph.quant_matmul for many (or a symbolic number
of) rows, as the f32 GEMM of gemm.py whose B panels are dequantised.

The GEMM packs B into 48-column panels, k-major, per depth block; a
quantised weight's panel layout has the same 48 rows of W per panel (W's
rows are B's columns), so packing a panel is dequantising it: for each
block of the depth block and each code byte row, a loop over the panel's
48 rows (vectorised) stores two depth rows of the panel, d * q (+ m).
Rows past N are zero codes and scales, so they pack to zeros.  The f32
micro-kernels then run at full speed on the packed panels.  B is never
read in place: up to gemm.OWN_B_ROW_PANELS row panels each column-slice
task dequantises its own panels (into L2, one parallel launch per call),
beyond that the panels of each (column, depth) block are dequantised once
and shared.  A symbolic row count of at most QUANT_GEMV_MAX_ROWS runs the
quant-gemv kernel instead (it decodes the codes once per row; the GEMM
once per call, but pads rows to 8-row tiles).
"""

from __future__ import annotations

from xdsl.dialects.builtin import f32
from xdsl.ir import Operation

from xunity.dialects.graph.quantized import BLOCK, PANEL_ROWS, QuantMatmulOp
from xunity.legalize.kernel_builder import KernelBuilder, block_over, loop_over
from xunity.legalize.quantized import HALF, QuantWeight
from xunity.strategies.base import KernelStrategy
from xunity.strategies.gemm import NR, FewRows, PanelPack, build_gemm
from xunity.strategies.matmul import Matmul, static_rows
from xunity.strategies.quant_gemv import QUANT_GEMV_MAX_ROWS, build_quant_gemv

assert NR == PANEL_ROWS, "a quantised panel is one GEMM B panel"


def quant_gemm_rule(op: Operation, kb: KernelBuilder) -> None:
    """The f32 GEMM with B dequantised into its packed panels; few symbolic
    rows run the GEMV instead."""
    x, *parts = kb.inputs
    weight = QuantWeight.of(op, parts)
    out = kb.outputs[0]

    def gemv() -> None:
        build_quant_gemv(kb, x, weight, out)

    def pack(kb: KernelBuilder, panel: PanelPack) -> None:
        _dequantize_panel(kb, weight, panel)

    mm = Matmul(kb, matrix_rhs=False)
    build_gemm(mm, packer=pack, few_rows=FewRows(QUANT_GEMV_MAX_ROWS, gemv))


def _dequantize_panel(kb: KernelBuilder, weight: QuantWeight, pack: PanelPack) -> None:
    """packed_b[p, k, c] = W[(first + p) * 48 + c, k0 + k] for k < kc: for
    each block of the depth block and each code byte row j, the loop over
    the panel's rows c vectorises: one load of codes, two rows of the panel
    (elements j and j + 16).  (Writing all 32 rows in one loop would need
    more run-time alias checks than LLVM's vectoriser makes.)"""
    e = kb.emitter
    blocks = e.floordiv(pack.kc, e.index(BLOCK))
    half, width = e.index(HALF), e.index(PANEL_ROWS)
    panel = e.add(pack.first, pack.p.var)
    block0 = e.floordiv(pack.k0, e.index(BLOCK))
    panels = kb.dim(weight.panels)
    with (
        loop_over(kb, blocks) as bb,
        loop_over(kb, half) as j,
        loop_over(kb, width) as c,
    ):
        pairs = [pack.depth.pair, pack.p.pair, (panel, panels), (bb, blocks)]
        pairs += [(j, half), (c, width)]
        with block_over(
            kb, "quant_pack_b", pairs, weight.buffers, [pack.packed_b]
        ) as ivs:
            _, vp, vpanel, vbb, vj, vc = ivs
            e = kb.emitter
            at = [vpanel, e.add(block0, vbb), vc]
            scales, one = weight.block_scales(e, at), e.constant(1, f32)
            row = e.add(e.mul(vbb, e.index(BLOCK)), vj)
            for code in weight.code_pair(e, vpanel, at[1], vj, vc):
                value = weight.scaled(e, scales, code, one)
                e.store(value, pack.packed_b, [vp, row, vc])
                row = e.add(row, half)


def _applies(op: Operation, kb: KernelBuilder) -> bool:
    rows = static_rows(kb.inputs[0])
    return rows is None or rows > QUANT_GEMV_MAX_ROWS


QUANT_GEMM = KernelStrategy("quant-gemm", QuantMatmulOp, _applies, quant_gemm_rule)
"""graph.quant_matmul with more than QUANT_GEMV_MAX_ROWS (or symbolic) rows."""
