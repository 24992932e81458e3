"""xDSL `llvm` dialect -> LLVM IR text for the host target.

xDSL's converter does the op-by-op translation; this module owns the last
mile it leaves out: the target triple and data layout of this machine, and
the linkage of functions (the converter makes every function external, which
would export every helper and block inlining decisions).

It also teaches the converter what xunity's llvm-level IR uses beyond xDSL:
the casts of `xunity.dialects.llvm_extra` (registered in the converter's cast
table, so they translate like xDSL's own casts), and `bf16`, which llvmlite
cannot spell: it is emitted as its i16 storage, and `convert-arith-to-llvm`
only ever moves, bit-casts or selects bf16 values (arithmetic is done in f32).
"""

from __future__ import annotations

from llvmlite import ir
from xdsl.backend.llvm import convert_op, convert_type
from xdsl.backend.llvm.convert import convert_module
from xdsl.dialects import llvm
from xdsl.dialects.builtin import BFloat16Type, ModuleOp, StringAttr

from xunity.backends.llvm.packed import PackedArg, PackedSignature, add_packed_function
from xunity.backends.llvm.target import HostTarget
from xunity.dialects.cpu import PackedFuncOp
from xunity.dialects.llvm_extra import LLVM_CAST_NAMES

_KEPT_LINKAGES = {"internal", "private", "linkonce_odr", "weak_odr"}

FRESH_MEMORY_FUNCTIONS = ("XUAlloc", "XUWorkspaceAlloc")
"""Runtime functions that return memory nothing else points to, like malloc:
their results are declared `noalias`, so LLVM may keep a kernel's scratch
accumulators in registers and hoist loads across stores to scratch (a
per-block max accumulated in an XUAlloc'd buffer was a load-max-store
chain per element without it)."""


def _extend_xdsl_translation() -> None:
    """Register our casts and bf16 (as i16 storage) with xDSL's converter tables."""
    casts = convert_op._CAST_OP_NAMES  # pyright: ignore[reportPrivateUsage]
    casts.update(LLVM_CAST_NAMES)
    types = convert_type._TYPE_CONVERTERS  # pyright: ignore[reportPrivateUsage]
    types[BFloat16Type] = lambda _: ir.IntType(16)


_extend_xdsl_translation()


def packed_signatures(module: ModuleOp) -> list[PackedSignature]:
    """What each `cpu.packed_func` of the module declares."""
    return [
        PackedSignature(
            op.sym_name.data,
            op.callee.root_reference.data,
            tuple(PackedArg(a.arg_name.data, a.element_type, a.shape) for a in op.args),
            op.result_count,
        )
        for op in module.ops
        if isinstance(op, PackedFuncOp)
    ]


def emit_llvm_ir(module: ModuleOp, target: HostTarget | None = None) -> str:
    """The module as LLVM IR text with the host's triple and data layout.

    `cpu.packed_func` declarations become generated `__tvm_ffi_<name>` entry
    points; every other top-level op must already be in the llvm dialect.
    """
    target = target or HostTarget.detect()
    signatures = packed_signatures(module)
    module = module.clone()
    for op in [op for op in module.ops if isinstance(op, PackedFuncOp)]:
        op.detach()
        op.erase()
    byte_globals = _take_byte_initializers(module)
    llvm_module = convert_module(
        module, fallback_target_triple=target.triple, data_layout=target.data_layout
    )
    for name, (data, align) in byte_globals.items():
        variable = llvm_module.get_global(name)
        assert isinstance(variable, ir.GlobalVariable)
        initializer = ir.Constant(ir.ArrayType(ir.IntType(8), len(data)), data)
        variable.initializer = initializer  # pyright: ignore[reportAttributeAccessIssue]
        variable.align = align  # pyright: ignore[reportAttributeAccessIssue]
    for signature in signatures:
        add_packed_function(llvm_module, signature)
    for name in FRESH_MEMORY_FUNCTIONS:
        if name in llvm_module.globals:
            function = llvm_module.get_global(name)
            assert isinstance(function, ir.Function)
            function.return_value.attributes.add("noalias")
    for op in module.ops:
        if isinstance(op, llvm.FuncOp) and op.body.blocks:
            _restore_function_details(op, llvm_module.get_global(op.sym_name.data))
    return str(llvm_module)


def _take_byte_initializers(module: ModuleOp) -> dict[str, tuple[bytearray, int]]:
    """Detach the data of byte-array globals (constants) for direct emission.

    Their value is a latin-1 string, one char per byte; xDSL's converter would
    re-encode it as UTF-8 and build one constant per byte.
    """
    taken: dict[str, tuple[bytearray, int]] = {}
    for op in module.ops:
        if not isinstance(op, llvm.GlobalOp) or not isinstance(op.value, StringAttr):
            continue
        if not isinstance(op.global_type, llvm.LLVMArrayType):
            continue
        data = bytearray(op.value.data.encode("latin-1"))
        align = op.alignment.value.data if op.alignment is not None else 1
        taken[op.sym_name.data] = (data, align)
        del op.properties["value"]
    return taken


def _restore_function_details(op: llvm.FuncOp, function: ir.Function) -> None:
    """Linkage and argument names, which the converter drops."""
    if op.linkage is not None and op.linkage.linkage.data in _KEPT_LINKAGES:
        function.linkage = op.linkage.linkage.data
    for arg, llvm_arg in zip(op.body.blocks[0].args, function.args, strict=False):
        if arg.name_hint:
            llvm_arg.name = arg.name_hint
