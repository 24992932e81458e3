# llvmlite's IR builder is untyped (its methods are made by decorators), so
# pyright infers None for every instruction it returns.
# pyright: reportArgumentType=false, reportAssignmentType=false
# pyright: reportReturnType=false, reportAttributeAccessIssue=false
"""The xunity runtime services as LLVM IR, so no C compiler is needed at run time.

    void*       XUAlloc(int64_t nbytes, int64_t align)   64-byte aligned at least
    void        XUFree(void* ptr)
    void        XUCopy(void* dst, const void* src, int64_t nbytes)
    void        XUSetLastError(const char* message)
    const char* XUGetLastError(void)
    char*       XUErrorBuffer(void)                      where packed functions format

Only libc is needed (posix_memalign, free, memcpy, strncpy), which both the
JIT (process symbols) and a linked shared library provide.  The error buffer
is one per process for now; making it per thread is the runtime issue's job.
"""

from __future__ import annotations

import functools

from llvmlite import ir

ERROR_BUFFER_SIZE = 1024
MIN_ALIGN = 64

_I8 = ir.IntType(8)
_I32 = ir.IntType(32)
_I64 = ir.IntType(64)
_PTR = _I8.as_pointer()


def _function(
    module: ir.Module, name: str, ret: ir.Type, args: list[ir.Type]
) -> ir.Function:
    existing = module.globals.get(name)
    if isinstance(existing, ir.Function):
        return existing
    return ir.Function(module, ir.FunctionType(ret, args), name=name)


def libc(module: ir.Module, name: str) -> ir.Function:
    """A libc declaration (idempotent)."""
    signatures: dict[str, tuple[ir.Type, list[ir.Type], bool]] = {
        "posix_memalign": (_I32, [_PTR.as_pointer(), _I64, _I64], False),
        "free": (ir.VoidType(), [_PTR], False),
        "memcpy": (_PTR, [_PTR, _PTR, _I64], False),
        "strncpy": (_PTR, [_PTR, _PTR, _I64], False),
        "snprintf": (_I32, [_PTR, _I64, _PTR], True),
    }
    ret, args, variadic = signatures[name]
    existing = module.globals.get(name)
    if isinstance(existing, ir.Function):
        return existing
    return ir.Function(module, ir.FunctionType(ret, args, var_arg=variadic), name=name)


def declare_runtime(module: ir.Module, name: str) -> ir.Function:
    """Declare one runtime function in a module that calls it."""
    signatures: dict[str, tuple[ir.Type, list[ir.Type]]] = {
        "XUAlloc": (_PTR, [_I64, _I64]),
        "XUFree": (ir.VoidType(), [_PTR]),
        "XUCopy": (ir.VoidType(), [_PTR, _PTR, _I64]),
        "XUSetLastError": (ir.VoidType(), [_PTR]),
        "XUGetLastError": (_PTR, []),
        "XUErrorBuffer": (_PTR, []),
    }
    ret, args = signatures[name]
    return _function(module, name, ret, args)


@functools.cache
def runtime_ir(triple: str, data_layout: str) -> str:
    """The runtime module's LLVM IR for a target."""
    module = ir.Module(name="xunity_runtime")
    module.triple = triple
    module.data_layout = data_layout
    buffer_type = ir.ArrayType(_I8, ERROR_BUFFER_SIZE)
    buffer = ir.GlobalVariable(module, buffer_type, name="xu_last_error")
    buffer.linkage = "internal"
    buffer.initializer = ir.Constant(buffer_type, None)

    def start(name: str) -> tuple[ir.Function, ir.IRBuilder]:
        fn = declare_runtime(module, name)
        return fn, ir.IRBuilder(fn.append_basic_block("entry"))

    fn, b = start("XUAlloc")
    nbytes, align = fn.args
    slot = b.alloca(_PTR)
    b.store(ir.Constant(_PTR, None), slot)
    align = b.select(b.icmp_signed("<", align, _I64(MIN_ALIGN)), _I64(MIN_ALIGN), align)
    size = b.select(b.icmp_signed("<", nbytes, _I64(1)), _I64(1), nbytes)
    status = b.call(libc(module, "posix_memalign"), [slot, align, size])
    failed = b.icmp_signed("!=", status, _I32(0))
    b.ret(b.select(failed, ir.Constant(_PTR, None), b.load(slot)))

    fn, b = start("XUFree")
    b.call(libc(module, "free"), [fn.args[0]])
    b.ret_void()

    fn, b = start("XUCopy")
    b.call(libc(module, "memcpy"), list(fn.args))
    b.ret_void()

    fn, b = start("XUErrorBuffer")
    b.ret(b.bitcast(buffer, _PTR))

    fn, b = start("XUGetLastError")
    b.ret(b.bitcast(buffer, _PTR))

    fn, b = start("XUSetLastError")
    base = b.bitcast(buffer, _PTR)
    b.call(libc(module, "strncpy"), [base, fn.args[0], _I64(ERROR_BUFFER_SIZE - 1)])
    b.store(_I8(0), b.gep(base, [_I64(ERROR_BUFFER_SIZE - 1)]))
    b.ret_void()
    return str(module)
