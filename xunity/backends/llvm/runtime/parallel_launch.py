# pyright: reportArgumentType=false, reportAssignmentType=false
# pyright: reportAttributeAccessIssue=false
"""XUParallelLaunch: the launcher's side of the thread pool (see thread_pool.py).

The launcher sizes the launch, takes the pool (or runs serially when it is
busy or one thread would do), publishes the job, wakes the participants it
needs, runs chunks itself and waits until all of them are finished.
"""

from __future__ import annotations

from llvmlite import ir

from xunity.backends.llvm.runtime.builder import (
    FUTEX_WAKE_PRIVATE,
    I32,
    I64,
    TASK_FN,
    RuntimeBuilder,
    return_zero,
)
from xunity.backends.llvm.runtime.pool_fork import add_fork_handler
from xunity.backends.llvm.runtime.pool_placement import add_keep_off_caller
from xunity.backends.llvm.runtime.pool_workers import (
    add_ensure_workers,
    add_run_tasks,
    add_worker,
)
from xunity.backends.llvm.runtime.thread_pool import (
    CLOSED,
    GENERATION,
    MAX_TASKS,
    SLEEPING,
    SPIN_ITERATIONS,
    TASKS_PER_THREAD,
    PoolState,
)


def add_thread_pool(rt: RuntimeBuilder, get_count: ir.Function) -> None:
    """The pool's state, its participants' functions and XUParallelLaunch."""
    pool = PoolState(rt)
    run_tasks = add_run_tasks(rt, pool)
    worker_main = add_worker(rt, pool, run_tasks)
    watch_forks = add_fork_handler(rt, pool)
    ensure_workers = add_ensure_workers(rt, pool, worker_main, watch_forks)
    keep_off_caller = add_keep_off_caller(rt, pool)
    _add_launch(rt, pool, get_count, run_tasks, ensure_workers, keep_off_caller)


def _add_launch(
    rt: RuntimeBuilder,
    pool: PoolState,
    get_count: ir.Function,
    run_tasks: ir.Function,
    ensure_workers: ir.Function,
    keep_off_caller: ir.Function,
) -> None:
    fn, b = rt.start("XUParallelLaunch")
    task_fn, closure, lb, ub, num_tasks = fn.args
    names = ("work", "serial", "claim", "pooled")
    names += ("release", "publish", "wake", "wait")
    blocks = {n: fn.append_basic_block(n) for n in names}
    size = b.sub(ub, lb)
    empty = b.icmp_signed("<=", size, I64(0))
    b.cbranch(empty, blocks["serial"], blocks["work"])

    b.position_at_end(blocks["work"])
    tasks, participants = _size_launch(rt, b, get_count, num_tasks, size)
    single = b.icmp_signed("<=", participants, I64(1))
    b.cbranch(single, blocks["serial"], blocks["claim"])

    # Serial: the whole range in one call (an empty range calls nothing).
    b.position_at_end(blocks["serial"])
    call_block = fn.append_basic_block("serial_call")
    b.cbranch(b.icmp_signed("<=", size, I64(0)), return_zero(fn), call_block)
    b.position_at_end(call_block)
    typed_fn = b.bitcast(task_fn, TASK_FN.as_pointer())
    b.ret(b.call(typed_fn, [lb, ub, closure]))

    participants = _take_pool(rt, b, pool, blocks, ensure_workers, participants)

    b.position_at_end(blocks["publish"])
    _publish(b, pool, (task_fn, closure, lb, size, tasks))
    worker = b.alloca(I64)
    b.store(I64(1), worker)
    caller_cpu = b.call(rt.libc("sched_getcpu"), [])
    b.branch(blocks["wake"])

    _wake(rt, b, pool, blocks, worker, participants, (keep_off_caller, caller_cpu))

    b.position_at_end(blocks["wait"])
    b.call(run_tasks, [])
    _wait_until_equal(rt, fn, b, pool.finished, tasks)
    first_error = b.load_atomic(pool.result, "monotonic", 4)
    b.store_atomic(I32(0), pool.busy, "release", 4)
    b.ret(first_error)


def _size_launch(
    rt: RuntimeBuilder,
    b: ir.IRBuilder,
    get_count: ir.Function,
    num_tasks: ir.Value,
    size: ir.Value,
) -> tuple[ir.Value, ir.Value]:
    """(chunks, participants) of a non-empty launch."""
    threads = b.sext(b.call(get_count, []), I64)
    default_tasks = b.mul(threads, I64(TASKS_PER_THREAD))
    tasks = b.select(b.icmp_signed(">", num_tasks, I64(0)), num_tasks, default_tasks)
    tasks = rt.smin(b, rt.smin(b, tasks, size), I64(MAX_TASKS))
    return tasks, rt.smin(b, tasks, threads)


