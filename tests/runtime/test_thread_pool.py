"""The runtime thread pool: `cpu.parallel` through `XUParallelLaunch`, vs numpy.

Kernels are written at the cpu level, lowered with `convert-to-llvm` (and with
`convert-scf-to-cf` first, so parallel bodies are already several blocks),
JIT-compiled with the runtime and called with ctypes (which releases the
GIL).  Every test runs at 1, 2 and 8 threads; ranges include empty, reversed,
shorter than the thread count and offset ones.  `XUParallelLaunch` is also
called directly with hand-written LLVM IR bodies to check chunking and
error propagation.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from xdsl.passes import PassPipeline
from xdsl.transforms import get_all_passes

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
# to a few seconds, else it returns 5) until the other closure[1] - 1 are done.
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
        assert default == min(os.cpu_count() or 1, MAX_THREADS)


def test_environment_variable_sets_the_default() -> None:
    script = (
        "from xunity.backends.llvm.runtime import get_num_threads; "
        "print(get_num_threads())"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "XUNITY_NUM_THREADS": "3"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "3"
