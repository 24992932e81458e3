"""The thread pool's shared state: what the launcher and the workers agree on.

    int32_t XUParallelLaunch(int32_t (*fn)(int64_t begin, int64_t end,
                                           void* closure),
                             void* closure, int64_t lb, int64_t ub,
                             int64_t num_tasks)

`XUParallelLaunch` (parallel_launch.py) splits [lb, ub) into `num_tasks`
contiguous chunks (<= 0: TASKS_PER_THREAD per thread; never more than
ub - lb), runs them on `min(tasks, threads)` participants (the caller,
participant 0, and persistent workers 1..P-1 (pool_workers.py), created on
first need, detached, with every signal blocked), each claiming the next
unclaimed chunk until none is left; the launcher waits until every chunk has
finished and returns the first non-zero `fn` result.

Claiming rather than a fixed share per participant, and waiting for chunks
rather than for participants, keeps a late worker (still waking up, or
descheduled on a busy machine) from stalling a launch: the others run its
chunks and the launch returns without it.  A chunk is claimed by a
compare-and-swap on one word holding (launch epoch, next chunk): a late
worker that read an older launch's word fails its swap, since a new launch
publishes its job only after every chunk of the previous one was claimed
and finished, and closes the word under a new epoch before it stores the
job (so no worker can pair an old word with the new job: that ran a chunk
twice and hung the launcher, `finished` having passed `tasks`).

Each worker has a mailbox (a generation counter on its own cache line): the
launcher publishes the job, bumps the mailboxes of the participants, and
only wakes those that sleep.  A worker spins on its mailbox for a while
after each job (a bounded loop with `pause`), then sleeps on a futex.  A
futex rather than a condition variable: the kernel compares the counter with
the value the worker last saw before it sleeps, so a wake-up can never be
lost, the launcher takes no lock, and no libc struct layout
(`pthread_cond_t`) has to be spelled in IR.  The launcher waits for the
workers' countdown with `pause`, then `sched_yield`.

One launch at a time owns the pool (an atomic flag).  A launch that finds it
busy — a parallel region nested in a chunk (on a worker or on the caller), or
a second thread launching concurrently — runs `fn(lb, ub, closure)` serially
on its own thread: always correct, never a deadlock.

A process forked after the pool started gets a pool of its own: a fork
handler, registered when the pool first starts workers, resets the pool's
state in the child (no workers, not busy, fresh mailboxes), and the child's
first launch starts new workers (pool_fork.py).  The thread count a launch
uses is XUGetNumThreads at that launch (thread_count.py).
"""

from __future__ import annotations

from llvmlite import ir

from xunity.backends.llvm.runtime.builder import I8, I32, I64, PTR, RuntimeBuilder
from xunity.backends.llvm.runtime.thread_count import MAX_THREADS

TASKS_PER_THREAD = 4
"""Chunks per thread when a launch does not say (num_tasks <= 0): enough that
the others can take over from a late participant, few enough that each
chunk stays a long contiguous run."""
MAX_TASKS = 1 << 30
"""Chunks per launch at most: the chunk counter is the low half of the claim word."""
CLOSED = 0xFFFFFFFF
"""The chunk counter while a launch publishes its job: above any job's tasks,
so nothing can be claimed until the launcher opens the epoch at 0."""
SPIN_ITERATIONS = 4096
"""`pause` iterations a worker spins after a job before it sleeps (~0.1 ms)."""

JOB_FN, JOB_CLOSURE, JOB_LB, JOB_SIZE, JOB_TASKS = range(5)
"""The job's fields: fn, closure, lb, ub - lb, number of chunks."""
GENERATION, SLEEPING, THREAD, AVOIDED_CPU = 0, 1, 2, 3
"""A mailbox's fields: the futex word the launcher bumps, whether its worker
sleeps on it, the worker's pthread_t, and 1 + the CPU its affinity mask
leaves out (0: none yet); the last two are the pool owner's alone."""
CPU_SET_BYTES = 128
"""A cpu_set_t (1024 CPUs), as sched_getaffinity and pthread_setaffinity_np
take it."""


class PoolState:
    """The pool's globals, each on its own cache line (the workers write them).

    The job is written by the launcher before it bumps the mailboxes and
    read by the participants after they see the bump.
    """

    def __init__(self, rt: RuntimeBuilder):
        job_type = ir.LiteralStructType([PTR, PTR, I64, I64, I64])
        self.job = rt.global_var("xu_job", job_type, align=64)
        self.claim = rt.global_var("xu_claim", I64, align=64)
        """epoch << 32 | next chunk"""
        self.finished = rt.global_var("xu_finished", I64, align=64)
        """Chunks done."""
        self.result = rt.global_var("xu_result", I32, align=64)
        """The first non-zero fn result."""
        self.busy = rt.global_var("xu_pool_busy", I32, align=64)
        """Set while a launch owns the pool."""
        self.started = rt.global_var("xu_workers_started", I64, align=64)
        mailbox_type = ir.LiteralStructType([I32, I32, I64, I32, ir.ArrayType(I8, 44)])
        self.mailboxes = rt.global_var(
            "xu_mailboxes", ir.ArrayType(mailbox_type, MAX_THREADS), align=64
        )
        cpu_set = ir.ArrayType(I8, CPU_SET_BYTES)
        self.start_masks = rt.global_var(
            "xu_worker_start_masks", ir.ArrayType(cpu_set, MAX_THREADS), align=64
        )
        """Each worker's CPUs when it started (its creator's): what placement
        narrows, so a user's restriction of the process is kept."""

    def job_field(self, b: ir.IRBuilder, index: int) -> ir.Value:
        return b.gep(self.job, [I32(0), I32(index)])

    def start_mask(self, b: ir.IRBuilder, worker: ir.Value) -> ir.Value:
        """`worker`'s start mask as an i8*."""
        return b.gep(self.start_masks, [I64(0), worker, I32(0)])

    def mailbox(self, b: ir.IRBuilder, worker: ir.Value, index: int) -> ir.Value:
        """Field `index` (GENERATION, SLEEPING, ...) of `worker`'s mailbox."""
        return b.gep(self.mailboxes, [I64(0), worker, I32(index)])
