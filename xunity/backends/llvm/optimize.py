"""Parse, verify and optimise LLVM IR at O3 with LLVM's new pass manager."""

from __future__ import annotations

import llvmlite.binding as llvm

from xunity.backends.llvm.target import HostTarget, initialize_llvm


def optimize(llvm_ir: str, target: HostTarget | None = None) -> llvm.ModuleRef:
    """The optimised module; raises RuntimeError with LLVM's message on bad IR."""
    initialize_llvm()
    target = target or HostTarget.detect()
    module = llvm.parse_assembly(llvm_ir)
    module.verify()
    tuning = llvm.PipelineTuningOptions(speed_level=3)
    tuning.loop_vectorization = True
    tuning.slp_vectorization = True
    builder = llvm.create_pass_builder(target.machine, tuning)
    builder.getModulePassManager().run(module, builder)
    return module


def assembly(module: llvm.ModuleRef, target: HostTarget | None = None) -> str:
    """Host assembly of an optimised module, for tests and inspection."""
    return (target or HostTarget.detect()).machine.emit_assembly(module)
