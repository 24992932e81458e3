"""The GEMM's packed rhs layout, made ahead of time.

The gemm strategy copies its rhs into NR-column panels on every call; a
weight known before the call (a bound constant, or a weight argument the
builder packs once) can be given in that layout instead, as the rhs of a
`graph.packed_matmul`.  graph-prepack-weights, the builder's `prepack` and
the Llama model's weight loader all pack through this module, so the layout
has one definition next to the kernel that reads it.
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import f32

from xunity.dialects.graph.base import tensor_type
from xunity.dialects.graph.linalg import MatmulOp, PackedMatmulOp
from xunity.strategies.gemv import GEMV_MAX_ROWS


def pack_rhs(weight: np.ndarray) -> np.ndarray:
    """[k, n] -> [ceil(n / W), k, W]: W-column panels, zero past n (W = 48)."""
    width = PackedMatmulOp.PANEL_WIDTH
    depth, columns = weight.shape
    panels = -(-columns // width)
    padded = np.zeros((depth, panels * width), np.float32)
    padded[:, :columns] = weight
    return np.ascontiguousarray(padded.reshape(depth, panels, width).transpose(1, 0, 2))


def benefits_from_packing(op: MatmulOp) -> bool:
    """Whether `op` runs the packed GEMM on an f32 matrix rhs of some depth
    (the GEMV rule, for a static row count <= 4, reads the rhs in place)."""
    lhs, rhs = tensor_type(op.lhs), tensor_type(op.rhs)
    if lhs.element_type != f32 or rhs.element_type != f32:
        return False
    if lhs.rank < 2 or rhs.rank != 2 or rhs.shape[0].provably_equal(0):
        return False
    rows = lhs.shape[-2].constant_value()
    return rows is None or rows > GEMV_MAX_ROWS
