# pyright: reportArgumentType=false, reportAttributeAccessIssue=false
"""Per-thread error messages: where packed functions say why they failed.

    void        XUSetLastError(const char* message)      this thread's message
    const char* XUGetLastError(void)                     this thread's message
    char*       XUErrorBuffer(void)                      where packed functions format

Messages are per thread because packed functions are reentrant: each thread
gets a lazily allocated ERROR_BUFFER_SIZE buffer behind a pthread key
(thread_keys.py), freed when the thread exits.  Without a key or memory,
one shared buffer still gives the caller a message rather than a crash.
"""

from __future__ import annotations

from llvmlite import ir

from xunity.backends.llvm.runtime.builder import I8, I64, PTR, RuntimeBuilder
from xunity.backends.llvm.runtime.thread_keys import once_key, thread_block
from xunity.ir.abi import ERROR_BUFFER_SIZE


def add_errors(rt: RuntimeBuilder) -> None:
    buffer_type = ir.ArrayType(I8, ERROR_BUFFER_SIZE)
    shared = rt.global_var("xu_error_fallback", buffer_type)
    key = once_key(rt, "xu_error_key", rt.libc("free").bitcast(PTR))

    error_buffer, b = rt.start("XUErrorBuffer")
    thread_block(
        rt,
        error_buffer,
        b,
        key,
        ERROR_BUFFER_SIZE,
        fallback=lambda b: b.bitcast(shared, PTR),
        fallback_block="fallback",
    )

    _, b = rt.start("XUGetLastError")
    b.ret(b.call(error_buffer, []))

    fn, b = rt.start("XUSetLastError")
    base = b.call(error_buffer, [])
    last = ERROR_BUFFER_SIZE - 1  # always NUL-terminated, however long the message
    b.call(rt.libc("strncpy"), [base, fn.args[0], I64(last)])
    b.store(I8(0), b.gep(base, [I64(last)]))
    b.ret_void()
