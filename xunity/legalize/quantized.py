"""Kernels of the quantised-weight graph ops (xunity/dialects/graph/quantized.py),
and the decoding of their panel layout that the fast kernels share.

The generic quant_matmul kernel is the matmul rule's reduction with each
weight element dequantised where it is read:
`out[.., i, n] = sum_k x[.., i, k] * W[n, k]` (the default schedule runs its
rows in parallel); quant_take dequantises one row of W per index.  The
strategies (xunity/strategies/quant_gemv.py, quant_gemm.py) read the codes
with `QuantWeight` too, a pair of elements (j, j + 16) per byte, and scale
whole blocks with `QuantWeight.scaled`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from xdsl.dialects import arith
from xdsl.dialects.builtin import IndexType, f32, i8
from xdsl.ir import Operation, SSAValue

from xunity.dialects.graph.quantized import (
    BLOCK,
    PANEL_ROWS,
    Q4_OFFSET,
    QuantFormat,
    QuantMatmulOp,
    QuantOp,
    QuantTakeOp,
)
from xunity.ir.numerics import CONTRACT
from xunity.ir.symbolic import SymExpr
from xunity.legalize.kernel_builder import Buffer, Emitter, KernelBuilder, LegalizeRule
from xunity.legalize.manipulation import wrapped_index

HALF = BLOCK // 2
"""Elements j and j + HALF of a block share a code byte (q4), or a step of
the fast kernels' loops (q8_0)."""


@dataclass(frozen=True)
class QuantWeight:
    """A quantised W[rows, K] as kernel buffers: codes, scales, mins (q4_1)."""

    fmt: QuantFormat
    rows: int
    codes: Buffer
    scales: Buffer
    mins: Buffer | None

    @staticmethod
    def of(op: Operation, parts: Sequence[Buffer]) -> QuantWeight:
        """The weight of `op` from its buffers after the first input."""
        assert isinstance(op, QuantOp)
        codes, scales, *mins = parts
        fmt = op.quant_format
        return QuantWeight(
            fmt, op.weight_rows, codes, scales, mins[0] if mins else None
        )

    @property
    def blocks(self) -> SymExpr:
        """K / 32."""
        return self.codes.shape[1]

    @property
    def panels(self) -> SymExpr:
        return self.codes.shape[0]

    @property
    def buffers(self) -> list[Buffer]:
        return [
            self.codes,
            self.scales,
            *([] if self.mins is None else [self.mins]),
        ]

    def code_pair(
        self, e: Emitter, p: SSAValue, b: SSAValue, j: SSAValue, c: SSAValue
    ) -> tuple[SSAValue, SSAValue]:
        """The codes of elements j and j + 16 (j < 16) of block b of row
        p * 48 + c, as f32: q8_0's two bytes, or q4's low and high nibble."""
        if not self.fmt.nibbles:
            high = e.add(j, e.index(HALF))
            pair = (
                e.load(self.codes, [p, b, j, c]),
                e.load(self.codes, [p, b, high, c]),
            )
            return e.cast(pair[0], f32), e.cast(pair[1], f32)
        byte = e.load(self.codes, [p, b, j, c])
        low = e.emit(arith.AndIOp(byte, e.constant(15, i8)))
        high = e.emit(arith.ShRUIOp(byte, e.constant(4, i8)))
        return e.cast(low, f32), e.cast(high, f32)

    def block_dot(
        self,
        e: Emitter,
        x: Buffer,
        row: Sequence[SSAValue],
        at: Sequence[SSAValue],
    ) -> SSAValue:
        """sum_k q[k] x[row.., b * 32 + k] over block b of weight row
        p * 48 + c, `at` = (p, b, c): 16 steps written out, each decoding
        one code byte (q4) or two codes (q8_0) and adding elements j and
        j + 16 into two sums (independent FMA chains), so that a loop over c
        around it vectorises with the sums in registers."""
        p, b, c = at
        first = e.mul(b, e.index(BLOCK))
        sums: list[SSAValue] = []
        for j in range(HALF):
            codes = self.code_pair(e, p, b, e.index(j), c)
            for half, code in enumerate(codes):
                k = e.add(first, e.index(j + half * HALF))
                value = e.load(x, [*row, k])
                if j == 0:
                    sums.append(e.mul(code, value))
                else:
                    sums[half] = fma(e, code, value, sums[half])
        return e.add(sums[0], sums[1])

    def block_scales(
        self, e: Emitter, at: Sequence[SSAValue]
    ) -> tuple[SSAValue, SSAValue | None]:
        """d and m (q4_1; else None) of block b of row p * 48 + c, `at` = (p, b, c)."""
        scale = e.load(self.scales, at)
        return scale, None if self.mins is None else e.load(self.mins, at)

    def scaled(
        self,
        e: Emitter,
        scales: tuple[SSAValue, SSAValue | None],
        dot: SSAValue,
        xsum: SSAValue | None,
    ) -> SSAValue:
        """The block's term from its `scales`, dot = sum q_k x_k and xsum =
        sum x_k (k in the block; None for q8_0, which does not need it):
        d dot (q8_0), d (dot - 8 xsum) (q4_0), d dot + m xsum (q4_1).  With
        x = 1 at one k, that is the element W[n, k] itself."""
        d, m = scales
        if self.fmt.name == "q8_0":
            return e.mul(d, dot)
        assert xsum is not None
        if m is None:  # q4_0
            offset = e.mul(e.constant(Q4_OFFSET, f32), xsum)
            return e.mul(d, e.sub(dot, offset))
        return e.add(e.mul(d, dot), e.mul(m, xsum))

    def element(self, e: Emitter, row: SSAValue, k: SSAValue) -> SSAValue:
        """W[row, k] as f32."""
        p, c = e.floordiv(row, e.index(PANEL_ROWS)), e.rem(row, e.index(PANEL_ROWS))
        b, r = e.floordiv(k, e.index(BLOCK)), e.rem(k, e.index(BLOCK))
        low, high = self.code_pair(e, p, b, e.rem(r, e.index(HALF)), c)
        code = e.select(e.compare("ge", r, e.index(HALF)), high, low)
        return self.scaled(e, self.block_scales(e, [p, b, c]), code, e.constant(1, f32))


