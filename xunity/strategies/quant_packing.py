"""The panel layout of quantised weights, made at load time from GGUF blocks.

`pack_quant_weight` turns a weight's blocks as the GGUF reader gives them
(`QuantBlocks`: scales and mins [N, K / 32], codes [N, K / 32, 32] with q4_0
already centred; `pack_quant_bytes` from its code bytes as stored) into the
operands of graph.quant_matmul / quant_take
(layout and rationale: xunity/dialects/graph/quantized.py); the kernels that
read it are in xunity/legalize/quantized.py and xunity/strategies/.
`dequantize_packed` is the numpy reference of what they compute.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from xunity.dialects.graph.quantized import BLOCK, FORMATS, PANEL_ROWS, Q4_OFFSET
from xunity.legalize.quantized import HALF


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
    values = codes.astype(np.int16)
    if fmt.nibbles:
        if format == "q4_0":
            values = values + Q4_OFFSET
        if values.min(initial=0) < 0 or values.max(initial=0) > 15:
            raise ValueError(f"{format} codes must be nibbles")
        values = values[..., :HALF] | (values[..., HALF:] << 4)
    return pack_quant_bytes(format, scales, mins, values.astype(np.uint8))


def pack_quant_bytes(
    format: str,
    scales: np.ndarray,
    mins: np.ndarray | None,
    code_bytes: np.ndarray,
    into: Sequence[np.ndarray] | None = None,
) -> PackedQuantWeight:
    """`pack_quant_weight` from the blocks' code bytes as GGUF stores them
    (`QuantBlocks.code_bytes`): [N, K / 32, 32] int8 codes for q8_0, [N, K /
    32, 16] bytes of two nibbles for q4_0 and q4_1 (element j low, j + 16
    high).  Those are the panel layout's bytes already, so they are only
    moved: one copy into the panels, no per-element temporaries (SmolLM2's
    q8_0 embedding table of 27 MB passed through 135 MB of them).

    `into`: arrays of the parts' shapes (codes, scales[, mins], e.g. a
    member's panels of a stacked weight, see `empty_parts`) to write them
    to, instead of new ones.
    """
    fmt = FORMATS[format]
    rows, blocks, width = code_bytes.shape
    if width != fmt.block_bytes or scales.shape != (rows, blocks):
        raise ValueError(
            f"expected code bytes [N, K/32, {fmt.block_bytes}] and scales "
            f"[N, K/32], got {code_bytes.shape} and {scales.shape}"
        )
    if fmt.has_mins != (mins is not None):
        raise ValueError(
            f"format {format} {'needs' if fmt.has_mins else 'takes no'} mins"
        )
    if code_bytes.dtype.itemsize != 1:
        raise ValueError(f"code bytes must be 8-bit, got {code_bytes.dtype}")
    sources = [code_bytes.view(np.int8).transpose(1, 2, 0), scales.T]
    if mins is not None:
        sources.append(mins.T)
    if into is None:
        into = empty_parts(format, -(-rows // PANEL_ROWS), blocks * BLOCK)
    if len(into) != len(sources):
        raise ValueError(f"{format} has {len(sources)} parts, got {len(into)}")
    for source, target in zip(sources, into, strict=True):
        _panels(source, target)
    codes, scale_panels, *min_panels = into
    return PackedQuantWeight(
        format, rows, codes, scale_panels, min_panels[0] if min_panels else None
    )


def empty_parts(format: str, panels: int, depth: int) -> list[np.ndarray]:
    """Uninitialised parts (codes, scales[, mins]) of `panels` panels of
    `depth` inputs, for `pack_quant_bytes(..., into=)` to fill."""
    fmt = FORMATS[format]
    blocks = depth // BLOCK
    parts = [
        np.empty((panels, blocks, fmt.block_bytes, PANEL_ROWS), np.int8),
        np.empty((panels, blocks, PANEL_ROWS), np.float16),
    ]
    if fmt.has_mins:
        parts.append(np.empty((panels, blocks, PANEL_ROWS), np.float16))
    return parts


def _panels(part: np.ndarray, result: np.ndarray) -> None:
    """[..., N] -> `result` [ceil(N / 48), ..., 48], zero past N."""
    *lead, rows = part.shape
    full, rest = divmod(rows, PANEL_ROWS)
    panels = full + (rest > 0)
    if result.shape != (panels, *lead, PANEL_ROWS):
        raise ValueError(
            f"panels of {part.shape} are {(panels, *lead, PANEL_ROWS)}, "
            f"not {result.shape}"
        )
    by_row = np.moveaxis(result, 0, -2)  # a view, [..., panels, 48]
    by_row[..., :full, :] = part[..., : full * PANEL_ROWS].reshape(
        *lead, full, PANEL_ROWS
    )
    if rest:
        by_row[..., full, :rest] = part[..., full * PANEL_ROWS :]
        by_row[..., full, rest:] = 0


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
