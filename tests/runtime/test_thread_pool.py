"""The runtime thread pool: `cpu.parallel` through `XUParallelLaunch`, vs numpy.

Kernels are written at the cpu level, lowered with `convert-to-llvm` (and with
`convert-scf-to-cf` first, so parallel bodies are already several blocks),
JIT-compiled with the runtime and called with ctypes (which releases the
GIL).  Every test runs at 1, 2 and 8 threads; ranges include empty, reversed,
shorter than the thread count and offset ones.  `XUParallelLaunch` is also
called directly with hand-written LLVM IR bodies to check chunking and
error propagation.  Programs compiled with `xunity.compile` check the public
thread-count knob, concurrent callers and forked children; whatever changes
the process (environment, affinity, fork) runs in a subprocess.
"""

from __future__ import annotations

import ctypes
import math
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from xdsl.passes import PassPipeline
from xdsl.transforms import get_all_passes

import xunity
from xunity.backends.llvm.emit import emit_llvm_ir
from xunity.backends.llvm.jit import JitEngine
from xunity.backends.llvm.runtime import (
    MAX_THREADS,
    TASKS_PER_THREAD,
    get_num_threads,
    runtime_ir,
    set_num_threads,
)
from xunity.dialects.context import make_context
from xunity.ir.diagnostics import parse_module
from xunity.registry import PASSES

PIPELINES = ["convert-to-llvm", "convert-scf-to-cf,convert-to-llvm"]

# out[i] = i * i for i in [lb, ub): a parallel loop over a symbolic range.
SQUARES = """
func.func @squares(%lb: i64, %ub: i64, %out: !llvm.ptr) {
  %lbi = arith.index_cast %lb : i64 to index
  %ubi = arith.index_cast %ub : i64 to index
  cpu.parallel %i = %lbi to %ubi {
    %ii = arith.index_cast %i : index to i64
    %sq = arith.muli %ii, %ii : i64
    %a = llvm.getelementptr %out[%ii] : (!llvm.ptr, i64) -> !llvm.ptr, i64
    llvm.store %sq, %a {alignment = 8 : i64} : i64, !llvm.ptr
    cpu.yield
  }
  func.return
}
"""

# y[i, j] = a * x[i, j] + b: parallel rows (5 tasks), a serial scf loop inside,
# scalars and an index captured in the closure.
AFFINE_ROWS = """
func.func @affine_rows(%n: i64, %m: i64, %a: f32, %b: f32, %x: !llvm.ptr, %y: !llvm.ptr) {
  %ni = arith.index_cast %n : i64 to index
  %mi = arith.index_cast %m : i64 to index
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  cpu.parallel %i = %c0 to %ni num_tasks = 5 {
    scf.for %j = %c0 to %mi step %c1 {
      %row = arith.muli %i, %mi : index
      %k = arith.addi %row, %j : index
      %ki = arith.index_cast %k : index to i64
      %px = llvm.getelementptr %x[%ki] : (!llvm.ptr, i64) -> !llvm.ptr, f32
      %v = llvm.load %px {alignment = 4 : i64} : !llvm.ptr -> f32
      %t = arith.mulf %v, %a : f32
      %r = arith.addf %t, %b : f32
      %py = llvm.getelementptr %y[%ki] : (!llvm.ptr, i64) -> !llvm.ptr, f32
      llvm.store %r, %py {alignment = 4 : i64} : f32, !llvm.ptr
    }
    cpu.yield
  }
  func.return
}
"""