def _take_pool(
    rt: RuntimeBuilder,
    b: ir.IRBuilder,
    pool: PoolState,
    blocks: dict[str, ir.Block],
    ensure_workers: ir.Function,
    participants: ir.Value,
) -> ir.Value:
    """Own the pool and start the workers needed, then go on to "publish";
    to "serial" when the pool is busy or no worker could be started.

    Returns the participants there will be (fewer if workers failed to start).
    """
    b.position_at_end(blocks["claim"])
    claimed = b.extract_value(
        b.cmpxchg(pool.busy, I32(0), I32(1), "acquire", "monotonic"), 1
    )
    b.cbranch(claimed, blocks["pooled"], blocks["serial"])

    b.position_at_end(blocks["pooled"])
    available = b.call(ensure_workers, [b.sub(participants, I64(1))])
    participants = rt.smin(b, participants, b.add(available, I64(1)))
    alone = b.icmp_signed("<=", participants, I64(1))
    b.cbranch(alone, blocks["release"], blocks["publish"])

    b.position_at_end(blocks["release"])  # no worker could be started
    b.store_atomic(I32(0), pool.busy, "release", 4)
    b.branch(blocks["serial"])
    return participants


def _publish(b: ir.IRBuilder, pool: PoolState, job: tuple[ir.Value, ...]) -> None:
    """Close the claim word under a new epoch, store the job and reset the
    counters, then open the epoch's claims.

    Closing comes first: a participant reads the claim word, then the job,
    then swaps the word it read.  Were the job stored while the word still
    held the last epoch, a participant could pair that word with this job
    and its swap succeed: it would run a chunk of this job that is claimed
    again once the epoch opens, and `finished` would pass `tasks` (a launch
    that never returns).  Fields are stored with release after the closing
    store and read with acquire, so whoever sees a field of this job also
    sees the word closed, and its swap of an older word fails.
    """
    epoch = b.add(b.lshr(b.load_atomic(pool.claim, "monotonic", 8), I64(32)), I64(1))
    opened = b.shl(epoch, I64(32))
    b.store_atomic(b.or_(opened, I64(CLOSED)), pool.claim, "monotonic", 8)
    # Late workers may still read the job: its fields are atomics.
    for index, value in enumerate(job):
        b.store_atomic(value, pool.job_field(b, index), "release", 8)
    b.store_atomic(I64(0), pool.finished, "monotonic", 8)
    b.store_atomic(I32(0), pool.result, "monotonic", 4)
    b.store_atomic(opened, pool.claim, "release", 8)


def _wake(
    rt: RuntimeBuilder,
    b: ir.IRBuilder,
    pool: PoolState,
    blocks: dict[str, ir.Block],
    worker: ir.Value,
    participants: ir.Value,
    placement: tuple[ir.Function, ir.Value],
) -> None:
    """for w in 1..P-1: keep w off the caller's CPU (pool_placement.py), bump
    w's generation; futex-wake it if it sleeps.

    Both sides are seq_cst (the worker sets `sleeping`, then reads the
    generation), so either the worker sees the bump or we see it asleep.
    """
    b.position_at_end(blocks["wake"])
    w = b.load(worker)
    keep_off_caller, caller_cpu = placement
    b.call(keep_off_caller, [w, caller_cpu])
    generation = pool.mailbox(b, w, GENERATION)
    b.atomic_rmw("add", generation, I32(1), "seq_cst")
    asleep = b.load_atomic(pool.mailbox(b, w, SLEEPING), "seq_cst", 4)
    with b.if_then(b.icmp_signed("!=", asleep, I32(0))):
        rt.futex(b, generation, FUTEX_WAKE_PRIVATE, I64(1))
    following = b.add(w, I64(1))
    b.store(following, worker)
    more = b.icmp_signed("<", following, participants)
    b.cbranch(more, blocks["wake"], blocks["wait"])


def _wait_until_equal(
    rt: RuntimeBuilder,
    fn: ir.Function,
    b: ir.IRBuilder,
    counter: ir.Value,
    target: ir.Value,
) -> None:
    """Spin with `pause` until *counter == target (acquire), then `sched_yield`."""
    spins = b.alloca(I64)
    b.store(I64(0), spins)
    check = fn.append_basic_block("wait_check")
    again = fn.append_basic_block("wait_again")
    done = fn.append_basic_block("wait_done")
    b.branch(check)
    b.position_at_end(check)
    reached = b.load_atomic(counter, "acquire", 8)
    b.cbranch(b.icmp_signed("==", reached, target), done, again)
    b.position_at_end(again)
    count = b.load(spins)
    spinning = b.icmp_signed("<", count, I64(SPIN_ITERATIONS))
    with b.if_else(spinning) as (spin, yield_):
        with spin:
            rt.pause(b)
            b.store(b.add(count, I64(1)), spins)
        with yield_:
            b.call(rt.libc("sched_yield"), [])
    b.branch(check)
    b.position_at_end(done)
