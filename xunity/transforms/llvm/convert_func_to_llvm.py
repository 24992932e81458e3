"""`convert-func-to-llvm`: `func.func` / `call` / `return` -> their `llvm` forms.

Argument and result types take their llvm types (`index` -> `i64`); a
function returns at most one value (xunity passes results through memory).
Linkage: a `private` function with a body becomes `internal` (LLVM may inline
and drop it); everything else, declarations included, stays `external`.
Discardable attributes (`tir.kernel`, ...) stay on the `llvm.func`; argument
attributes are kept only when they are `llvm.*` ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func, llvm
from xdsl.dialects.builtin import ArrayAttr, DictionaryAttr, ModuleOp
from xdsl.ir import Operation
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
    llvm_type,
    llvm_value,
    llvm_values,
    replace_bridged,
    retype_block_arguments,
)

PASS_NAME = "convert-func-to-llvm"


def _llvm_arg_attrs(attrs: ArrayAttr[DictionaryAttr] | None) -> ArrayAttr | None:
    """Only the `llvm.*` argument attributes; None when none is left."""
    if attrs is None:
        return None
    kept = [
        DictionaryAttr({k: v for k, v in a.data.items() if k.startswith("llvm.")})
        for a in attrs
    ]
    if not any(a.data for a in kept):
        return None
    return ArrayAttr(kept)


class FuncLowering(RewritePattern):
    """func.func @f(%n: index) -> T  ==>  llvm.func @f(%n: i64) -> T'"""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: func.FuncOp, rewriter: PatternRewriter) -> None:
        outputs = op.function_type.outputs.data
        if len(outputs) > 1:
            return
        inputs = [llvm_type(t) for t in op.function_type.inputs.data]
        output = llvm_type(outputs[0]) if outputs else None
        has_body = bool(op.body.blocks)
        private = op.sym_visibility is not None and op.sym_visibility.data == "private"
        linkage = "internal" if private and has_body else "external"
        if has_body:
            retype_block_arguments(op.body.blocks[0], rewriter)
        other_props = {}
        if (arg_attrs := _llvm_arg_attrs(op.arg_attrs)) is not None:
            other_props["arg_attrs"] = arg_attrs
        new_func = llvm.FuncOp(
            op.sym_name,
            llvm.LLVMFunctionType(inputs, output),
            linkage=llvm.LinkageAttr(linkage),
            body=rewriter.move_region_contents_to_new_regions(op.body),
            other_props=other_props,
            extra_attrs=op.attributes,
        )
        rewriter.replace(op, [new_func])


class ReturnLowering(RewritePattern):
    """func.return %v : T  ==>  llvm.return %v' : T'"""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: func.ReturnOp, rewriter: PatternRewriter) -> None:
        if len(op.arguments) > 1:
            return
        value = llvm_value(op.arguments[0], rewriter) if op.arguments else None
        rewriter.replace(op, [llvm.ReturnOp(value)])


class CallLowering(RewritePattern):
    """func.call @f(%a) : (index) -> T  ==>  llvm.call @f(%a') : (i64) -> T'"""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: func.CallOp, rewriter: PatternRewriter) -> None:
        if len(op.res) > 1:
            return
        arguments = llvm_values(op.arguments, rewriter)
        return_type = llvm_type(op.res[0].type) if op.res else None
        call = llvm.CallOp(op.callee, *arguments, return_type=return_type)
        replace_bridged(rewriter, op, [call], call.results)


@dataclass(frozen=True)
class ConvertFuncToLlvmPass(ModulePass):
    """Lower `func` functions, calls and returns to `llvm`; other `func` ops fail."""

    name = "convert-func-to-llvm"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(
            GreedyRewritePatternApplier(
                [FuncLowering(), ReturnLowering(), CallLowering()]
            )
        ).rewrite_module(op)
        check_lowered(op, PASS_NAME, "func", _unsupported_reason)


def _unsupported_reason(op: Operation) -> str:
    if isinstance(op, func.FuncOp | func.CallOp | func.ReturnOp):
        return "llvm functions return at most one value"
    return "no lowering to llvm"
