# pyright: reportArgumentType=false, reportAssignmentType=false
# pyright: reportAttributeAccessIssue=false
"""Per-thread state behind a pthread key, shared by the workspace and the errors.

`thread_local` cannot be used: it aborts JIT-compiled code.  So each kind of
per-thread state hangs off a pthread key created on first use (exactly once,
by an atomic state word), holds a lazily calloc'ed block per thread, and the
key's destructor releases that block when the thread exits.
"""

from __future__ import annotations

from collections.abc import Callable

from llvmlite import ir

from xunity.backends.llvm.runtime.builder import I1, I32, I64, NULL, RuntimeBuilder


def once_key(
    rt: RuntimeBuilder, name: str, destructor: ir.Value
) -> tuple[ir.Function, ir.GlobalVariable]:
    """A pthread key created on first use: `i1 <name>_ready()` and the key.

    An atomic state word (0 new, 1 busy, 2 ok, 3 failed) lets exactly one
    thread create the key; the others wait for it.
    """
    state = rt.global_var(f"{name}_state", I32)
    key = rt.global_var(name, I32)
    ready, b = rt.internal(f"{name}_ready", I1, [])
    names = ("claim", "create", "wait", "done")
    blocks = {n: ready.append_basic_block(n) for n in names}
    current = b.load_atomic(state, "acquire", 4)
    b.cbranch(b.icmp_signed("==", current, I32(2)), blocks["done"], blocks["claim"])
    b.position_at_end(blocks["claim"])
    claimed = b.extract_value(b.cmpxchg(state, I32(0), I32(1), "acquire", "acquire"), 1)
    b.cbranch(claimed, blocks["create"], blocks["wait"])
    b.position_at_end(blocks["create"])
    status = b.call(rt.libc("pthread_key_create"), [key, destructor])
    ok = b.icmp_signed("==", status, I32(0))
    b.store_atomic(b.select(ok, I32(2), I32(3)), state, "release", 4)
    b.branch(blocks["done"])
    b.position_at_end(blocks["wait"])  # another thread is creating the key
    rt.pause(b)
    busy = b.icmp_signed("==", b.load_atomic(state, "acquire", 4), I32(1))
    b.cbranch(busy, blocks["wait"], blocks["done"])
    b.position_at_end(blocks["done"])
    b.ret(b.icmp_signed("==", b.load_atomic(state, "acquire", 4), I32(2)))
    return ready, key


def thread_block(
    rt: RuntimeBuilder,
    fn: ir.Function,
    b: ir.IRBuilder,
    key: tuple[ir.Function, ir.GlobalVariable],
    nbytes: int,
    *,
    create: ir.Value | None = None,
    fallback: Callable[[ir.IRBuilder], ir.Value],
    fallback_block: str,
) -> None:
    """Make `fn` return this thread's block under `key`, calloc'ed on first use.

    `key` is what `once_key` returned; `create` (an i1), if given, must be
    set for a missing block to be made.  Without a key, memory or `create`,
    `fn` returns what `fallback` emits, in its block named `fallback_block`.
    """
    ready, thread_key_global = key
    block_name = fallback_block
    names = ("lookup", "found", "allocate", "keep", block_name)
    blocks = {n: fn.append_basic_block(n) for n in names}
    b.cbranch(b.call(ready, []), blocks["lookup"], blocks[block_name])
    b.position_at_end(blocks["lookup"])
    thread_key = b.load(thread_key_global)
    existing = b.call(rt.libc("pthread_getspecific"), [thread_key])
    missing = b.icmp_unsigned("==", existing, NULL)
    wanted = missing if create is None else b.and_(missing, create)
    b.cbranch(wanted, blocks["allocate"], blocks["found"])
    b.position_at_end(blocks["found"])
    b.ret(existing)
    b.position_at_end(blocks["allocate"])
    fresh = b.call(rt.libc("calloc"), [I64(1), I64(nbytes)])
    failed = b.icmp_unsigned("==", fresh, NULL)
    b.cbranch(failed, blocks[block_name], blocks["keep"])
    b.position_at_end(blocks["keep"])
    b.call(rt.libc("pthread_setspecific"), [thread_key, fresh])
    b.ret(fresh)
    b.position_at_end(blocks[block_name])
    b.ret(fallback(b))
