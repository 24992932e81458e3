"""`convert-to-llvm`: every convert-*-to-llvm pass, in the order that keeps types legal.

    cpu-expand-microkernels       micro-kernels -> scf loops of cpu vector ops
    convert-cpu-to-llvm           while cpu.parallel bodies are single blocks (they hold
                                  scf loops); emits arith / cf / scf on index
    convert-scf-to-cf             (xDSL) the scf loops, cpu.parallel's included
    convert-math-to-llvm          emits arith (expansions), so before arith
    convert-arith-to-llvm         index -> i64 for every value arith produces
    convert-cf-to-llvm            block arguments -> i64
    convert-func-to-llvm          signatures -> i64, func.func -> llvm.func
    reconcile-unrealized-casts    (xDSL) drops the index <-> i64 bridges

Afterwards only llvm ops (and `cpu.packed_func`, which the LLVM emitter
expands) are left; a cast that could not be reconciled fails the pass.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, UnrealizedConversionCastOp
from xdsl.passes import ModulePass
from xdsl.transforms.convert_scf_to_cf import ConvertScfToCf
from xdsl.transforms.reconcile_unrealized_casts import ReconcileUnrealizedCastsPass

from xunity.transforms.convert_arith_to_llvm import ConvertArithToLlvmPass
from xunity.transforms.convert_cf_to_llvm import ConvertCfToLlvmPass
from xunity.transforms.convert_cpu_to_llvm import ConvertCpuToLlvmPass
from xunity.transforms.convert_func_to_llvm import ConvertFuncToLlvmPass
from xunity.transforms.convert_math_to_llvm import ConvertMathToLlvmPass
from xunity.transforms.cpu_expand_microkernels import CpuExpandMicrokernelsPass
from xunity.transforms.llvm_conversion import conversion_error


@dataclass(frozen=True)
class ConvertToLlvmPass(ModulePass):
    """Lower the output of convert-tir-to-cpu / convert-graph-to-cpu to llvm."""

    name = "convert-to-llvm"

    vector_ldexp: bool = False
    """Passed to convert-math-to-llvm: the host has AVX-512's vector ldexp."""

    def stages(self) -> tuple[ModulePass, ...]:
        return (
            CpuExpandMicrokernelsPass(),
            ConvertCpuToLlvmPass(),
            ConvertScfToCf(),
            ConvertMathToLlvmPass(self.vector_ldexp),
            ConvertArithToLlvmPass(),
            ConvertCfToLlvmPass(),
            ConvertFuncToLlvmPass(),
            ReconcileUnrealizedCastsPass(),
        )

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for stage in self.stages():
            stage.apply(ctx, op)
        for inner in op.walk():
            if isinstance(inner, UnrealizedConversionCastOp):
                raise conversion_error(
                    self.name, inner, "a type conversion was left unresolved"
                )
