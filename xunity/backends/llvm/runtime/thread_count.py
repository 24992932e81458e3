# pyright: reportArgumentType=false, reportAttributeAccessIssue=false
"""XUSetNumThreads / XUGetNumThreads: how many threads a parallel region may use.

    void    XUSetNumThreads(int32_t n)               n <= 0: back to the default
    int32_t XUGetNumThreads(void)

One process-wide count in an atomic global, 0 meaning "not chosen yet": the
first XUGetNumThreads without a count set chooses the default, clamped to
[1, MAX_THREADS] (the pool has one mailbox per thread):

- XUNITY_NUM_THREADS, if it is a positive decimal number (like
  OMP_NUM_THREADS; anything else, "0", "-2", "4x" or "", is ignored);
- else the CPUs this process may use (available_cpus.py): its affinity
  mask, capped by its cgroup CPU quota.

XUParallelLaunch reads the count at every launch, so a new count applies
from the next launch on.  A forked child keeps its parent's count.
"""

from __future__ import annotations

from llvmlite import ir

from xunity.backends.llvm.runtime.available_cpus import add_available_cpus
from xunity.backends.llvm.runtime.builder import (
    I8,
    I32,
    I64,
    NULL,
    PTR,
    RuntimeBuilder,
)
from xunity.ir.abi import NUM_THREADS_ENV

MAX_THREADS = 64
"""Upper bound of XUSetNumThreads / XUNITY_NUM_THREADS (one mailbox each)."""


def add_thread_count(rt: RuntimeBuilder) -> ir.Function:
    """Both functions; returns XUGetNumThreads, which the thread pool calls."""
    count = rt.global_var("xu_num_threads", I32)
    default = _add_default_threads(rt)
    get_count = _add_get(rt, count, default)
    fn, b = rt.start("XUSetNumThreads")
    clamped = rt.smin(b, fn.args[0], I32(MAX_THREADS))
    b.store_atomic(rt.at_least(b, clamped, 0), count, "monotonic", 4)
    b.ret_void()
    return get_count


def _add_default_threads(rt: RuntimeBuilder) -> ir.Function:
    """i32 xu_default_threads(): the count when XUSetNumThreads chose none."""
    available_cpus = add_available_cpus(rt)
    fn, b = rt.internal("xu_default_threads", I32, [])
    name = rt.string("xu_env_name", NUM_THREADS_ENV)
    value = b.call(rt.libc("getenv"), [name])
    chosen = b.alloca(I64)
    end = b.alloca(PTR)
    b.store(I64(0), chosen)
    with b.if_then(b.icmp_unsigned("!=", value, NULL)):
        number = b.call(rt.libc("strtol"), [value, end, I32(10)])
        # The whole value is the number: at least one digit, nothing after it.
        digits = b.icmp_unsigned("!=", b.load(end), value)
        whole = b.icmp_signed("==", b.load(b.load(end)), I8(0))
        b.store(b.select(b.and_(digits, whole), number, I64(0)), chosen)
    with b.if_then(b.icmp_signed("<=", b.load(chosen), I64(0))):
        b.store(b.call(available_cpus, []), chosen)
    chosen = rt.at_least(b, b.load(chosen), 1)
    chosen = rt.smin(b, chosen, I64(MAX_THREADS))
    b.ret(b.trunc(chosen, I32))
    return fn


def _add_get(
    rt: RuntimeBuilder, count: ir.GlobalVariable, default: ir.Function
) -> ir.Function:
    """XUGetNumThreads: the count, choosing the default on first use."""
    fn, b = rt.start("XUGetNumThreads")
    chosen_block = fn.append_basic_block("chosen")
    choose_block = fn.append_basic_block("choose")
    current = b.load_atomic(count, "monotonic", 4)
    b.cbranch(b.icmp_signed(">", current, I32(0)), chosen_block, choose_block)
    b.position_at_end(chosen_block)
    b.ret(current)
    b.position_at_end(choose_block)
    proposal = b.call(default, [])
    # A concurrent XUSetNumThreads wins over the default.
    exchange = b.cmpxchg(count, I32(0), proposal, "monotonic", "monotonic")
    won = b.extract_value(exchange, 1)
    b.ret(b.select(won, proposal, b.extract_value(exchange, 0)))
    return fn
