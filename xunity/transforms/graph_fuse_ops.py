"""`graph-fuse-ops`: choose which kernel calls to merge (TVM's FuseOps role).

Runs after graph-legalize, on graph functions of `graph.call_tir`s.  A call
whose result has exactly one use, as an operand of another call, is fused
into that consumer when xunity/transforms/kernel_fusion.py can merge them:

- the producer is elementwise and the consumer only loads that operand and
  does not pack it for a micro-kernel (prologue: e.g. the add before a
  layer_norm), or
- the consumer is elementwise, reads that operand at its own indices, has the
  producer's result type, and the producer has a final block for its output
  (epilogue: e.g. bias + gelu after a matmul, a scale after a softmax).

A consumer absorbs any number of prologue producers and at most one epilogue
producer, listed last.  The decision is recorded on the consumer as
`graph.fuse = [operand indices]`;
`tir-fuse-kernels` performs the merges.  Keeping the choice separate keeps
the policy testable (and replaceable) apart from the rewriting.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ArrayAttr, IntegerAttr, ModuleOp, i64
from xdsl.passes import ModulePass
from xdsl.traits import SymbolTable

from xunity.dialects import cpu, tir
from xunity.dialects.graph.call import CallTirOp
from xunity.transforms.kernel_fusion import (
    buffer_args,
    elementwise,
    final_block,
    loads_only,
)

FUSE_ATTR = "graph.fuse"
"""On a consumer call: the operand indices whose producer calls merge into it."""


def fusion_mode(
    producer: CallTirOp,
    consumer: CallTirOp,
    operand: int,
    producer_elementwise: bool | None = None,
) -> str | None:
    """The merge ("prologue" or "epilogue") for one producer edge, or None.

    `producer_elementwise` overrides the producer kernel's own shape: a call
    that will have absorbed an epilogue producer is no longer elementwise.
    """
    p_kernel, c_kernel = _kernel(producer), _kernel(consumer)
    if p_kernel is None or c_kernel is None:
        return None
    if len(producer.outputs) != 1 or len(consumer.outputs) != 1:
        return None
    c_input = buffer_args(c_kernel)[operand]
    if producer_elementwise is None:
        producer_elementwise = elementwise(p_kernel) is not None
    if (
        producer_elementwise
        and loads_only(c_kernel, c_input)
        and not _packs_operands(c_kernel)
    ):
        return "prologue"
    shape = elementwise(c_kernel)
    if (
        shape is not None
        and producer.outputs[0].type == consumer.outputs[0].type
        and _read_at_own_indices(shape.block, c_input)
        and final_block(p_kernel, buffer_args(p_kernel)[-1]) is not None
    ):
        return "epilogue"
    return None


def _read_at_own_indices(block: tir.BlockOp, buffer: object) -> bool:
    """Every load of `buffer` reads the element the block writes: index k is
    iteration variable k, or 0 where that variable's extent is 1 (numpy
    broadcasting writes a size-1 dim's index as the constant 0)."""
    loads = [op for op in block.walk() if isinstance(op, tir.LoadOp)]
    for load in loads:
        if load.buffer is not buffer:
            continue
        pairs = zip(load.indices, block.iter_vars, block.extents, strict=False)
        if len(load.indices) != len(block.iter_vars) or not all(
            index is iv
            or (tir.constant_index(index) == 0 and tir.constant_index(extent) == 1)
            for index, iv, extent in pairs
        ):
            return False
    return True


def _packs_operands(kernel: func.FuncOp) -> bool:
    """Kernels around micro-kernels copy their operands into packed panels in
    scalar (gather/transpose) loops: a producer inlined there would run
    unvectorised, slower than its own kernel plus the copy it saves."""
    return any(isinstance(op, cpu.GemmMicrokernelOp) for op in kernel.walk())


def _kernel(call: CallTirOp) -> func.FuncOp | None:
    kernel = SymbolTable.lookup_symbol(call, call.callee)
    if not isinstance(kernel, func.FuncOp) or kernel.is_declaration:
        return None
    return kernel


@dataclass(frozen=True)
class GraphFuseOpsPass(ModulePass):
    """Mark each call_tir edge that tir-fuse-kernels should merge."""

    name = "graph-fuse-ops"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        # Whether each call's kernel is still elementwise once the marked
        # merges are done (calls are visited in order, producers first).
        still_elementwise: dict[CallTirOp, bool] = {}
        for call in [o for o in op.walk() if isinstance(o, CallTirOp)]:
            kernel = _kernel(call)
            still_elementwise[call] = kernel is not None and (
                elementwise(kernel) is not None
            )
            modes: dict[str, list[int]] = {"prologue": [], "epilogue": []}
            for index, arg in enumerate(call.args):
                producer = arg.owner
                if not isinstance(producer, CallTirOp) or not arg.has_one_use():
                    continue
                mode = fusion_mode(producer, call, index, still_elementwise[producer])
                if mode is not None:
                    modes[mode].append(index)
            if modes["epilogue"]:
                still_elementwise[call] = False
            # Prologues keep an elementwise consumer elementwise; the one
            # epilogue allowed comes last, as it turns the consumer into its
            # producer's kernel.
            chosen = modes["prologue"] + modes["epilogue"][:1]
            if chosen:
                call.attributes[FUSE_ATTR] = ArrayAttr(
                    [IntegerAttr(index, i64) for index in chosen]
                )