# out[i, j] = i * m + j, where each row's loop is itself a parallel region in a
# called function: a launch from inside a launch, which runs serially.
NESTED_LAUNCH = """
func.func @fill_row(%i: index, %m: index, %out: !llvm.ptr) {
  %c0 = arith.constant 0 : index
  cpu.parallel %j = %c0 to %m {
    %row = arith.muli %i, %m : index
    %k = arith.addi %row, %j : index
    %ki = arith.index_cast %k : index to i64
    %a = llvm.getelementptr %out[%ki] : (!llvm.ptr, i64) -> !llvm.ptr, i64
    llvm.store %ki, %a {alignment = 8 : i64} : i64, !llvm.ptr
    cpu.yield
  }
  func.return
}

func.func @fill(%n: i64, %m: i64, %out: !llvm.ptr) {
  %ni = arith.index_cast %n : i64 to index
  %mi = arith.index_cast %m : i64 to index
  %c0 = arith.constant 0 : index
  cpu.parallel %i = %c0 to %ni {
    func.call @fill_row(%i, %mi, %out) : (index, index, !llvm.ptr) -> ()
    cpu.yield
  }
  func.return
}
"""

# Bodies for direct XUParallelLaunch calls.  The closure is an i64 array:
# `mark` stores each chunk's begin at every index of the chunk; `fail_at`
# marks like `mark` after slot 0 and returns 7 from the chunk holding index
# closure[0] (and 9 from the chunk holding closure[1]); `wait_for_others`
# counts finished chunks in closure[0], and the chunk at 0 first waits (up
# to a few seconds, else it returns 5) until the other closure[1] - 1 are done;
# `hold` counts its chunk in closure[1], then waits (up to many seconds, else it
# returns 6) until closure[0] is non-zero: the pool stays busy until then.
LAUNCH_IR = """
declare i32 @XUParallelLaunch(ptr, ptr, i64, i64, i64)

define internal i32 @mark(i64 %begin, i64 %end, ptr %out) {
entry:
  br label %head
head:
  %i = phi i64 [%begin, %entry], [%next, %body]
  %more = icmp slt i64 %i, %end
  br i1 %more, label %body, label %done
body:
  %slot = getelementptr i64, ptr %out, i64 %i
  store i64 %begin, ptr %slot
  %next = add i64 %i, 1
  br label %head
done:
  ret i32 0
}

define internal i32 @fail_at(i64 %begin, i64 %end, ptr %closure) {
  %marks = getelementptr i64, ptr %closure, i64 2
  %ok = call i32 @mark(i64 %begin, i64 %end, ptr %marks)
  %bad = load i64, ptr %closure
  %bad2_slot = getelementptr i64, ptr %closure, i64 1
  %bad2 = load i64, ptr %bad2_slot
  %after_begin = icmp sge i64 %bad, %begin
  %before_end = icmp slt i64 %bad, %end
  %hit = and i1 %after_begin, %before_end
  %after_begin2 = icmp sge i64 %bad2, %begin
  %before_end2 = icmp slt i64 %bad2, %end
  %hit2 = and i1 %after_begin2, %before_end2
  %code2 = select i1 %hit2, i32 9, i32 0
  %code = select i1 %hit, i32 7, i32 %code2
  ret i32 %code
}

define internal i32 @wait_for_others(i64 %begin, i64 %end, ptr %state) {
entry:
  %tasks_slot = getelementptr i64, ptr %state, i64 1
  %tasks = load i64, ptr %tasks_slot
  %others = sub i64 %tasks, 1
  %first = icmp eq i64 %begin, 0
  br i1 %first, label %wait, label %count
wait:
  %i = phi i64 [0, %entry], [%i1, %wait]
  %done = load atomic i64, ptr %state acquire, align 8
  %all = icmp eq i64 %done, %others
  %i1 = add i64 %i, 1
  %timeout = icmp eq i64 %i1, 3000000000
  %stop = or i1 %all, %timeout
  br i1 %stop, label %waited, label %wait
waited:
  br i1 %all, label %count, label %timed_out
timed_out:
  ret i32 5
count:
  %old = atomicrmw add ptr %state, i64 1 release
  ret i32 0
}

define internal i32 @hold(i64 %begin, i64 %end, ptr %state) {
entry:
  %started_slot = getelementptr i64, ptr %state, i64 1
  %old = atomicrmw add ptr %started_slot, i64 1 release
  br label %wait
wait:
  %i = phi i64 [0, %entry], [%i1, %wait]
  %go = load atomic i64, ptr %state acquire, align 8
  %released = icmp ne i64 %go, 0
  %i1 = add i64 %i, 1
  %timeout = icmp eq i64 %i1, 30000000000
  %stop = or i1 %released, %timeout
  br i1 %stop, label %done, label %wait
done:
  %code = select i1 %released, i32 0, i32 6
  ret i32 %code
}

define i32 @launch_hold(ptr %state, i64 %lb, i64 %ub, i64 %tasks) {
  %r = call i32 @XUParallelLaunch(ptr @hold, ptr %state, i64 %lb, i64 %ub, i64 %tasks)
  ret i32 %r
}

define i32 @launch_wait_for_others(ptr %state, i64 %lb, i64 %ub, i64 %tasks) {
  %r = call i32 @XUParallelLaunch(ptr @wait_for_others, ptr %state, i64 %lb, i64 %ub, i64 %tasks)
  ret i32 %r
}

define i32 @launch_mark(ptr %out, i64 %lb, i64 %ub, i64 %tasks) {
  %r = call i32 @XUParallelLaunch(ptr @mark, ptr %out, i64 %lb, i64 %ub, i64 %tasks)
  ret i32 %r
}

define i32 @launch_fail_at(ptr %closure, i64 %lb, i64 %ub, i64 %tasks) {
  %r = call i32 @XUParallelLaunch(ptr @fail_at, ptr %closure, i64 %lb, i64 %ub, i64 %tasks)
  ret i32 %r
}
"""

