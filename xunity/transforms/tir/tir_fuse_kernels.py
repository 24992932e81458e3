"""`tir-fuse-kernels`: merge the kernel calls that graph-fuse-ops marked (FuseTIR).

Each consumer call marked `graph.fuse = [i, ...]` absorbs the producer call of
each listed operand, in order: the two kernels become one new kernel
(xunity/lowering/kernel_fusion.py: the producer inlined as a prologue, or
the consumer applied in the producer's final block as an epilogue), and the
two calls one call of it.  Fused kernels identical up to their name are
shared, and kernels no call uses any more are erased.  A mark
that cannot be honoured (edited by hand, or the IR changed since) fails the
pass naming the call.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ArrayAttr, IntegerAttr, ModuleOp, SymbolRefAttr
from xdsl.ir import SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.traits import SymbolTable
from xdsl.utils.exceptions import PassFailedException

from xunity.dialects.graph.call import CallTirOp
from xunity.lowering.fusion_policy import FUSE_ATTR, fusion_mode
from xunity.lowering.kernel_fusion import inline_consumer, inline_producer


def _fail(call: CallTirOp, message: str) -> PassFailedException:
    return PassFailedException(
        f"tir-fuse-kernels: call of @{call.callee.root_reference.data}: {message}"
    )


@dataclass(frozen=True)
class TirFuseKernelsPass(ModulePass):
    """Merge marked producer/consumer kernel pairs into single kernels."""

    name = "tir-fuse-kernels"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        names = {o.sym_name.data for o in op.ops if isinstance(o, func.FuncOp)}
        made: dict[tuple[str, str, int, str], str] = {}
        for call in [o for o in op.walk() if isinstance(o, CallTirOp)]:
            marks = call.attributes.pop(FUSE_ATTR, None)
            if marks is None:
                continue
            assert isinstance(marks, ArrayAttr)
            # Operand positions shift as producers are absorbed: track them by value.
            producers = []
            for mark in marks.data:
                assert isinstance(mark, IntegerAttr)
                index = mark.value.data
                if not 0 <= index < len(call.args):
                    raise _fail(
                        call, f"{FUSE_ATTR} names operand {index}, out of range"
                    )
                producers.append(call.args[index])
            for value in producers:
                call = self._merge(call, value, names, made)
        _share_identical_kernels(op)
        used = {
            call.callee.root_reference.data
            for call in op.walk()
            if isinstance(call, CallTirOp)
        }
        for kernel in [o for o in op.ops if isinstance(o, func.FuncOp)]:
            if "tir.kernel" in kernel.attributes and kernel.sym_name.data not in used:
                Rewriter.erase_op(kernel)

    @staticmethod
    def _merge(
        call: CallTirOp,
        value: SSAValue,
        names: set[str],
        made: dict[tuple[str, str, int, str], str],
    ) -> CallTirOp:
        """Fuse `value`'s producer call into `call`.  The fused kernel depends
        only on the two kernels, the operand and the mode, so `made` reuses
        it for every repetition of the pair (each layer of a model)."""
        producer = value.owner
        index = list(call.args).index(value)
        if not isinstance(producer, CallTirOp) or not value.has_one_use():
            raise _fail(
                call, f"operand {index} is not the only use of a call_tir result"
            )
        mode = fusion_mode(producer, call, index)
        if mode is None:
            raise _fail(call, f"the producer of operand {index} cannot be merged")
        p_kernel = SymbolTable.lookup_symbol(producer, producer.callee)
        c_kernel = SymbolTable.lookup_symbol(call, call.callee)
        assert isinstance(p_kernel, func.FuncOp) and isinstance(c_kernel, func.FuncOp)
        key = (p_kernel.sym_name.data, c_kernel.sym_name.data, index, mode)
        name = made.get(key)
        if name is None:
            parts = [_short(k.sym_name.data) for k in (p_kernel, c_kernel)]
            name = made[key] = _unique("fused_" + "_".join(parts), names)
            fuse = inline_producer if mode == "prologue" else inline_consumer
            kernel = fuse(name, p_kernel, c_kernel, index)
            Rewriter.insert_op(kernel, InsertPoint.after(c_kernel))
        args = list(call.args)
        if mode == "prologue":
            operands = [*args[:index], *producer.args, *args[index + 1 :]]
        else:
            operands = [*producer.args, *args[:index], *args[index + 1 :]]
        fused = CallTirOp(SymbolRefAttr(name), operands, [r.type for r in call.outputs])
        fused.attributes |= call.attributes
        Rewriter.replace_op(call, fused)
        Rewriter.erase_op(producer)
        return fused


def _share_identical_kernels(module: ModuleOp) -> None:
    """Calls of fused kernels that differ only in name call one of them (each
    call site fuses its own copy; a transformer layer repeats them)."""
    first: dict[str, str] = {}
    rename: dict[str, str] = {}
    for kernel in [o for o in module.ops if isinstance(o, func.FuncOp)]:
        name = kernel.sym_name.data
        if not name.startswith("fused_"):
            continue
        body = str(kernel).replace(f"@{name}(", "@(", 1)
        rename[name] = first.setdefault(body, name)
    for call in [o for o in module.walk() if isinstance(o, CallTirOp)]:
        target = rename.get(call.callee.root_reference.data)
        if target is not None:
            call.callee = SymbolRefAttr(target)


def _short(kernel_name: str) -> str:
    """graph_add_0 -> add_0; fused_add_0_gelu_1 -> add_0_gelu_1."""
    return kernel_name.removeprefix("fused_").replace("graph_", "")


def _unique(base: str, names: set[str]) -> str:
    name, suffix = base, 0
    while name in names:
        suffix += 1
        name = f"{base}_{suffix}"
    names.add(name)
    return name
