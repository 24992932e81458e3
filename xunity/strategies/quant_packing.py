"""The panel layout of quantised weights, made at load time from GGUF blocks.

`pack_quant_weight` turns a weight's blocks as the GGUF reader gives them
(`QuantBlocks`: scales and mins [N, K / 32], codes [N, K / 32, 32] with q4_0
already centred) into the operands of graph.quant_matmul / quant_take
(layout and rationale: xunity/dialects/graph/quantized.py); the kernels that
read it are in xunity/legalize/quantized.py and xunity/strategies/.
`dequantize_packed` is the numpy reference of what they compute.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from xunity.dialects.graph.quantized import BLOCK, FORMATS, PANEL_ROWS
from xunity.legalize.quantized import HALF, Q4_OFFSET


@dataclass(frozen=True)
class PackedQuantWeight:
    """The operands of a quantised weight in the panel layout."""

    format: str
    rows: int
    codes: np.ndarray
    """int8 [P, K / 32, 16 or 32, 48]."""
    scales: np.ndarray
    """float16 [P, K / 32, 48]."""
    mins: np.ndarray | None
    """float16 [P, K / 32, 48], q4_1 only."""

    @property
    def parts(self) -> list[np.ndarray]:
        """codes, scales (and mins): the op's operands after the first."""
        return [self.codes, self.scales, *([] if self.mins is None else [self.mins])]

    @property
    def nbytes(self) -> int:
        """Bytes a kernel reads to stream the whole weight once."""
        return sum(part.nbytes for part in self.parts)


def pack_quant_weight(
    format: str, scales: np.ndarray, mins: np.ndarray | None, codes: np.ndarray
) -> PackedQuantWeight:
    """[N, K / 32] scales / mins and [N, K / 32, 32] codes (GGUF element order,
    q4_0 centred in [-8, 7], q4_1 in [0, 15]) -> the panel layout, rows past
    N zero (they dequantise to 0)."""
    fmt = FORMATS[format]
    rows, blocks, block = codes.shape
    if block != BLOCK or scales.shape != (rows, blocks):
        raise ValueError(
            f"expected codes [N, K/32, {BLOCK}] and scales [N, K/32], got "
            f"{codes.shape} and {scales.shape}"
        )
    if fmt.has_mins != (mins is not None):
        raise ValueError(
            f"format {format} {'needs' if fmt.has_mins else 'takes no'} mins"
        )
    values = codes.astype(np.int16)
    if fmt.nibbles:
        if format == "q4_0":
            values = values + Q4_OFFSET
        if values.min(initial=0) < 0 or values.max(initial=0) > 15:
            raise ValueError(f"{format} codes must be nibbles")
        values = values[..., :HALF] | (values[..., HALF:] << 4)
    bytes_ = values.astype(np.uint8).view(np.int8)
    return PackedQuantWeight(
        format,
        rows,
        _panels(bytes_.transpose(1, 2, 0)),
        _panels(scales.astype(np.float16).T),
        None if mins is None else _panels(mins.astype(np.float16).T),
    )


def _panels(part: np.ndarray) -> np.ndarray:
    """[..., N] -> [ceil(N / 48), ..., 48], zero past N."""
    *lead, rows = part.shape
    panels = -(-rows // PANEL_ROWS)
    padded = np.zeros((*lead, panels * PANEL_ROWS), part.dtype)
    padded[..., :rows] = part
    split = padded.reshape(*lead, panels, PANEL_ROWS)
    return np.ascontiguousarray(np.moveaxis(split, -2, 0))


def dequantize_packed(weight: PackedQuantWeight) -> np.ndarray:
    """W [N, K] as float32, elements computed as ggml's reference does."""
    fmt = FORMATS[weight.format]
    codes = np.moveaxis(weight.codes, 3, 1)  # [P, 48, K / 32, bytes]
    if fmt.nibbles:
        raw = codes.view(np.uint8)
        codes = np.concatenate([raw & 0x0F, raw >> 4], axis=-1).astype(np.int16)
        if weight.format == "q4_0":
            codes = codes - Q4_OFFSET
    scales = np.moveaxis(weight.scales, 2, 1).astype(np.float32)
    values = codes.astype(np.float32) * scales[..., None]
    if weight.mins is not None:
        values += np.moveaxis(weight.mins, 2, 1).astype(np.float32)[..., None]
    return values.reshape(-1, values.shape[2] * BLOCK)[: weight.rows]
