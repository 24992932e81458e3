# pyright: reportArgumentType=false, reportAssignmentType=false
# pyright: reportAttributeAccessIssue=false
"""The thread pool's participants: claiming chunks, worker threads, starting them.

thread_pool.py describes the protocol; this is the side every participant
runs (`xu_run_tasks`, the launcher included) and the workers' own loop.
"""

from __future__ import annotations

from llvmlite import ir

from xunity.backends.llvm.runtime.builder import (
    FUTEX_WAIT_PRIVATE,
    I8,
    I32,
    I64,
    NULL,
    PTR,
    TASK_FN,
    VOID,
    RuntimeBuilder,
)
from xunity.backends.llvm.runtime.thread_pool import (
    AVOIDED_CPU,
    CPU_SET_BYTES,
    GENERATION,
    JOB_CLOSURE,
    JOB_FN,
    JOB_LB,
    JOB_SIZE,
    JOB_TASKS,
    SLEEPING,
    SPIN_ITERATIONS,
    THREAD,
    PoolState,
)

_SIG_SETMASK = 2
_SIGSET_BYTES = 128
"""Linux: pthread_sigmask's SIG_SETMASK, and a sigset_t's size (glibc's)."""


def add_run_tasks(rt: RuntimeBuilder, pool: PoolState) -> ir.Function:
    """void xu_run_tasks(): claim and run chunks of the job until none is left."""
    fn, b = rt.internal("xu_run_tasks", VOID, [])
    head = fn.append_basic_block("head")
    try_claim = fn.append_basic_block("try_claim")
    body = fn.append_basic_block("body")
    done = fn.append_basic_block("done")
    b.branch(head)
    b.position_at_end(head)
    # Read the claim word, then the job it belongs to (the launcher closes
    # the word, stores the job, then opens the word: parallel_launch.py's
    # _publish).  The swap below succeeds only if no chunk was claimed and
    # no job published since, so that job is still the current one; a
    # closed word's chunk count, CLOSED, is never below the job's tasks.
    word = b.load_atomic(pool.claim, "acquire", 8)
    job = [b.load_atomic(pool.job_field(b, i), "acquire", 8) for i in range(5)]
    task_fn = b.bitcast(job[JOB_FN], TASK_FN.as_pointer())
    t = b.and_(word, I64(0xFFFFFFFF))
    b.cbranch(b.icmp_signed("<", t, job[JOB_TASKS]), try_claim, done)
    b.position_at_end(try_claim)
    swap = b.cmpxchg(pool.claim, word, b.add(word, I64(1)), "acq_rel", "monotonic")
    b.cbranch(b.extract_value(swap, 1), body, head)
    b.position_at_end(body)
    _run_chunk(rt, b, pool, t, task_fn, job)
    b.branch(head)
    b.position_at_end(done)
    b.ret_void()
    return fn


def _run_chunk(
    rt: RuntimeBuilder,
    b: ir.IRBuilder,
    pool: PoolState,
    t: ir.Value,
    task_fn: ir.Value,
    job: list[ir.Value],
) -> None:
    """Run chunk `t` of `job`; keep its result if it is the first error."""
    closure, lb = job[JOB_CLOSURE], job[JOB_LB]
    size, tasks = job[JOB_SIZE], job[JOB_TASKS]
    base = b.sdiv(size, tasks)
    rest = b.srem(size, tasks)
    # Chunk t: the first `rest` chunks are one longer.
    begin = b.add(b.add(lb, b.mul(t, base)), rt.smin(b, t, rest))
    longer = b.zext(b.icmp_signed("<", t, rest), I64)
    end = b.add(begin, b.add(base, longer))
    status = b.call(task_fn, [begin, end, closure])
    with b.if_then(b.icmp_signed("!=", status, I32(0))):
        b.cmpxchg(pool.result, I32(0), status, "monotonic", "monotonic")
    b.atomic_rmw("add", pool.finished, I64(1), "release")


def add_worker(
    rt: RuntimeBuilder, pool: PoolState, run_tasks: ir.Function
) -> ir.Function:
    """void* xu_worker_main(void* index): wait for a bump, run chunks, repeat."""
    fn, b = rt.internal("xu_worker_main", PTR, [PTR])
    names = ("idle", "spin", "spin_more", "sleep")
    names += ("sleep_check", "sleep_wait", "woken", "run")
    blocks = {n: fn.append_basic_block(n) for n in names}
    index = b.ptrtoint(fn.args[0], I64)
    generation = pool.mailbox(b, index, GENERATION)
    sleeping = pool.mailbox(b, index, SLEEPING)
    seen = b.alloca(I32)  # the generation of the last job run
    spins = b.alloca(I64)
    b.store(I32(0), seen)
    b.branch(blocks["idle"])

    b.position_at_end(blocks["idle"])
    b.store(I64(0), spins)
    b.branch(blocks["spin"])

    b.position_at_end(blocks["spin"])
    bumped = b.icmp_unsigned(
        "!=", b.load_atomic(generation, "acquire", 4), b.load(seen)
    )
    b.cbranch(bumped, blocks["run"], blocks["spin_more"])

    b.position_at_end(blocks["spin_more"])
    count = b.load(spins)
    b.store(b.add(count, I64(1)), spins)
    rt.pause(b)
    spinning = b.icmp_signed("<", count, I64(SPIN_ITERATIONS))
    b.cbranch(spinning, blocks["spin"], blocks["sleep"])

    _sleep(rt, b, blocks, generation, sleeping, seen)

    # The generation cannot move again before this worker counts down.
    b.position_at_end(blocks["run"])
    b.store(b.load_atomic(generation, "acquire", 4), seen)
    b.call(run_tasks, [])
    b.branch(blocks["idle"])
    return fn


