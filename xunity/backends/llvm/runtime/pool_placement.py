# pyright: reportArgumentType=false, reportAttributeAccessIssue=false
# pyright: reportAssignmentType=false
"""Keeping the pool's workers off the launching thread's CPU.

    void xu_keep_off_caller(int64_t worker, int32_t caller_cpu)

Measured (docs/lowering.md, "Where the workers run"): a worker woken by the
futex is often placed on its waker's CPU, and when the other CPU carries any
other runnable task the load balancer sees two tasks against one and leaves
the pair together; the launch then runs at one thread's speed for as long
as the pair stays, seconds at a time.  So the launcher sets each
participant's affinity to the CPUs it may use itself minus the one it runs
on, whenever that CPU differs from the one the worker's mask last left out;
the kernel then moves the worker at once, and keeps it away.  No CPU is
pinned: the mask is the worker's CPUs at its start (its creator's, so a
user's restriction of the process holds) minus the caller's CPU, and it is
only narrowed when that leaves a CPU, so no worker is ever without one.
"""

from __future__ import annotations

from llvmlite import ir

from xunity.backends.llvm.runtime.builder import (
    I8,
    I32,
    I64,
    VOID,
    RuntimeBuilder,
    function,
)
from xunity.backends.llvm.runtime.thread_pool import (
    AVOIDED_CPU,
    CPU_SET_BYTES,
    THREAD,
    PoolState,
)


def add_keep_off_caller(rt: RuntimeBuilder, pool: PoolState) -> ir.Function:
    """xu_keep_off_caller: called by the pool's owner for each participant."""
    fn, b = rt.internal("xu_keep_off_caller", VOID, [I64, I32])
    worker, cpu = fn.args
    mask = b.alloca(ir.ArrayType(I8, CPU_SET_BYTES))
    rebind = fn.append_basic_block("rebind")
    narrow = fn.append_basic_block("narrow")
    apply = fn.append_basic_block("apply")
    done = fn.append_basic_block("done")
    avoided = pool.mailbox(b, worker, AVOIDED_CPU)
    wanted = b.add(cpu, I32(1))
    in_range = b.and_(
        b.icmp_signed(">=", cpu, I32(0)),
        b.icmp_signed("<", cpu, I32(CPU_SET_BYTES * 8)),
    )
    moved = b.icmp_signed("!=", b.load(avoided), wanted)
    b.cbranch(b.and_(in_range, moved), rebind, done)

    b.position_at_end(rebind)
    b.store(wanted, avoided)
    bytes_ = b.bitcast(mask, I8.as_pointer())
    b.call(rt.libc("memcpy"), [bytes_, pool.start_mask(b, worker), I64(CPU_SET_BYTES)])
    byte = b.gep(bytes_, [b.lshr(cpu, I32(3))])
    bit = b.trunc(b.shl(I32(1), b.and_(cpu, I32(7))), I8)
    has_cpu = b.icmp_unsigned("!=", b.and_(b.load(byte), bit), I8(0))
    others = b.icmp_signed(">", _count_cpus(b, mask), I64(1))
    b.cbranch(b.and_(has_cpu, others), narrow, apply)

    b.position_at_end(narrow)
    b.store(b.and_(b.load(byte), b.not_(bit)), byte)
    b.branch(apply)

    b.position_at_end(apply)
    thread = b.load(pool.mailbox(b, worker, THREAD))
    b.call(rt.libc("pthread_setaffinity_np"), [thread, I64(CPU_SET_BYTES), bytes_])
    b.branch(done)

    b.position_at_end(done)
    b.ret_void()
    return fn


def _count_cpus(b: ir.IRBuilder, mask: ir.Value) -> ir.Value:
    """The number of CPUs in the cpu_set at `mask` (16 popcounts, unrolled)."""
    popcount = function(b.module, "llvm.ctpop.i64", I64, [I64])
    words = b.bitcast(mask, I64.as_pointer())
    total: ir.Value = I64(0)
    for index in range(CPU_SET_BYTES // 8):
        word = b.load(b.gep(words, [I32(index)]))
        total = b.add(total, b.call(popcount, [word]))
    return total
