"""Kernel and layer benchmarks: xunity side by side with numpy, onnxruntime, torch, TVM.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/run.py [--quick]
        [--cases KEY,...] [--peers NAME,...]

Every case is timed for every implementation in this one process, one
implementation after the other, and so are the machine's limits
(benchmarks/machine_limits.py: an AVX-512 FMA loop and a streaming read, both
compiled by xunity's own backend and run on 2 threads), re-measured around
each case.  Compare ratios within one run: the machine is shared and noisy.
How each implementation is built: peers.py; the cases: cases.py, models.py;
what every column means: docs/benchmarks.md.

OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE must be unset for the run (they select
OpenBLAS kernels at load time); the script warns when they are set and does
not change them.

Times are medians of repeated calls after one warm-up call, which is also the
call whose output is checked against a float64 numpy reference (inputs are
made once).  Each implementation keeps being called until it has spent the
budget's seconds and made its minimum number of calls, or until it has spent
the budget's cap (so untuned TVM, seconds per call, is timed only once or twice).
Rates: compute-bound cases in GFLOP/s (2*m*n*k per matmul) as a % of the
measured FMA peak; memory-bound cases in GB/s of compulsory traffic (inputs
and weights read once, outputs written once) as a % of a 2-thread streaming
read of the same number of bytes, measured hot like the case (so an
L3-resident case is compared with an L3-resident read).
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import machine_limits
import peers
from cases import Case, kernel_cases
from models import layer_cases

from xunity.backends.llvm.runtime import set_num_threads

THREADS = peers.THREADS
ENV_WARN = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
QUIET_SECONDS = 0.1
"""Pause between implementations: thread pools that spin after a call (onnxruntime,
OpenMP, OpenBLAS) go idle before the next implementation is timed."""


# --------------------------------------------------------------- timing
@dataclass(frozen=True)
class Budget:
    seconds: float  # keep calling until this much time is spent ...
    min_runs: int  # ... and at least this many timed calls were made,
    max_runs: int
    cap: float  # but stop after this much time once one call was timed


QUICK = Budget(seconds=0.2, min_runs=1, max_runs=50, cap=1.0)
FULL = Budget(seconds=1.0, min_runs=5, max_runs=200, cap=3.0)


def median_ms(fn: Callable[[], object], budget: Budget) -> tuple[float, int]:
    """Median ms of timed calls of an already warmed-up `fn`, and their count."""
    times: list[float] = []
    spent = 0.0
    while len(times) < budget.max_runs and not (times and spent >= budget.cap):
        if len(times) >= budget.min_runs and spent >= budget.seconds:
            break
        start = time.perf_counter()
        fn()
        elapsed = time.perf_counter() - start
        times.append(elapsed)
        spent += elapsed
    return statistics.median(times) * 1e3, len(times)


def relative_error(out: object, ref: np.ndarray) -> float:
    out = np.asarray(out, np.float64).reshape(ref.shape)
    return float(np.max(np.abs(out - ref)) / max(np.max(np.abs(ref)), 1e-30))


# --------------------------------------------------------------- limits
@dataclass
class Limits:
    """Peak FLOP/s readings of the run, and the read bandwidth around each case.

    Noise from other work on the machine can only lower a reading, so the
    best of several is the better estimate of the limit."""

    peaks: list[float] = field(default_factory=list)

    def measure_peak(self) -> None:
        # Many short calls: the best one more likely finds both cores free.
        self.peaks.append(machine_limits.peak_gflops(iterations=1_000_000, repeats=21))

    @property
    def peak(self) -> float:
        return max(self.peaks)

    @staticmethod
    def read(case: Case) -> float | None:
        return machine_limits.read_gbps(int(case.nbytes)) if case.nbytes else None


# --------------------------------------------------------------- one case
@dataclass
class Result:
    case: Case
    times: dict[str, float | None]  # median ms; None: n/a
    runs: dict[str, int]
    problems: dict[str, str]  # implementation -> why it has no time
    worst_error: float
    bandwidth: float | None  # GB/s of a read of the case's bytes


def time_case(case: Case, names: list[str], budget: Budget, limits: Limits) -> Result:
    ref = case.reference(*(x.astype(np.float64) for x in case.inputs))
    limits.measure_peak()
    before = limits.read(case)
    times: dict[str, float | None] = {}
    runs: dict[str, int] = {}
    problems: dict[str, str] = {}
    worst = 0.0
    for name in names:
        times[name] = None
        try:
            call = peers.BUILDERS[name](case)
            if call is None:
                continue
            err = relative_error(call(), ref)  # also the warm-up call
        except Exception as error:  # a peer that cannot run the case
            if name == "xunity":
                raise
            traceback.print_exc(file=sys.stderr)
            problems[name] = f"failed: {type(error).__name__}: {error}"[:200]
            continue
        if err > case.tolerance:
            message = f"wrong: max error {err:.1e} of max |ref|"
            if name == "xunity":
                raise SystemExit(f"{case.name} {case.shape}: xunity is {message}")
            problems[name] = message
            continue
        worst = max(worst, err)
        times[name], runs[name] = median_ms(call, budget)
        del call  # drops the session / executable and its threads
        gc.collect()
        time.sleep(QUIET_SECONDS)
    after = limits.read(case)
    bandwidth = max(before, after) if before and after else None
    return Result(case, times, runs, problems, worst, bandwidth)


# --------------------------------------------------------------- report
def fmt_ms(ms: float) -> str:
    return f"{ms:.3f}" if ms < 10 else f"{ms:.1f}" if ms < 1000 else f"{ms:.0f}"


def fmt_ratio(ratio: float) -> str:
    return f"{ratio:.2f}x" if ratio < 10 else f"{ratio:.0f}x"


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    """A markdown table, columns padded so that it also reads as plain text."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        padded = [
            c.ljust(w) if i < 2 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return [line(header), rule, *(line(r) for r in rows)]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment_notes() -> list[str]:
    notes = []
    for name in ENV_WARN:
        if name in os.environ:
            notes.append(
                f"WARNING: {name}={os.environ[name]} is set; it changes which OpenBLAS "
                "kernel numpy uses. Rerun with "
                "`env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE`."
            )
    try:
        import threadpoolctl

        for info in threadpoolctl.threadpool_info():
            kernel = info.get("architecture")
            notes.append(
                f"thread pool {info['internal_api']} {info['version']} "
                f"({Path(info['filepath']).name})"
                + (f", kernel {kernel}" if kernel else "")
                + f", {info['num_threads']} threads"
            )
    except ImportError:
        notes.append("threadpoolctl not installed: numpy's BLAS kernel not checked")
    return notes