LaunchFn = ctypes.CFUNCTYPE(
    ctypes.c_int32, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64
)


@dataclass
class Kernel:
    """A compiled function and the engine that owns its machine code."""

    engine: JitEngine
    function: Callable[..., None]

    def __call__(self, *args: object) -> None:
        self.function(*args)


def compile_module(text: str, pipeline: str, cache: Path) -> JitEngine:
    ctx = make_context()
    module = parse_module(ctx, text)
    PassPipeline.parse_spec({**get_all_passes(), **PASSES}, pipeline).apply(ctx, module)
    engine = JitEngine(cache_dir=cache)
    engine.add(runtime_ir(engine.target.triple, engine.target.data_layout))
    engine.add(emit_llvm_ir(module, engine.target))
    return engine


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("objects")


@pytest.fixture(params=[1, 2, 8])
def threads(request: pytest.FixtureRequest) -> Iterator[int]:
    set_num_threads(request.param)
    yield request.param
    set_num_threads(0)


@pytest.fixture(scope="module", params=PIPELINES)
def squares(request: pytest.FixtureRequest, cache: Path) -> Kernel:
    engine = compile_module(SQUARES, request.param, cache)
    signature = ctypes.CFUNCTYPE(None, ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p)
    return Kernel(engine, signature(engine.address("squares")))


@pytest.fixture(scope="module", params=PIPELINES)
def affine_rows(request: pytest.FixtureRequest, cache: Path) -> Kernel:
    engine = compile_module(AFFINE_ROWS, request.param, cache)
    signature = ctypes.CFUNCTYPE(
        None,
        ctypes.c_int64,
        ctypes.c_int64,
        ctypes.c_float,
        ctypes.c_float,
        ctypes.c_void_p,
        ctypes.c_void_p,
    )
    return Kernel(engine, signature(engine.address("affine_rows")))


@pytest.fixture(scope="module")
def launch_engine() -> JitEngine:
    engine = JitEngine(cache_dir=None)
    engine.add(runtime_ir(engine.target.triple, engine.target.data_layout))
    header = (
        f'target triple = "{engine.target.triple}"\n'
        f'target datalayout = "{engine.target.data_layout}"\n'
    )
    engine.add(header + LAUNCH_IR)
    return engine


