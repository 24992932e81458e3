"""`graph-prepack-weights`: pack the constant rhs of f32 matmuls at compile time.

The f32 GEMM copies its rhs into NR-column panels (k-major) on every call;
for a 128-row product that copy is about a tenth of the time.  When the rhs
is a constant (weights bound from `params` are), the copy can be made once:

    %w = graph.constant ... : [k, n]
    %y = graph.matmul %x, %w
      ==>
    %p = graph.constant ... : [ceil(n / 48), k, 48]
    %y = graph.packed_matmul %x, %p columns = n

(ONNX Runtime pre-packs constant GEMM operands at session start for the same
reason.)  Products the GEMV rule takes (a static row count <= 4: decode
shapes read the rhs once, in place) and anything but 2-D f32 constants with
a non-empty depth are left alone.  The original constant stays while it
has other users.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, f32
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)

from xunity.dialects.graph.base import tensor_type
from xunity.dialects.graph.creation import ConstantOp
from xunity.dialects.graph.linalg import MatmulOp, PackedMatmulOp
from xunity.legalize.gemm import GEMV_MAX_ROWS


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


class PrepackConstantRhs(RewritePattern):
    """graph.matmul %x, (graph.constant [k, n] f32)  ==>  graph.packed_matmul"""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: MatmulOp, rewriter: PatternRewriter) -> None:
        constant = op.rhs.owner
        if not isinstance(constant, ConstantOp) or not benefits_from_packing(op):
            return
        weight = constant.to_numpy()
        packed = rewriter.insert(ConstantOp.from_numpy(pack_rhs(weight)))
        rewriter.replace(op, PackedMatmulOp(op.lhs, packed.result, weight.shape[1]))
        if not constant.result.uses:
            rewriter.erase(constant)


@dataclass(frozen=True)
class GraphPrepackWeightsPass(ModulePass):
    """Rewrite every matmul by a constant f32 matrix to a prepacked matmul."""

    name = "graph-prepack-weights"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(PrepackConstantRhs()).rewrite_module(op)
