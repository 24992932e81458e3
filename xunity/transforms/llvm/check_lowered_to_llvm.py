"""`check-lowered-to-llvm`: the last step of convert-to-llvm.

`reconcile-unrealized-casts` keeps a cast it cannot pair with its inverse:
some value kept a type that no conversion gave its llvm form.  That is a
compiler bug, reported here with the op's location rather than as a
failure of the LLVM IR emitter later.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, UnrealizedConversionCastOp
from xdsl.passes import ModulePass

from xunity.lowering.llvm_patterns import conversion_error


@dataclass(frozen=True)
class CheckLoweredToLlvmPass(ModulePass):
    """Fail on the first unrealized conversion cast left in the module."""

    name = "check-lowered-to-llvm"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for inner in op.walk():
            if isinstance(inner, UnrealizedConversionCastOp):
                raise conversion_error(
                    "convert-to-llvm", inner, "a type conversion was left unresolved"
                )
