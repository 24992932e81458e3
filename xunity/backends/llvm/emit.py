"""xDSL `llvm` dialect -> LLVM IR text for the host target.

xDSL's converter does the op-by-op translation; this module owns the last
mile it leaves out: the target triple and data layout of this machine, and
the linkage of functions (the converter makes every function external, which
would export every helper and block inlining decisions).
"""

from __future__ import annotations

from xdsl.backend.llvm.convert import convert_module
from xdsl.dialects import llvm
from xdsl.dialects.builtin import ModuleOp

from xunity.backends.llvm.target import HostTarget

_KEPT_LINKAGES = {"internal", "private", "linkonce_odr", "weak_odr"}


def emit_llvm_ir(module: ModuleOp, target: HostTarget | None = None) -> str:
    """The module as LLVM IR text with the host's triple and data layout."""
    target = target or HostTarget.detect()
    llvm_module = convert_module(
        module, fallback_target_triple=target.triple, data_layout=target.data_layout
    )
    for op in module.ops:
        if not isinstance(op, llvm.FuncOp) or op.linkage is None:
            continue
        linkage = op.linkage.linkage.data
        if linkage in _KEPT_LINKAGES and op.body.blocks:
            llvm_module.get_global(op.sym_name.data).linkage = linkage
    return str(llvm_module)