def report(
    results: list[Result],
    names: list[str],
    limits: Limits,
    dram: float,
    quick: bool,
    load_before: float,
) -> None:
    versions = peers.installed()
    print(f"# xunity benchmarks ({'--quick' if quick else 'full'})")
    print()
    print(
        f"machine: {cpu_model()}, {os.cpu_count()} cpus; "
        f"{THREADS} threads for every implementation that takes a thread count"
    )
    print(
        f"limits: peak FP32 {limits.peak:.0f} GFLOP/s (best of {len(limits.peaks)} "
        f"AVX-512 FMA-loop readings, lowest {min(limits.peaks):.0f}); streaming "
        f"read from DRAM {dram:.1f} GB/s"
    )
    print(
        f"load average (1 min): {load_before:.1f} before the run, "
        f"{os.getloadavg()[0]:.1f} after it, on {os.cpu_count()} cpus"
    )
    print(
        "peers: "
        + "; ".join(f"{k} {v or 'not installed'}" for k, v in versions.items())
    )
    for note in [*peers.peer_notes(), *environment_notes()]:
        print(note)

    print()
    print("## Median time, ms (peer time / xunity time: >= 1x means xunity is faster)")
    print()
    rows = []
    for r in results:
        xu = r.times["xunity"]
        assert xu is not None
        cells = [r.case.name, r.case.shape, fmt_ms(xu)]
        for p in names[1:]:
            tp = r.times[p]
            cells.append(
                "n/a" if tp is None else f"{fmt_ms(tp)} ({fmt_ratio(tp / xu)})"
            )
        rows.append(cells)
    for line in table(["case", "shape", *names], rows):
        print(line)

    print()
    print("## Rate: GFLOP/s (% of peak FP32) or GB/s (% of a read of the same bytes)")
    print()
    rows = []
    for r in results:
        ref = f"{r.bandwidth:.0f} GB/s" if r.bandwidth else "-"
        cells = [r.case.name, r.case.shape, ref]
        for p in names:
            tp = r.times[p]
            if tp is None:
                cells.append("n/a")
            elif r.case.flops:
                rate = r.case.flops / tp / 1e6
                cells.append(f"{rate:.1f} ({100 * rate / limits.peak:.0f}%)")
            else:
                assert r.bandwidth is not None
                rate = r.case.nbytes / tp / 1e6
                cells.append(f"{rate:.1f} ({100 * rate / r.bandwidth:.0f}%)")
        rows.append(cells)
    for line in table(["case", "shape", "read", *names], rows):
        print(line)

    print()
    print(
        "Limits: % of peak uses the best FMA-loop reading of this run (one at the "
        "start, one right before each case); % of bandwidth uses the better of two "
        "reads of the case's bytes, right before and right after its timings."
    )
    print(
        f"Timed calls per case ({'/'.join(names)}): "
        + ", ".join(
            f"{r.case.key} " + "/".join(str(r.runs.get(p, "-")) for p in names)
            for r in results
        )
    )
    print(
        "Max error vs the float64 reference (of max |ref|), worst implementation: "
        + ", ".join(f"{r.case.key} {r.worst_error:.1e}" for r in results)
    )
    for r in results:
        for p, problem in r.problems.items():
            print(f"{r.case.key}: {p} {problem}")


def parse_list(text: str | None, allowed: list[str], what: str) -> list[str]:
    if text is None:
        return allowed
    chosen = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in allowed]
    if unknown:
        raise SystemExit(f"unknown {what} {unknown}; choose from {', '.join(allowed)}")
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="short timing budgets, smaller DRAM read"
    )
    parser.add_argument("--cases", help="comma-separated case keys (default: all)")
    parser.add_argument(
        "--peers", help="comma-separated peers (default: every installed one)"
    )
    args = parser.parse_args()
    budget = QUICK if args.quick else FULL

    cases = kernel_cases(np.random.default_rng(0)) + layer_cases(
        np.random.default_rng(1)
    )
    keys = parse_list(args.cases, [c.key for c in cases], "cases")
    cases = [c for c in cases if c.key in keys]
    available = [p for p in peers.PEERS if peers.installed()[p]]
    names = ["xunity", *parse_list(args.peers, available, "peers")]

    for note in environment_notes():
        if note.startswith("WARNING"):
            print(note, file=sys.stderr)
    set_num_threads(THREADS)
    if peers.torch is not None:
        peers.torch.set_num_threads(THREADS)

    load_before = os.getloadavg()[0]
    # The limits first, before any peer has started a thread pool.
    limits = Limits()
    limits.measure_peak()
    dram = machine_limits.read_gbps((256 if args.quick else 1024) << 20)

    results = []
    for case in cases:
        results.append(time_case(case, names, budget, limits))
        print(f"  measured {case.key}", file=sys.stderr)
    report(results, names, limits, dram, args.quick, load_before)


if __name__ == "__main__":
    main()
