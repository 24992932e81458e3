# pyright: reportArgumentType=false, reportAttributeAccessIssue=false
"""XUAlloc / XUFree / XUCopy: the heap, as compiled code and the other concerns use it.

    void* XUAlloc(int64_t nbytes, int64_t align)   aligned to max(align, 64)
    void  XUFree(void* ptr)
    void  XUCopy(void* dst, const void* src, int64_t nbytes)

Thin wrappers over libc, so that a library's compiled code, its objects and
its workspace all allocate and free through one runtime: an object returned
by a library is freed by that library's runtime (docs/abi.md).
"""

from __future__ import annotations

from xunity.backends.llvm.runtime.builder import I32, NULL, PTR, RuntimeBuilder
from xunity.ir.abi import MIN_ALIGN


def add_allocator(rt: RuntimeBuilder) -> None:
    """XUAlloc, XUFree, XUCopy (every other concern calls them by name)."""
    _add_alloc(rt)
    fn, b = rt.start("XUFree")
    b.call(rt.libc("free"), [fn.args[0]])
    b.ret_void()
    fn, b = rt.start("XUCopy")
    b.call(rt.libc("memcpy"), list(fn.args))
    b.ret_void()


def _add_alloc(rt: RuntimeBuilder) -> None:
    """XUAlloc: posix_memalign of at least one byte; NULL when out of memory."""
    fn, b = rt.start("XUAlloc")
    nbytes, align = fn.args
    slot = b.alloca(PTR)
    b.store(NULL, slot)
    align = rt.at_least(b, align, MIN_ALIGN)
    size = rt.at_least(b, nbytes, 1)
    status = b.call(rt.libc("posix_memalign"), [slot, align, size])
    failed = b.icmp_signed("!=", status, I32(0))
    b.ret(b.select(failed, NULL, b.load(slot)))
