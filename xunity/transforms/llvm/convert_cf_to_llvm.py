"""`convert-cf-to-llvm`: `cf.br` / `cf.cond_br` -> `llvm.br` / `llvm.cond_br`.

Branch operands take their llvm types (`index` -> `i64`) and so do the
arguments of the blocks they jump to; values still used as `index` inside a
block see a bridging cast of the new argument (llvm_conversion.py).
`cf.switch` and `cf.assert` have no lowering yet and fail the pass.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import cf, llvm
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)

from xunity.lowering.llvm_patterns import (
    check_lowered,
    llvm_values,
    retype_block_arguments,
)

PASS_NAME = "convert-cf-to-llvm"


class BranchLowering(RewritePattern):
    """cf.br ^bb(%i : index)  ==>  llvm.br ^bb(%i' : i64)"""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: cf.BranchOp, rewriter: PatternRewriter) -> None:
        retype_block_arguments(op.successor, rewriter)
        arguments = llvm_values(op.arguments, rewriter)
        rewriter.replace(op, [llvm.BrOp(op.successor, *arguments)])


class CondBranchLowering(RewritePattern):
    """cf.cond_br %c, ^a(...), ^b(...)  ==>  llvm.cond_br %c, ^a(...), ^b(...)"""

    @op_type_rewrite_pattern
    def match_and_rewrite(
        self, op: cf.ConditionalBranchOp, rewriter: PatternRewriter
    ) -> None:
        retype_block_arguments(op.then_block, rewriter)
        retype_block_arguments(op.else_block, rewriter)
        then_arguments = llvm_values(op.then_arguments, rewriter)
        else_arguments = llvm_values(op.else_arguments, rewriter)
        rewriter.replace(
            op,
            [
                llvm.CondBrOp(
                    op.cond,
                    op.then_block,
                    then_arguments,
                    op.else_block,
                    else_arguments,
                )
            ],
        )


@dataclass(frozen=True)
class ConvertCfToLlvmPass(ModulePass):
    """Lower `cf` branches to `llvm` branches; other `cf` ops fail the pass."""

    name = "convert-cf-to-llvm"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(
            GreedyRewritePatternApplier([BranchLowering(), CondBranchLowering()])
        ).rewrite_module(op)
        check_lowered(op, PASS_NAME, "cf")