@pytest.mark.parametrize(
    ("lb", "ub"), [(0, 0), (5, 5), (9, 3), (0, 1), (0, 3), (2, 9), (0, 7), (3, 10_000)]
)
def test_parallel_loop_writes_every_index_once(
    squares: Kernel, threads: int, lb: int, ub: int
) -> None:
    out = np.full(max(ub, lb) + 3, -1, np.int64)
    squares(lb, ub, out.ctypes.data)
    expected = np.full_like(out, -1)
    expected[lb:ub] = np.arange(lb, ub, dtype=np.int64) ** 2
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize(("n", "m"), [(0, 4), (1, 3), (4, 0), (7, 33), (100, 17)])
def test_elementwise_rows_with_captured_scalars(
    affine_rows: Kernel, threads: int, n: int, m: int
) -> None:
    rng = np.random.default_rng(n * 100 + m)
    x = rng.standard_normal((n, m)).astype(np.float32)
    y = np.full((n, m), np.nan, np.float32)
    affine_rows(n, m, 1.5, -0.25, x.ctypes.data, y.ctypes.data)
    expected = np.float32(1.5) * x + np.float32(-0.25)
    np.testing.assert_allclose(y, expected, rtol=1e-6, atol=1e-6)


def test_launch_inside_a_parallel_body_runs_serially(threads: int, cache: Path) -> None:
    engine = compile_module(NESTED_LAUNCH, PIPELINES[0], cache)
    fill = ctypes.CFUNCTYPE(None, ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p)(
        engine.address("fill")
    )
    for n, m in [(0, 5), (3, 1), (5, 9), (33, 65)]:
        out = np.full(n * m, -1, np.int64)
        fill(n, m, out.ctypes.data)
        np.testing.assert_array_equal(out, np.arange(n * m, dtype=np.int64))


@pytest.mark.parametrize("num_tasks", [0, 1, 3, 16])
@pytest.mark.parametrize(("lb", "ub"), [(0, 1), (0, 2), (4, 11), (0, 1000)])
def test_launch_splits_into_balanced_contiguous_chunks(
    launch_engine: JitEngine, threads: int, num_tasks: int, lb: int, ub: int
) -> None:
    launch = LaunchFn(launch_engine.address("launch_mark"))
    out = np.full(ub, -1, np.int64)
    assert launch(out.ctypes.data, lb, ub, num_tasks) == 0
    begins = out[lb:ub]
    assert (out[:lb] == -1).all()
    starts = np.unique(begins)
    tasks = min(num_tasks if num_tasks > 0 else TASKS_PER_THREAD * threads, ub - lb)
    # On one participant the whole range is one call.
    assert len(starts) == (tasks if min(tasks, threads) > 1 else 1)
    sizes = np.diff(np.append(starts, ub))
    assert sizes.max() - sizes.min() <= 1
    # Every index holds the begin of the chunk it lies in.
    np.testing.assert_array_equal(
        begins, starts[np.searchsorted(starts, np.arange(lb, ub), "right") - 1]
    )


@pytest.mark.parametrize("threads", [2, 8], indirect=True)
def test_participants_claim_the_chunks_of_a_busy_one(
    launch_engine: JitEngine, threads: int
) -> None:
    """Chunks are claimed, not dealt out: while one participant is stuck in
    its first chunk, the others run every remaining chunk (with a fixed
    share each, the stuck one's later chunks would never run and it would
    time out)."""
    launch = LaunchFn(launch_engine.address("launch_wait_for_others"))
    for tasks in (2, 7, 24):
        state = np.array([0, tasks], np.int64)
        assert launch(state.ctypes.data, 0, tasks, tasks) == 0
        assert state[0] == tasks


@pytest.mark.parametrize("num_tasks", [0, 4])
def test_launch_returns_a_failing_chunks_code(
    launch_engine: JitEngine, threads: int, num_tasks: int
) -> None:
    launch = LaunchFn(launch_engine.address("launch_fail_at"))
    n = 100
    closure = np.full(2 + n, -1, np.int64)
    closure[:2] = [-1, -1]  # no failure
    assert launch(closure.ctypes.data, 0, n, num_tasks) == 0
    closure[:2] = [97, -1]
    assert launch(closure.ctypes.data, 0, n, num_tasks) == 7
    assert (closure[2:] >= 0).all(), "the other chunks still ran"
    closure[:2] = [0, 99]
    code = launch(closure.ctypes.data, 0, n, num_tasks)
    one_call = min(num_tasks or threads, threads) == 1
    assert code == 7 if one_call else code in (7, 9)


