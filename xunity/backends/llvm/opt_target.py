"""`xunity-opt -t llvm`: LLVM IR for this machine, packed entry points included.

xDSL's own `llvm` target writes an empty data layout and knows nothing of
`cpu.packed_func`; this one goes through `emit_llvm_ir`, like compilation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.utils.target import Target

from xunity.backends.llvm.emit import emit_llvm_ir


@dataclass(frozen=True)
class HostLLVMTarget(Target):
    """LLVM IR with the host's triple, data layout and packed wrappers."""

    name = "llvm"

    def emit(self, ctx: Context, module: ModuleOp, output: IO[str]) -> None:
        output.write(emit_llvm_ir(module))
