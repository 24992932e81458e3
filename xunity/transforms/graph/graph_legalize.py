"""`graph-legalize`: every graph op becomes a call of a tir kernel.

Each op gets a kernel built by the first matching strategy of
`xunity.strategies.KERNEL_STRATEGIES` (a kernel scheduled for the CPU, marked
`tir.scheduled`) or else by its rule in `xunity.legalize.LEGALIZE_RULES`, and
is replaced by `graph.call_tir @kernel(operands)`.  Structurally equal
kernels (same op, same operand types) are built once.  Ops that stay at the
graph level — constants, weights and calls — are left alone; any other op
without a rule fails the pass, and all such ops are listed in one error.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    FileLineColLoc,
    IntegerType,
    ModuleOp,
    StringAttr,
    SymbolRefAttr,
)
from xdsl.ir import Operation
from xdsl.passes import ModulePass
from xdsl.rewriter import Rewriter
from xdsl.utils.exceptions import PassFailedException

from xunity.dialects import tir
from xunity.dialects.graph.call import CallPackedOp, CallTirOp
from xunity.dialects.graph.creation import ConstantOp, WeightOp
from xunity.dialects.graph.types import TensorType
from xunity.legalize import LEGALIZE_RULES
from xunity.legalize.kernel_builder import KernelBuilder
from xunity.strategies import strategy_for, strategy_ops

GRAPH_LEVEL_OPS = (ConstantOp, WeightOp, CallTirOp, CallPackedOp)
"""Ops that stay in the graph function and are lowered with it."""


def has_kernel_rule(op: type[Operation]) -> bool:
    """Whether graph-legalize can build a kernel for ops of class `op`."""
    return op in LEGALIZE_RULES or op in strategy_ops()


def _where(op: Operation) -> str:
    loc = op.location
    if isinstance(loc, FileLineColLoc):
        return f"{loc.filename.data}:{loc.line.data}:{loc.column.data}: "
    return ""


def _tensor_types(op: Operation) -> list[TensorType]:
    types = (*op.operand_types, *op.result_types)
    return [t for t in types if isinstance(t, TensorType)]


def _is_packed(tensor: TensorType) -> bool:
    element = tensor.element_type
    return isinstance(element, IntegerType) and element.width.data == 4


def _graph_ops(module: ModuleOp) -> list[Operation]:
    return [
        op
        for op in module.walk()
        if op.dialect_name() == "graph" and not isinstance(op, GRAPH_LEVEL_OPS)
    ]


@dataclass(frozen=True)
class GraphLegalizePass(ModulePass):
    """Replace graph ops by graph.call_tir of generated tir kernels."""

    name = "graph-legalize"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        ops = _graph_ops(op)
        missing = [o for o in ops if not has_kernel_rule(type(o))]
        if missing:
            lines = [f"{_where(o)}{o.name}" for o in missing]
            raise PassFailedException(
                "graph-legalize: no kernel for "
                f"{len(missing)} op(s):\n  " + "\n  ".join(lines)
            )
        packed = [o for o in ops if any(_is_packed(t) for t in _tensor_types(o))]
        if packed:
            lines = [f"{_where(o)}{o.name}" for o in packed]
            raise PassFailedException(
                "graph-legalize: 4-bit tensors are storage for quantised weights; "
                "dequantize (graph.astype) before computing with them:\n  "
                + "\n  ".join(lines)
            )
        kernels: dict[str, func.FuncOp] = {}
        for graph_op in ops:
            callee = self._kernel_for(graph_op, kernels)
            call = CallTirOp(
                SymbolRefAttr(callee.sym_name),
                graph_op.operands,
                [r.type for r in graph_op.results],
            )
            call.attributes |= graph_op.attributes  # e.g. a graph.fuse mark
            Rewriter.replace_op(graph_op, call)
        for kernel in kernels.values():
            op.body.block.add_op(kernel)

    @staticmethod
    def _kernel_for(
        graph_op: Operation, kernels: dict[str, func.FuncOp]
    ) -> func.FuncOp:
        # Same op and operand/result types => same kernel.
        key = "|".join(
            [graph_op.name, str(graph_op.properties)]
            + [str(t) for t in (*graph_op.operand_types, *graph_op.result_types)]
        )
        if key in kernels:
            return kernels[key]
        inputs = [t for t in graph_op.operand_types if isinstance(t, TensorType)]
        outputs = [t for t in graph_op.result_types if isinstance(t, TensorType)]
        name = f"{graph_op.name.replace('.', '_')}_{len(kernels)}"
        builder = KernelBuilder(name, inputs, outputs)
        strategy = strategy_for(graph_op, builder)
        rule = strategy.build if strategy else LEGALIZE_RULES.get(type(graph_op))
        if rule is None:  # a strategy op whose patterns all failed
            raise PassFailedException(
                f"{_where(graph_op)}graph-legalize: no strategy of {graph_op.name} "
                "applies to these operand types"
            )
        try:
            rule(graph_op, builder)
        except PassFailedException as error:
            raise PassFailedException(f"{_where(graph_op)}{error}") from None
        kernel = builder.finish()
        if strategy is not None:
            kernel.attributes[tir.SCHEDULED_ATTR] = StringAttr(strategy.name)
        kernels[key] = kernel
        return kernel
