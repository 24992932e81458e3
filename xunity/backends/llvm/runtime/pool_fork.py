# pyright: reportArgumentType=false, reportAssignmentType=false
# pyright: reportAttributeAccessIssue=false
"""Fork safety: a child forked after the pool started gets a pool of its own.

`fork()` copies the calling thread only, so a child (multiprocessing's
"fork" start method, pytest-xdist, a server's pre-fork workers) has none of
its parent's workers, yet inherits the pool's globals: the count of workers
started (so no worker would ever be created again and every launch would run
on the caller alone), and, if another thread of the parent was mid-launch
at the fork, the busy flag (so every launch would run serially) and that
launch's job, counters and mailboxes.

The first time the pool starts workers, it registers a child handler
(`xu_pool_after_fork`) with fork; in the child the handler returns the pool
to its state before any launch: no workers, not busy, no job, every mailbox
at generation 0 and awake.  The next launch creates workers afresh.  Only
the forking thread exists in the child, so nothing else can be using the
pool while the handler runs, whatever the parent's other threads were doing.
Forking from inside a parallel region's body is not supported (the child
would wait for chunks that workers which no longer exist had claimed).

The handler is registered with glibc's `__register_atfork`, what
`pthread_atfork` calls: `pthread_atfork` itself lives in libc_nonshared.a,
which the JIT cannot resolve.  The DSO handle is NULL, so the handler is
never unregistered: the JIT's runtime is never freed, and an exported
library must never be dlclosed anyway (its detached workers run its code).
"""

from __future__ import annotations

from llvmlite import ir

from xunity.backends.llvm.runtime.builder import (
    I32,
    I64,
    NULL,
    PTR,
    VOID,
    RuntimeBuilder,
)
from xunity.backends.llvm.runtime.thread_count import MAX_THREADS
from xunity.backends.llvm.runtime.thread_pool import GENERATION, SLEEPING, PoolState


def add_fork_handler(rt: RuntimeBuilder, pool: PoolState) -> ir.Function:
    """void xu_pool_watch_forks(): register the child handler, once.

    Called by the pool's owner (so by one thread at a time) before it
    starts workers.  Registration is retried next time if it failed.
    """
    after_fork = _add_after_fork(rt, pool)
    registered = rt.global_var("xu_fork_handler_registered", I32)
    fn, b = rt.internal("xu_pool_watch_forks", VOID, [])
    with b.if_then(b.icmp_signed("==", b.load(registered), I32(0))):
        status = b.call(
            rt.libc("__register_atfork"), [NULL, NULL, b.bitcast(after_fork, PTR), NULL]
        )
        b.store(b.zext(b.icmp_signed("==", status, I32(0)), I32), registered)
    b.ret_void()
    return fn


def _add_after_fork(rt: RuntimeBuilder, pool: PoolState) -> ir.Function:
    """void xu_pool_after_fork(): in a forked child, the pool as before any launch."""
    fn, b = rt.internal("xu_pool_after_fork", VOID, [])
    b.store_atomic(I64(0), pool.started, "monotonic", 8)
    b.store_atomic(I64(0), pool.claim, "monotonic", 8)
    b.store_atomic(I64(0), pool.finished, "monotonic", 8)
    b.store_atomic(I32(0), pool.result, "monotonic", 4)
    for index, field_type in enumerate(pool.job.value_type.elements):
        b.store_atomic(
            ir.Constant(field_type, None), pool.job_field(b, index), "monotonic", 8
        )
    worker = rt.counted_loop(fn, b, I64(MAX_THREADS), "mailbox")
    b.store_atomic(I32(0), pool.mailbox(b, worker, GENERATION), "monotonic", 4)
    b.store_atomic(I32(0), pool.mailbox(b, worker, SLEEPING), "monotonic", 4)
    rt.next_iteration(b, "mailbox")
    # Last: the pool is free again.
    b.store_atomic(I32(0), pool.busy, "release", 4)
    b.ret_void()
    return fn
