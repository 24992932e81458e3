"""`graph-simplify`: local algebraic simplifications of graph programs.

Each rewrite is its own pattern, named for its effect; all of them keep
types exactly (a value is only replaced by one of the same type).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.transforms.dead_code_elimination import RemoveUnusedOperations

from xunity.dialects.graph.elementwise import AsTypeOp, NegOp
from xunity.dialects.graph.manipulation import BroadcastToOp, PermuteDimsOp, ReshapeOp


class RemoveSameTypeConversion(RewritePattern):
    """astype / reshape / broadcast_to (x : T) -> T  ==>  x"""

    @op_type_rewrite_pattern
    def match_and_rewrite(
        self, op: AsTypeOp | ReshapeOp | BroadcastToOp, rewriter: PatternRewriter
    ) -> None:
        if op.input.type != op.result.type:
            return
        rewriter.replace(op, [], [op.input])


class FoldReshapeOfReshape(RewritePattern):
    """reshape(reshape(x) : T1) : T2  ==>  reshape(x) : T2"""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: ReshapeOp, rewriter: PatternRewriter) -> None:
        inner = op.input.owner
        if not isinstance(inner, ReshapeOp):
            return
        rewriter.replace(
            op, ReshapeOp.create(operands=[inner.input], result_types=[op.result.type])
        )


class ComposePermutations(RewritePattern):
    """permute(permute(x, p), q)  ==>  permute(x, p[q]), or x when that is identity"""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: PermuteDimsOp, rewriter: PatternRewriter) -> None:
        inner = op.input.owner
        if not isinstance(inner, PermuteDimsOp):
            return
        first, second = inner.axes.get_values(), op.axes.get_values()
        rank = len(first)
        composed = [first[axis % rank] % rank for axis in second]
        if composed == list(range(rank)):
            rewriter.replace(op, [], [inner.input])
            return
        rewriter.replace(op, PermuteDimsOp(inner.input, composed))


class RemoveIdentityPermutation(RewritePattern):
    """permute(x, [0, 1, ..., r-1])  ==>  x"""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: PermuteDimsOp, rewriter: PatternRewriter) -> None:
        rank = len(op.axes.get_values())
        if [axis % rank for axis in op.axes.get_values()] != list(range(rank)):
            return
        rewriter.replace(op, [], [op.input])


class RemoveDoubleNegation(RewritePattern):
    """neg(neg(x))  ==>  x"""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: NegOp, rewriter: PatternRewriter) -> None:
        inner = op.input.owner
        if not isinstance(inner, NegOp):
            return
        rewriter.replace(op, [], [inner.input])


SIMPLIFY_PATTERNS: tuple[type[RewritePattern], ...] = (
    RemoveSameTypeConversion,
    RemoveDoubleNegation,
    FoldReshapeOfReshape,
    ComposePermutations,
    RemoveIdentityPermutation,
)


@dataclass(frozen=True)
class GraphSimplifyPass(ModulePass):
    """Apply every graph simplification to a fixed point, then drop dead ops."""

    name = "graph-simplify"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        patterns = GreedyRewritePatternApplier(
            [*(cls() for cls in SIMPLIFY_PATTERNS), RemoveUnusedOperations()]
        )
        PatternRewriteWalker(patterns).rewrite_module(op)
