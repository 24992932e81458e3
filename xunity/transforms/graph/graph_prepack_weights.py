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

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)

from xunity.dialects.graph.creation import ConstantOp
from xunity.dialects.graph.linalg import MatmulOp, PackedMatmulOp
from xunity.strategies.packing import benefits_from_packing, pack_rhs


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
