# pyright: reportArgumentType=false, reportAttributeAccessIssue=false
"""The xunity runtime services as LLVM IR, so no C compiler is needed at run time.

    void*       XUAlloc(int64_t nbytes, int64_t align)   allocator.py
    void        XUFree(void* ptr)
    void        XUCopy(void* dst, const void* src, int64_t nbytes)
    void*       XUWorkspaceAlloc(int64_t nbytes, int64_t align)  workspace.py
    void        XUWorkspaceFree(void* ptr)
    void*       XUTensorCreate(int32_t ndim, const int64_t* shape,
                               DLDataType dtype)          tensors.py
    void*       XUArrayCreate(int64_t size, void* const* items)  objects.py
    void        XUObjectIncRef(void* obj)                objects.py
    void        XUObjectDecRef(void* obj)
    void        XUSetLastError(const char* message)      errors.py
    const char* XUGetLastError(void)
    char*       XUErrorBuffer(void)
    int32_t     XUCheckArguments(const ArgTable* table, const TVMFFIAny* args,
                                 int64_t* shape_vars, void** data)
                                                         argument_checks.py
    int32_t     XUParallelLaunch(int32_t (*fn)(int64_t begin, int64_t end,
                                               void* closure),
                                 void* closure, int64_t lb, int64_t ub,
                                 int64_t num_tasks)      thread_pool.py
    void        XUSetNumThreads(int32_t n)               thread_count.py
    int32_t     XUGetNumThreads(void)

Each concern is one module adding its functions to a shared
`RuntimeBuilder` (builder.py); `standalone_runtime_ir` composes them.  Only
libc is needed (memory, strings, pthreads, `syscall`), which both the JIT
(process symbols) and a linked shared library provide.  Linux only: idle
workers sleep on a futex.  The byte layouts and codes the runtime shares
with its callers are in xunity/ir/abi.py.

In the JIT every engine gets `runtime_ir`: forwarders to one process-wide
runtime that this module compiles once and never frees, because its detached
workers run its code for as long as the process lives (an engine freed under
a spinning worker would crash it) and all engines must share one pool, one
pthread key and one thread count.  A shared library embeds
`standalone_runtime_ir` instead.
"""

from __future__ import annotations

import ctypes
import functools

import llvmlite.binding as llvm
from llvmlite import ir

from xunity.backends.llvm.runtime.allocator import add_allocator
from xunity.backends.llvm.runtime.argument_checks import add_argument_checks
from xunity.backends.llvm.runtime.builder import (
    RUNTIME_SIGNATURES,
    VOID,
    RuntimeBuilder,
    declare_runtime,
    function,
    libc,
)
from xunity.backends.llvm.runtime.errors import add_errors
from xunity.backends.llvm.runtime.objects import add_array_create, add_lifetimes
from xunity.backends.llvm.runtime.parallel_launch import add_thread_pool
from xunity.backends.llvm.runtime.tensors import add_tensor_create
from xunity.backends.llvm.runtime.thread_count import MAX_THREADS, add_thread_count
from xunity.backends.llvm.runtime.thread_pool import TASKS_PER_THREAD
from xunity.backends.llvm.runtime.workspace import WORKSPACE_BYTES, add_workspace

__all__ = [
    "MAX_THREADS",
    "RUNTIME_SIGNATURES",
    "TASKS_PER_THREAD",
    "WORKSPACE_BYTES",
    "declare_runtime",
    "get_num_threads",
    "libc",
    "runtime_ir",
    "set_num_threads",
    "standalone_runtime_ir",
]

_FORWARD_PREFIX = "__xunity_process_"
"""Process-runtime symbols the per-engine forwarders call (llvm.add_symbol)."""


@functools.cache
def standalone_runtime_ir(triple: str, data_layout: str) -> str:
    """The complete runtime for a target, for a shared library to embed."""
    rt = RuntimeBuilder(triple, data_layout)
    add_allocator(rt)
    deleters = add_lifetimes(rt)
    add_tensor_create(rt, deleters)
    add_array_create(rt, deleters.array)
    add_workspace(rt)
    add_errors(rt)
    add_argument_checks(rt)
    add_thread_pool(rt, add_thread_count(rt))
    return str(rt.module)


@functools.cache
def _forwarders_ir(triple: str, data_layout: str) -> str:
    """Every runtime function, as a tail call of the process runtime's."""
    module = ir.Module(name="xunity_runtime_forwarders")
    module.triple = triple
    module.data_layout = data_layout
    for name, (ret, args) in RUNTIME_SIGNATURES.items():
        target = function(module, _FORWARD_PREFIX + name, ret, args)
        fn = declare_runtime(module, name)
        b = ir.IRBuilder(fn.append_basic_block("entry"))
        call = b.call(target, list(fn.args), tail=True)
        b.ret(call) if ret != VOID else b.ret_void()
    return str(module)


def runtime_ir(triple: str, data_layout: str) -> str:
    """What a JIT engine adds: the runtime functions, forwarding to the process runtime.

    Loads the process runtime first, so the forwarders resolve when the
    engine links them.
    """
    _process_runtime()
    return _forwarders_ir(triple, data_layout)


@functools.cache
def _process_runtime() -> dict[str, int]:
    """Compile the runtime once per process; its functions' addresses by name."""
    from xunity.backends.llvm.jit import JitEngine

    engine = JitEngine()
    engine.add(standalone_runtime_ir(engine.target.triple, engine.target.data_layout))
    addresses = {name: engine.address(name) for name in RUNTIME_SIGNATURES}
    for name, address in addresses.items():
        llvm.add_symbol(_FORWARD_PREFIX + name, address)
    # Never freed, not even at interpreter exit: detached workers run its code.
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(engine))
    return addresses


def set_num_threads(count: int) -> None:
    """XUSetNumThreads for this process's compiled code (<= 0: the default)."""
    address = _process_runtime()["XUSetNumThreads"]
    ctypes.CFUNCTYPE(None, ctypes.c_int32)(address)(count)


def get_num_threads() -> int:
    """XUGetNumThreads: the threads a parallel region of this process may use."""
    address = _process_runtime()["XUGetNumThreads"]
    return ctypes.CFUNCTYPE(ctypes.c_int32)(address)()
