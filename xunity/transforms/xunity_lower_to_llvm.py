"""`xunity-lower-to-llvm`: the whole lowering chain as one named pass.

The same pipeline `xunity.compile` runs (docs/lowering.md), so that
`xunity-opt prog.mlir -p xunity-lower-to-llvm -t llvm` shows exactly what is
compiled.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from xunity.api import lower_to_llvm


@dataclass(frozen=True)
class XunityLowerToLlvmPass(ModulePass):
    """graph functions -> llvm dialect, with packed entry points declared."""

    name = "xunity-lower-to-llvm"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        lower_to_llvm(op)
