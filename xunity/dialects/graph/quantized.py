"""Graph ops on GGUF-style block-quantised weights, which stay quantised.

A weight `W[N, K]` (PyTorch's `[out, in]` layout, as in GGUF) is stored in
blocks of 32 elements along K, each with an f16 scale `d` (and an f16 min `m`
for q4_1):

| format | element | code |
|---|---|---|
| `q8_0` | d * q | int8 |
| `q4_0` | d * (q - 8) | nibble 0..15 |
| `q4_1` | d * q + m | nibble 0..15 |

The parts are operands in the *panel layout* (`pack_quant_weight` in
xunity/strategies/quant_packing.py makes it from a GGUF file's blocks): the
rows of W are grouped into panels of PANEL_ROWS (48, the f32 GEMM's panel
width), and the rows of a panel are the innermost, contiguous dim:

    codes  i8  [P, K / 32, BYTES, 48]   P = ceil(N / 48)
    scales f16 [P, K / 32, 48]
    mins   f16 [P, K / 32, 48]          (q4_1 only)

`codes[p, b, j, c]` belongs to row `p * 48 + c`, block `b`: for q8_0 (BYTES =
32) it is the code of element `b * 32 + j`; for q4 (BYTES = 16) it is a byte
whose low nibble codes element `b * 32 + j` and high nibble element
`b * 32 + j + 16` (GGUF's order within a block).  Rows past N are padding.
i8 holds the bytes: the kernels read the nibbles as bit patterns.

Why rows innermost: one load of codes[p, b, j, :] serves 48 rows at once, so
the GEMV runs along rows (vector accumulators, no horizontal sums) and the
GEMM dequantises a whole depth row of its packed B panel per vector.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass

from xdsl.dialects.builtin import I64, IntegerAttr, StringAttr, f16, f32, i8, i64
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    prop_def,
    result_def,
    traits_def,
)
from xdsl.traits import Pure

from xunity.dialects.graph.base import GraphOp, infer_or_raise, tensor_type
from xunity.dialects.graph.inference import Shape, ShapeError
from xunity.dialects.graph.linalg import PackedMatmulOp
from xunity.dialects.graph.manipulation import INDEX_TYPES
from xunity.dialects.graph.types import TensorType
from xunity.ir.symbolic import SymExpr

BLOCK = 32
"""Elements of W per block along K (one scale, and min, per block)."""
Q4_OFFSET = 8
"""q4_0's codes are q - 8."""
PANEL_ROWS = PackedMatmulOp.PANEL_WIDTH
"""Rows of W per panel: the f32 GEMM's panel width, so that a dequantised
panel is a GEMM B panel."""


@dataclass(frozen=True)
class QuantFormat:
    """A block format: code bytes per block and row, and whether it has mins."""

    name: str
    block_bytes: int
    has_mins: bool

    @property
    def nibbles(self) -> bool:
        """Two 4-bit codes per byte (elements j and j + 16 of a block)."""
        return self.block_bytes == BLOCK // 2


