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


class RemoveAsTypeToSameType(RewritePattern):
    """astype(x : T) -> T  ==>  x"""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: AsTypeOp, rewriter: PatternRewriter) -> None:
        if op.input.type != op.result.type:
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
    RemoveAsTypeToSameType,
    RemoveDoubleNegation,
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