def test_two_python_threads_launch_concurrently(squares: Kernel) -> None:
    set_num_threads(2)
    errors: list[str] = []

    def work(seed: int) -> None:
        rng = np.random.default_rng(seed)
        for _ in range(300):
            lb, ub = sorted(int(v) for v in rng.integers(0, 5000, 2))
            out = np.full(ub + 1, -1, np.int64)
            squares(lb, ub, out.ctypes.data)
            expected = np.full_like(out, -1)
            expected[lb:ub] = np.arange(lb, ub, dtype=np.int64) ** 2
            if not np.array_equal(out, expected):
                errors.append(f"thread {seed}: wrong result for [{lb}, {ub})")

    try:
        workers = [threading.Thread(target=work, args=(seed,)) for seed in (1, 2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    finally:
        set_num_threads(0)
    assert not errors


def test_error_messages_are_per_thread(launch_engine: JitEngine) -> None:
    set_error = ctypes.CFUNCTYPE(None, ctypes.c_char_p)(
        launch_engine.address("XUSetLastError")
    )
    get_error = ctypes.CFUNCTYPE(ctypes.c_char_p)(
        launch_engine.address("XUGetLastError")
    )
    both_set = threading.Barrier(2)
    seen: dict[str, bytes | None] = {}

    def work(message: str) -> None:
        for _ in range(50):
            set_error(message.encode())
            both_set.wait()
            seen[message] = get_error()
            if seen[message] != message.encode():
                return
            both_set.wait()

    workers = [threading.Thread(target=work, args=(m,)) for m in ("first", "second")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert seen == {"first": b"first", "second": b"second"}


def test_long_messages_are_truncated(launch_engine: JitEngine) -> None:
    set_error = ctypes.CFUNCTYPE(None, ctypes.c_char_p)(
        launch_engine.address("XUSetLastError")
    )
    get_error = ctypes.CFUNCTYPE(ctypes.c_char_p)(
        launch_engine.address("XUGetLastError")
    )
    set_error(b"x" * 5000)
    assert get_error() == b"x" * 1023


def test_thread_count_is_clamped_and_resets_to_the_default() -> None:
    default = get_num_threads()
    try:
        set_num_threads(3)
        assert get_num_threads() == 3
        set_num_threads(10_000)
        assert get_num_threads() == MAX_THREADS
    finally:
        set_num_threads(0)
    assert get_num_threads() == default
    if "XUNITY_NUM_THREADS" not in os.environ:
        assert default == expected_default_threads()


# ------------------------------------------------------------ the public knob
# z = x * y + x: a kernel `xunity.compile` parallelises over the rows.
MUL_ADD = """
func.func @main(%x: !graph.tensor<[n, 256], f32>, %y: !graph.tensor<[n, 256], f32>) -> !graph.tensor<[n, 256], f32> {
  %0 = graph.mul %x, %y : !graph.tensor<[n, 256], f32>, !graph.tensor<[n, 256], f32> -> !graph.tensor<[n, 256], f32>
  %1 = graph.add %0, %x : !graph.tensor<[n, 256], f32>, !graph.tensor<[n, 256], f32> -> !graph.tensor<[n, 256], f32>
  func.return %1 : !graph.tensor<[n, 256], f32>
}
"""

SCRIPT_TIMEOUT = 300
"""Seconds a subprocess may take: a hang fails the test instead of hanging it."""


def expected_default_threads() -> int:
    """What the runtime's default should be: the affinity mask's CPUs, capped
    by the cgroup CPU quota (v2 along the process's cgroup path, v1 at the
    cpu controller's root), clamped to [1, MAX_THREADS]."""
    cpus = len(os.sched_getaffinity(0))

    def quota(text_quota: str, text_period: str) -> int:
        try:
            q, p = int(text_quota), int(text_period)
        except ValueError:
            return cpus
        return math.ceil(q / p) if q > 0 and p > 0 else cpus

    def read(path: str) -> str:
        try:
            return Path(path).read_text().split("\n")[0]
        except OSError:
            return ""

    limits = [cpus]
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        if line.startswith("0::"):
            directory = Path("/sys/fs/cgroup" + line[3:])
            for level in (directory, *directory.parents):
                if len(str(level)) < len("/sys/fs/cgroup"):
                    break
                fields = read(f"{level}/cpu.max").split()
                limits.append(quota(*fields) if len(fields) == 2 else cpus)
            break
    v1 = "/sys/fs/cgroup/cpu/cpu.cfs_"
    limits.append(quota(read(v1 + "quota_us"), read(v1 + "period_us")))
    return max(1, min(min(limits), MAX_THREADS))


def run_script(
    script: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -c script args` in a session of its own, killed whole (forked
    children included) if it outlives SCRIPT_TIMEOUT."""
    process = subprocess.Popen(
        [sys.executable, "-c", script, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=SCRIPT_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        pytest.fail(f"timed out after {SCRIPT_TIMEOUT} s\n{stdout}\n{stderr}")
    assert process.returncode == 0, f"{stdout}\n{stderr}"
    return subprocess.CompletedProcess(process.args, 0, stdout, stderr)


@pytest.fixture(scope="module")
def mul_add() -> xunity.Executable:
    return xunity.compile(MUL_ADD)


def check_mul_add(exe: xunity.Executable, rng: np.random.Generator) -> None:
    n = int(rng.integers(1, 300))
    x = rng.standard_normal((n, 256)).astype(np.float32)
    y = rng.standard_normal((n, 256)).astype(np.float32)
    np.testing.assert_allclose(exe["main"](x, y), x * y + x, rtol=1e-6, atol=1e-6)


def test_set_num_threads_applies_from_the_next_launch(
    mul_add: xunity.Executable, launch_engine: JitEngine
) -> None:
    launch = LaunchFn(launch_engine.address("launch_mark"))
    rng = np.random.default_rng(0)
    try:
        for count in (1, 2, 3, 1):
            xunity.set_num_threads(count)
            assert xunity.get_num_threads() == count
            for _ in range(3):
                check_mul_add(mul_add, rng)
            # One participant runs the range in one call; more, in chunks.
            out = np.full(100, -1, np.int64)
            assert launch(out.ctypes.data, 0, 100, 0) == 0
            chunks = len(np.unique(out))
            assert chunks == (1 if count == 1 else TASKS_PER_THREAD * count)
        xunity.set_num_threads(10_000)
        assert xunity.get_num_threads() == MAX_THREADS
    finally:
        xunity.set_num_threads(0)
    if "XUNITY_NUM_THREADS" not in os.environ:
        assert xunity.get_num_threads() == expected_default_threads()


PRINT_THREADS = "import xunity; print(xunity.get_num_threads())"


def test_default_is_the_affinity_mask_of_the_process() -> None:
    env = {k: v for k, v in os.environ.items() if k != "XUNITY_NUM_THREADS"}
    one_cpu = (
        "import os; os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}); "
        + PRINT_THREADS
    )
    assert run_script(one_cpu, env=env).stdout.strip() == "1"
    default = run_script(PRINT_THREADS, env=env).stdout.strip()
    assert default == str(expected_default_threads())


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3", 3),
        ("1", 1),
        ("100", MAX_THREADS),
        ("0", None),
        ("-2", None),
        ("abc", None),
        ("4x", None),
        ("", None),
    ],
)
def test_environment_variable_overrides_the_default(
    value: str, expected: int | None
) -> None:
    """Like OMP_NUM_THREADS; anything but a positive number means the default."""
    result = run_script(PRINT_THREADS, env={**os.environ, "XUNITY_NUM_THREADS": value})
    assert int(result.stdout) == (expected or expected_default_threads())


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"cpu.max": "50000 100000\n"}, 1),  # cgroup v2: half a CPU
        ({"cpu.max": "100000 100000\n"}, 1),
        ({"cpu.max": "max 100000\n"}, None),
        ({"cpu/cpu.cfs_quota_us": "70000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 1),
        ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),
    ],
)
def test_cgroup_quota_caps_the_default(
    files: dict[str, str], expected: int | None, tmp_path: Path
) -> None:
    """The runtime reads /sys/fs/cgroup: a fake one is bind-mounted there in a
    private mount namespace (skipped where user namespaces are not allowed)."""
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("no unshare")
    probe = subprocess.run(
        [unshare, "-rm", "true"], capture_output=True, timeout=SCRIPT_TIMEOUT
    )
    if probe.returncode != 0:
        pytest.skip("unprivileged mount namespaces are not allowed here")
    root = tmp_path / "cgroup"
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    env = {k: v for k, v in os.environ.items() if k != "XUNITY_NUM_THREADS"}
    command = f'mount --bind "{root}" /sys/fs/cgroup && exec "$0" -c "$1"'
    result = subprocess.run(
        [unshare, "-rm", "sh", "-c", command, sys.executable, PRINT_THREADS],
        env=env,
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT,
    )
    assert result.returncode == 0, result.stderr
    cpus = len(os.sched_getaffinity(0))
    assert int(result.stdout) == min(expected or cpus, cpus, MAX_THREADS)


@pytest.mark.parametrize("threads", [1, 2, 8], indirect=True)
def test_python_threads_call_one_kernel_concurrently(
    mul_add: xunity.Executable, threads: int
) -> None:
    """Four threads, fifty calls each: launches that find the pool busy run
    serially on their caller, every result is right, nothing hangs."""
    errors: list[BaseException] = []

    def work(seed: int) -> None:
        try:
            rng = np.random.default_rng(seed)
            for _ in range(50):
                check_mul_add(mul_add, rng)
        except BaseException as error:  # reported by the test thread
            errors.append(error)

    workers = [
        threading.Thread(target=work, args=(seed,), daemon=True) for seed in range(4)
    ]
    for worker in workers:
        worker.start()
    deadline = time.monotonic() + SCRIPT_TIMEOUT
    for worker in workers:
        worker.join(max(0.0, deadline - time.monotonic()))
    assert not any(worker.is_alive() for worker in workers), "a caller hung"
    if errors:
        raise errors[0]


# The parent starts the pool, then forks: while the pool is idle, while another
# thread's launch holds it (busy, its worker inside a chunk), and through
# multiprocessing's "fork" start method.  Each child runs the compiled kernel
# (checked against numpy) and `wait_for_others` on two chunks, which returns 0
# only if two threads ran chunks at the same time.  The parent must keep working.
FORK_SCRIPT = r"""
import ctypes, multiprocessing, os, sys, threading, time, traceback
import numpy as np
import xunity
from xunity.backends.llvm.jit import JitEngine
from xunity.backends.llvm.runtime import runtime_ir

program, launch_ir = sys.argv[1], sys.argv[2]
xunity.set_num_threads(2)
exe = xunity.compile(program)
engine = JitEngine(cache_dir=None)
engine.add(runtime_ir(engine.target.triple, engine.target.data_layout))
engine.add(
    f'target triple = "{engine.target.triple}"\n'
    f'target datalayout = "{engine.target.data_layout}"\n' + launch_ir
)
Launch = ctypes.CFUNCTYPE(
    ctypes.c_int32, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64
)
wait_for_others = Launch(engine.address("launch_wait_for_others"))
hold = Launch(engine.address("launch_hold"))


def run_kernel(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300))
    x = rng.standard_normal((n, 256)).astype(np.float32)
    y = rng.standard_normal((n, 256)).astype(np.float32)
    np.testing.assert_allclose(exe["main"](x, y), x * y + x, rtol=1e-6, atol=1e-6)


def two_threads_ran():
    state = np.array([0, 2], np.int64)
    return wait_for_others(state.ctypes.data, 0, 2, 2) == 0 and state[0] == 2


def check(where):
    for seed in range(5):
        run_kernel(seed)
        assert two_threads_ran(), f"{where}: the launch ran on one thread"


def fork_and_check(where):
    pid = os.fork()
    if pid == 0:
        try:
            check(where)
        except BaseException:
            traceback.print_exc()
            sys.stderr.flush()
            os._exit(1)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, f"{where}: the child failed"


def task(seed):
    run_kernel(seed)
    return two_threads_ran()


check("parent")
fork_and_check("child of an idle pool")

state = np.zeros(2, np.int64)
codes = []
holder = threading.Thread(
    target=lambda: codes.append(hold(state.ctypes.data, 0, 2, 2)), daemon=True
)
holder.start()
deadline = time.monotonic() + 60
while state[1] < 2:  # both participants are inside their chunks
    assert time.monotonic() < deadline, "hold never ran on two threads"
    time.sleep(0.001)
fork_and_check("child forked mid-launch")
state[0] = 1
holder.join(60)
assert not holder.is_alive() and codes == [0], codes

check("parent after the forks")
with multiprocessing.get_context("fork").Pool(2) as pool:
    assert pool.map(task, range(6)) == [True] * 6
fork_and_check("child of a child's parent")
print("ok")
"""


def test_forked_children_get_a_working_pool() -> None:
    result = run_script(FORK_SCRIPT, MUL_ADD, LAUNCH_IR)
    assert result.stdout.strip().endswith("ok")


# ------------------------------------------------------------ back-to-back launches
# Launch after launch, the chunk count changing each time, from native code (a
# million launches take about a second): every element is visited once.  A
# participant that read one launch's claim word and the next launch's job
# once ran a chunk twice, and the launcher, whose finished count had passed
# its tasks, never returned; more threads than CPUs (preempted participants)
# found it within a few thousand launches.  In a subprocess: a hang fails.
BACK_TO_BACK_IR = """
declare i32 @XUParallelLaunch(ptr, ptr, i64, i64, i64)

define internal i32 @visit(i64 %begin, i64 %end, ptr %counter) {
  %n = sub i64 %end, %begin
  %old = atomicrmw add ptr %counter, i64 %n monotonic
  ret i32 0
}

define i64 @back_to_back(ptr %counter, i64 %launches) {
entry:
  br label %head
head:
  %i = phi i64 [0, %entry], [%i1, %body]
  %expected = phi i64 [0, %entry], [%expected1, %body]
  %more = icmp slt i64 %i, %launches
  br i1 %more, label %body, label %done
body:
  %r8 = urem i64 %i, 8
  %tasks = add i64 %r8, 1
  %r3 = urem i64 %i, 3
  %size = add i64 %tasks, %r3
  %r = call i32 @XUParallelLaunch(ptr @visit, ptr %counter, i64 0, i64 %size, i64 %tasks)
  %expected1 = add i64 %expected, %size
  %i1 = add i64 %i, 1
  br label %head
done:
  ret i64 %expected
}
"""

BACK_TO_BACK_SCRIPT = r"""
import ctypes, sys
import numpy as np
import xunity
from xunity.backends.llvm.jit import JitEngine
from xunity.backends.llvm.runtime import runtime_ir

engine = JitEngine(cache_dir=None)
engine.add(runtime_ir(engine.target.triple, engine.target.data_layout))
target = engine.target
engine.add(
    f'target triple = "{target.triple}"\ntarget datalayout = "{target.data_layout}"\n'
    + sys.argv[1]
)
run = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_void_p, ctypes.c_int64)(
    engine.address("back_to_back")
)
for threads in (8, 2):
    xunity.set_num_threads(threads)
    counter = np.zeros(1, np.int64)
    expected = run(counter.ctypes.data, 200_000)
    assert counter[0] == expected, (threads, int(counter[0]), expected)
print("ok")
"""


def test_back_to_back_launches_run_every_chunk_once() -> None:
    result = run_script(BACK_TO_BACK_SCRIPT, BACK_TO_BACK_IR)
    assert result.stdout.strip().endswith("ok")