FORMATS: dict[str, QuantFormat] = {
    f.name: f
    for f in (
        QuantFormat("q8_0", BLOCK, has_mins=False),
        QuantFormat("q4_0", BLOCK // 2, has_mins=False),
        QuantFormat("q4_1", BLOCK // 2, has_mins=True),
    )
}


def quant_format(name: str) -> QuantFormat:
    """The format called `name`; a ShapeError listing the known ones otherwise."""
    found = FORMATS.get(name)
    if found is None:
        raise ShapeError(f"format must be one of {', '.join(FORMATS)}, got '{name}'")
    return found


def quant_weight_depth(
    fmt: QuantFormat,
    rows: int,
    codes: TensorType,
    scales: TensorType,
    mins: TensorType | None,
) -> SymExpr:
    """K, the depth of the quantised weight [rows, K] these parts hold in the
    panel layout; a ShapeError naming the broken rule otherwise."""
    if rows < 1:
        raise ShapeError(f"rows must be >= 1, got {rows}")
    if fmt.has_mins != (mins is not None):
        raise ShapeError(
            f"format {fmt.name} {'needs' if fmt.has_mins else 'takes no'} mins"
        )
    if codes.element_type != i8:
        raise ShapeError(f"codes must be i8, got {codes.element_type}")
    for what, part in (("scales", scales), ("mins", mins)):
        if part is not None and part.element_type != f16:
            raise ShapeError(f"{what} must be f16, got {part.element_type}")
    panels = -(-rows // PANEL_ROWS)
    if codes.rank != 4 or not _matches(
        codes.shape, (panels, None, fmt.block_bytes, PANEL_ROWS)
    ):
        raise ShapeError(
            f"codes of {rows} {fmt.name} rows must be [{panels}, blocks, "
            f"{fmt.block_bytes}, {PANEL_ROWS}], got {_text(codes.shape)}"
        )
    blocks = codes.shape[1]
    for what, part in (("scales", scales), ("mins", mins)):
        if part is not None and (
            part.rank != 3 or not _matches(part.shape, (panels, blocks, PANEL_ROWS))
        ):
            raise ShapeError(
                f"{what} must be [{panels}, {blocks}, {PANEL_ROWS}] like the codes' "
                f"blocks, got {_text(part.shape)}"
            )
    return blocks * BLOCK


def _matches(shape: Shape, want: Sequence[int | SymExpr | None]) -> bool:
    return all(
        w is None or d.provably_equal(w) for d, w in zip(shape, want, strict=True)
    )


def _text(shape: Shape) -> str:
    return f"[{', '.join(map(str, shape))}]"


class QuantOp(GraphOp):
    """Base of the ops whose operands are one tensor, then a quantised
    weight's parts (codes, scales, mins if q4_1)."""

    def __init__(
        self,
        first: SSAValue,
        codes: SSAValue,
        scales: SSAValue,
        mins: SSAValue | None,
        format: str,
        rows: int,
    ):
        result_type = infer_or_raise(
            self.name,
            lambda: self.infer_from(
                tensor_type(first),
                tensor_type(codes),
                tensor_type(scales),
                None if mins is None else tensor_type(mins),
                format,
                rows,
            ),
        )
        super().__init__(
            operands=[first, codes, scales, [] if mins is None else [mins]],
            result_types=[result_type],
            properties={"format": StringAttr(format), "rows": IntegerAttr(rows, i64)},
        )

    @property
    def quant_format(self) -> QuantFormat:
        return FORMATS[self._format().data]

    @property
    def weight_rows(self) -> int:
        """N: the rows of W (padding rows of the last panel excluded)."""
        rows = self.properties["rows"]
        assert isinstance(rows, IntegerAttr)
        return rows.value.data

    def _format(self) -> StringAttr:
        format = self.properties["format"]
        assert isinstance(format, StringAttr)
        return format

    @classmethod
    def infer_from(
        cls,
        first: TensorType,
        codes: TensorType,
        scales: TensorType,
        mins: TensorType | None,
        format: str,
        rows: int,
    ) -> TensorType:
        depth = quant_weight_depth(quant_format(format), rows, codes, scales, mins)
        return cls.result_from(first, rows, depth)

    @classmethod
    @abc.abstractmethod
    def result_from(cls, first: TensorType, rows: int, depth: SymExpr) -> TensorType:
        """The result type, given the first operand and the weight's [rows, depth]."""

    def infer_result_types(self) -> Sequence[Attribute]:
        first, codes, scales, *mins = (tensor_type(v) for v in self.operands)
        return [
            self.infer_from(
                first,
                codes,
                scales,
                mins[0] if mins else None,
                self._format().data,
                self.weight_rows,
            )
        ]


@irdl_op_definition
class QuantMatmulOp(QuantOp):
    """`x @ W^T` for a quantised `W[rows, K]`:
    out[.., i, n] = sum_k x[.., i, k] W[n, k], x f32 `[..., n, K]`, out f32
    `[..., n, rows]`.

    `%y = graph.quant_matmul %x, %codes, %scales, %mins format = "q4_1"
        rows = 1536 : !graph.tensor<[n, 576], f32>,
        !graph.tensor<[32, 18, 16, 48], i8>, !graph.tensor<[32, 18, 48], f16>,
        !graph.tensor<[32, 18, 48], f16> -> !graph.tensor<[n, 1536], f32>`
    """

    name = "graph.quant_matmul"
    lhs = operand_def(TensorType)
    codes = operand_def(TensorType)
    scales = operand_def(TensorType)
    mins = opt_operand_def(TensorType)
    result = result_def(TensorType)
    format = prop_def(StringAttr)
    rows = prop_def(IntegerAttr[I64])
    traits = traits_def(Pure())
    assembly_format = (
        "$lhs `,` $codes `,` $scales (`,` $mins^)? `format` `=` $format "
        "`rows` `=` $rows attr-dict `:` type($lhs) `,` type($codes) `,` "
        "type($scales) (`,` type($mins)^)? `->` type($result)"
    )

    @classmethod
    def result_from(cls, first: TensorType, rows: int, depth: SymExpr) -> TensorType:
        if first.element_type != f32 or first.rank < 2:
            raise ShapeError(
                f"lhs must be f32 of rank >= 2, got {first.element_type} of rank "
                f"{first.rank}"
            )
        if not first.shape[-1].provably_equal(depth):
            raise ShapeError(
                f"lhs depth {first.shape[-1]} differs from the weight's {depth} "
                f"({BLOCK}-element blocks)"
            )
        return TensorType([*first.shape[:-1], rows], f32)


@irdl_op_definition
class QuantTakeOp(QuantOp):
    """Rows of a quantised `W[rows, K]`, dequantised: out[j.., k] = W[ids[j..], k]
    (an embedding lookup; indices wrap and clamp as in graph.take).

    `%e = graph.quant_take %ids, %codes, %scales format = "q8_0" rows = 49152 :
        !graph.tensor<[n], i64>, !graph.tensor<[1024, 18, 32, 48], i8>,
        !graph.tensor<[1024, 18, 48], f16> -> !graph.tensor<[n, 576], f32>`
    """

    name = "graph.quant_take"
    indices = operand_def(TensorType)
    codes = operand_def(TensorType)
    scales = operand_def(TensorType)
    mins = opt_operand_def(TensorType)
    result = result_def(TensorType)
    format = prop_def(StringAttr)
    rows = prop_def(IntegerAttr[I64])
    traits = traits_def(Pure())
    assembly_format = (
        "$indices `,` $codes `,` $scales (`,` $mins^)? `format` `=` $format "
        "`rows` `=` $rows attr-dict `:` type($indices) `,` type($codes) `,` "
        "type($scales) (`,` type($mins)^)? `->` type($result)"
    )

    @classmethod
    def result_from(cls, first: TensorType, rows: int, depth: SymExpr) -> TensorType:
        if first.element_type not in INDEX_TYPES:
            raise ShapeError(f"indices must hold i32 or i64, got {first.element_type}")
        return TensorType([*first.shape, depth], f32)


QUANTIZED_OPS = (QuantMatmulOp, QuantTakeOp)
