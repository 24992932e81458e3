"""`graph-fuse-ops`: choose which kernel calls to merge (TVM's FuseOps role).

Runs after graph-legalize, on graph functions of `graph.call_tir`s.  A call
whose result has exactly one use, as an operand of another call, is fused
into that consumer when xunity/lowering/kernel_fusion.py can merge them:

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
from xdsl.dialects.builtin import ArrayAttr, IntegerAttr, ModuleOp, i64
from xdsl.passes import ModulePass

from xunity.dialects.graph.call import CallTirOp
from xunity.lowering.fusion_policy import FUSE_ATTR, fusion_mode, kernel_of
from xunity.lowering.kernel_fusion import elementwise


@dataclass(frozen=True)
class GraphFuseOpsPass(ModulePass):
    """Mark each call_tir edge that tir-fuse-kernels should merge."""

    name = "graph-fuse-ops"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        # Whether each call's kernel is still elementwise once the marked
        # merges are done (calls are visited in order, producers first).
        still_elementwise: dict[CallTirOp, bool] = {}
        # Kernels do not change here, and a model's layers call the same
        # kernels over and over: analyse each kernel, and each edge between
        # two kernels, once (SmolLM2's step: 1207 edges, 2.7 s -> 0.3 s).
        kernel_elementwise: dict[object, bool] = {}
        modes_seen: dict[tuple[object, ...], str | None] = {}
        for call in [o for o in op.walk() if isinstance(o, CallTirOp)]:
            kernel = kernel_of(call)
            if kernel not in kernel_elementwise:
                kernel_elementwise[kernel] = kernel is not None and (
                    elementwise(kernel) is not None
                )
            still_elementwise[call] = kernel_elementwise[kernel]
            modes: dict[str, list[int]] = {"prologue": [], "epilogue": []}
            for index, arg in enumerate(call.args):
                producer = arg.owner
                if not isinstance(producer, CallTirOp) or not arg.has_one_use():
                    continue
                key = (
                    kernel_of(producer),
                    kernel,
                    index,
                    still_elementwise[producer],
                    tuple(r.type for r in producer.outputs),
                    tuple(r.type for r in call.outputs),
                )
                if key not in modes_seen:
                    modes_seen[key] = fusion_mode(
                        producer, call, index, still_elementwise[producer]
                    )
                mode = modes_seen[key]
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
