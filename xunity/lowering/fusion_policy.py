"""Which kernel calls merge, and how: the rule graph-fuse-ops applies and
tir-fuse-kernels re-checks before it merges (docs/architecture.md, fusion).

`fusion_mode` says whether a producer call's kernel can be inlined into its
consumer's (prologue) or the consumer's into the producer's final block
(epilogue); xunity/lowering/kernel_fusion.py performs the merges.
"""

from __future__ import annotations

from xdsl.dialects import func
from xdsl.traits import SymbolTable

from xunity.dialects import cpu, tir
from xunity.dialects.graph.call import CallTirOp
from xunity.lowering.kernel_fusion import (
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
    p_kernel, c_kernel = kernel_of(producer), kernel_of(consumer)
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


def kernel_of(call: CallTirOp) -> func.FuncOp | None:
    kernel = SymbolTable.lookup_symbol(call, call.callee)
    if not isinstance(kernel, func.FuncOp) or kernel.is_declaration:
        return None
    return kernel