def _sleep(
    rt: RuntimeBuilder,
    b: ir.IRBuilder,
    blocks: dict[str, ir.Block],
    generation: ir.Value,
    sleeping: ir.Value,
    seen: ir.Value,
) -> None:
    """Say so in the mailbox, then sleep on the futex until the generation moves.

    Both sides are seq_cst (the worker sets `sleeping`, then reads the
    generation; the launcher bumps it, then reads `sleeping`), so either the
    worker sees the bump or the launcher sees it asleep and wakes it.
    """
    b.position_at_end(blocks["sleep"])
    b.store_atomic(I32(1), sleeping, "seq_cst", 4)
    b.branch(blocks["sleep_check"])

    b.position_at_end(blocks["sleep_check"])
    bumped = b.icmp_unsigned(
        "!=", b.load_atomic(generation, "seq_cst", 4), b.load(seen)
    )
    b.cbranch(bumped, blocks["woken"], blocks["sleep_wait"])

    # The kernel sleeps only while the word still equals `seen`: no lost wake-up.
    b.position_at_end(blocks["sleep_wait"])
    rt.futex(b, generation, FUTEX_WAIT_PRIVATE, b.zext(b.load(seen), I64))
    b.branch(blocks["sleep_check"])

    b.position_at_end(blocks["woken"])
    b.store_atomic(I32(0), sleeping, "seq_cst", 4)
    b.branch(blocks["run"])


def add_ensure_workers(
    rt: RuntimeBuilder,
    pool: PoolState,
    worker_main: ir.Function,
    watch_forks: ir.Function,
) -> ir.Function:
    """i64 xu_ensure_workers(i64 need): start workers up to `need`; how many exist.

    Called by the pool's owner only.  Workers inherit a fully blocked
    signal mask, so signal handlers never run on them.  Before starting
    any, `watch_forks` makes sure a forked child resets the pool (pool_fork.py).
    """
    fn, b = rt.internal("xu_ensure_workers", I64, [I64])
    need = fn.args[0]
    names = ("create", "loop", "make", "detach", "restore", "done")
    blocks = {n: fn.append_basic_block(n) for n in names}
    count = b.alloca(I64)
    thread = b.alloca(I64)
    blocked = b.alloca(ir.ArrayType(I8, _SIGSET_BYTES))
    previous = b.alloca(ir.ArrayType(I8, _SIGSET_BYTES))
    b.store(b.load(pool.started), count)
    more = b.icmp_signed("<", b.load(count), need)
    b.cbranch(more, blocks["create"], blocks["done"])

    b.position_at_end(blocks["create"])
    b.call(watch_forks, [])
    blocked_ptr, previous_ptr = b.bitcast(blocked, PTR), b.bitcast(previous, PTR)
    b.call(rt.libc("sigfillset"), [blocked_ptr])
    sigmask = rt.libc("pthread_sigmask")
    b.call(sigmask, [I32(_SIG_SETMASK), blocked_ptr, previous_ptr])
    b.branch(blocks["loop"])

    b.position_at_end(blocks["loop"])
    more = b.icmp_signed("<", b.load(count), need)
    b.cbranch(more, blocks["make"], blocks["restore"])

    _start_worker(rt, b, pool, blocks, worker_main, count, thread)

    b.position_at_end(blocks["restore"])
    b.call(sigmask, [I32(_SIG_SETMASK), previous_ptr, NULL])
    b.store(b.load(count), pool.started)
    b.branch(blocks["done"])

    b.position_at_end(blocks["done"])
    b.ret(b.load(count))
    return fn


def _start_worker(
    rt: RuntimeBuilder,
    b: ir.IRBuilder,
    pool: PoolState,
    blocks: dict[str, ir.Block],
    worker_main: ir.Function,
    count: ir.Value,
    thread: ir.Value,
) -> None:
    """Worker `count + 1`, detached: to "loop" if it started, else "restore"."""
    b.position_at_end(blocks["make"])
    index = b.add(b.load(count), I64(1))
    status = b.call(
        rt.libc("pthread_create"),
        [thread, NULL, b.bitcast(worker_main, PTR), b.inttoptr(index, PTR)],
    )
    started = b.icmp_signed("==", status, I32(0))
    b.cbranch(started, blocks["detach"], blocks["restore"])

    b.position_at_end(blocks["detach"])
    b.call(rt.libc("pthread_detach"), [b.load(thread)])
    b.store(b.load(thread), pool.mailbox(b, index, THREAD))
    mask_size = I64(CPU_SET_BYTES)
    start_mask = pool.start_mask(b, index)
    b.call(rt.libc("pthread_getaffinity_np"), [b.load(thread), mask_size, start_mask])
    b.store(I32(0), pool.mailbox(b, index, AVOIDED_CPU))
    b.store(index, count)
    b.branch(blocks["loop"])
