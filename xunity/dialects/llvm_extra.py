"""llvm-level ops that xDSL's `llvm` dialect lacks.

xDSL 0.74 models most LLVM instructions, but not the float <-> integer
conversions `fptosi`, `fptoui` and `uitofp`.  They live here, in their own
dialect (`llvm_extra`) because the `llvm` namespace belongs to xDSL; each is
an LLVM cast instruction of the same name, with xDSL's `llvm` cast syntax.
`xunity.backends.llvm.emit` registers them with xDSL's LLVM IR translation.
"""

from __future__ import annotations

from xdsl.dialects.llvm import GenericCastOp
from xdsl.ir import Dialect, Operation
from xdsl.irdl import irdl_op_definition


@irdl_op_definition
class FPToSIOp(GenericCastOp):
    """Float to signed integer, rounding toward zero (LLVM `fptosi`).

    `%i = llvm_extra.fptosi %x : f32 to i32`
    """

    name = "llvm_extra.fptosi"


@irdl_op_definition
class FPToUIOp(GenericCastOp):
    """Float to unsigned integer, rounding toward zero (LLVM `fptoui`).

    `%i = llvm_extra.fptoui %x : f32 to i32`
    """

    name = "llvm_extra.fptoui"


@irdl_op_definition
class UIToFPOp(GenericCastOp):
    """Unsigned integer to float, rounding to nearest (LLVM `uitofp`).

    `%x = llvm_extra.uitofp %i : i32 to f32`
    """

    name = "llvm_extra.uitofp"


LLVM_CAST_NAMES: dict[type[Operation], str] = {
    FPToSIOp: "fptosi",
    FPToUIOp: "fptoui",
    UIToFPOp: "uitofp",
}
"""The LLVM instruction each op translates to."""


LlvmExtra = Dialect("llvm_extra", [FPToSIOp, FPToUIOp, UIToFPOp], [])