def fma(e: Emitter, a: SSAValue, b: SSAValue, c: SSAValue) -> SSAValue:
    """a * b + c, contractible into one FMA."""
    return e.emit(arith.AddfOp(e.emit(arith.MulfOp(a, b, CONTRACT)), c, CONTRACT))


def quant_matmul_rule(op: Operation, kb: KernelBuilder) -> None:
    """out[.., i, n] = sum_k x[.., i, k] * W[n, k]: kb.reduce over k, W read
    element by element."""
    x, *parts = kb.inputs
    (out,) = kb.outputs
    weight = QuantWeight.of(op, parts)

    def update(
        e: Emitter, ivs: list[SSAValue], r_ivs: list[SSAValue], acc: SSAValue
    ) -> SSAValue:
        *rows, n = ivs
        (k,) = r_ivs
        product = e.mul(e.load(x, [*rows, k]), weight.element(e, n, k))
        return e.add(acc, product)

    def zero(e: Emitter, ivs: list[SSAValue]) -> SSAValue:
        return e.constant(0, f32)

    kb.reduce(out, [x.shape[-1]], zero, update, name="quant_matmul")


def quant_take_rule(op: Operation, kb: KernelBuilder) -> None:
    """out[j.., k] = W[clamp(wrap(ids[j..])), k] (graph.take's index rules)."""
    ids, *parts = kb.inputs
    (out,) = kb.outputs
    weight = QuantWeight.of(op, parts)

    def value_at(e: Emitter, ivs: list[SSAValue]) -> SSAValue:
        *at, k = ivs
        raw = e.load(ids, at)
        row = wrapped_index(
            e, kb, e.emit(arith.IndexCastOp(raw, IndexType())), weight.rows
        )
        return weight.element(e, row, k)

    kb.compute(out, value_at, name="quant_take", parallel=True)


RULES: dict[type[Operation], LegalizeRule] = {
    QuantMatmulOp: quant_matmul_rule,
    QuantTakeOp: quant_take_rule,
}
