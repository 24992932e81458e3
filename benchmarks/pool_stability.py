"""Is xunity's speed the same in every process?  Fresh processes, timing blocks.

    python benchmarks/pool_stability.py [--processes 20] [--blocks 20]
        [--cases matmul128,layer_norm] [--peers numpy,onnxruntime]

Each of P fresh processes times B rounds; a round runs, for each case, one
block of calls per implementation (xunity and the control peers, in an order
that alternates between rounds, with a 0.1 s pause before each block so that
spinning peer pools go idle).  A block's figure is its mean time per call.
A block is *slow* when it takes more than 1.3x the best block of its
implementation and case over the whole run; the table gives each
implementation's share of slow blocks, and per process the median block.

For xunity's blocks the child also records, at the end of the block, the CPU
its pool worker and the calling thread last ran on (/proc/self/task/*/stat,
field 39) and the context switches of both (/proc/self/task/*/status), so
that slow stretches can be matched with the worker sharing the caller's CPU.

Cases: matmul128 (128x1024x1024, the row count symbolic, weights passed as an
argument) and layer_norm (128x768: about 10 us, so launch overhead shows).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

SLOW = 1.3
"""A block over this multiple of its implementation's best is slow."""
PAUSE_S = 0.1
BLOCK_SECONDS = {"matmul128": 0.045, "layer_norm": 0.01}
"""Roughly how long one block runs (its call count is set from a warm call)."""


# ------------------------------------------------------------------ child
def _tasks() -> dict[int, str]:
    return {int(t): t for t in os.listdir("/proc/self/task")}


def _thread_state(tid: int) -> dict[str, int]:
    """The CPU `tid` last ran on and its context switches so far."""
    with open(f"/proc/self/task/{tid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    state = {"cpu": int(fields[36])}  # field 39 of stat, counted after comm
    with open(f"/proc/self/task/{tid}/status") as f:
        for line in f:
            if line.startswith(("voluntary_ctxt", "nonvoluntary_ctxt")):
                key, value = line.split(":")
                state[key.split("_")[0]] = int(value)
    return state


def _block(call: Any, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        call()
    return (time.perf_counter() - start) / calls * 1e3


def child(cases: list[str], peers: list[str], blocks: int) -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    import cases as case_defs
    import peers as peer_defs

    rng = np.random.default_rng(0)
    made = {
        "matmul128": lambda: case_defs.matmul_case(
            "matmul128", 128, 1024, 1024, rng, symbolic=True
        ),
        "layer_norm": lambda: case_defs.layer_norm_case(rng),
    }
    calls: dict[tuple[str, str], Any] = {}
    for key in cases:
        case = made[key]()
        for impl in peers:
            built = peer_defs.BUILDERS[impl](case)
            if built is not None:
                built()  # warm: peer pools start here
                calls[key, impl] = built
    before = set(_tasks())
    for key in cases:
        calls[key, "xunity"] = peer_defs.build_xunity(made[key]())
        calls[key, "xunity"]()
    workers = sorted(set(_tasks()) - before)
    caller = os.getpid()
    counts = {
        slot: max(1, round(BLOCK_SECONDS[slot[0]] / (_block(call, 3) / 1e3)))
        for slot, call in calls.items()
    }
    impls = ["xunity", *peers]
    for round_ in range(blocks):
        order = impls if round_ % 2 == 0 else impls[::-1]
        for key in cases:
            for impl in order:
                if (key, impl) not in calls:
                    continue
                time.sleep(PAUSE_S)
                ms = _block(calls[key, impl], counts[key, impl])
                record: dict[str, Any] = {"case": key, "impl": impl, "ms": ms}
                if impl == "xunity":
                    record["threads"] = {
                        str(t): _thread_state(t) for t in [caller, *workers]
                    }
                print(json.dumps(record), flush=True)


# ------------------------------------------------------------------ parent
def _run_children(args: argparse.Namespace) -> list[list[dict[str, Any]]]:
    command = [
        sys.executable,
        __file__,
        "--child",
        f"--cases={args.cases}",
        f"--peers={args.peers}",
        f"--blocks={args.blocks}",
    ]
    runs = []
    for index in range(args.processes):
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            sys.exit(f"process {index} failed:\n{done.stderr}")
        runs.append([json.loads(line) for line in done.stdout.splitlines()])
        print(f"  process {index + 1}/{args.processes} done", file=sys.stderr)
    return runs


def _co_located(record: dict[str, Any]) -> bool | None:
    threads = list(record["threads"].values())
    if len(threads) < 2:
        return None
    caller, *workers = threads
    return any(w["cpu"] == caller["cpu"] for w in workers)


def report(runs: list[list[dict[str, Any]]]) -> None:
    slots = sorted({(r["case"], r["impl"]) for run in runs for r in run})
    best = {
        slot: min(
            r["ms"] for run in runs for r in run if (r["case"], r["impl"]) == slot
        )
        for slot in slots
    }
    print(f"# pool stability: {len(runs)} processes, blocks of calls, ms per call\n")
    print(
        "| case | impl | best | median | slow blocks (> 1.3x best) | processes with a slow block |"
    )
    print("|---|---|---|---|---|---|")
    for slot in slots:
        times = [r["ms"] for run in runs for r in run if (r["case"], r["impl"]) == slot]
        slow = [t for t in times if t > SLOW * best[slot]]
        touched = sum(
            any(
                r["ms"] > SLOW * best[slot]
                for r in run
                if (r["case"], r["impl"]) == slot
            )
            for run in runs
        )
        print(
            f"| {slot[0]} | {slot[1]} | {best[slot]:.4f} | {statistics.median(times):.4f} "
            f"| {len(slow)}/{len(times)} ({100 * len(slow) / len(times):.0f}%) "
            f"| {touched}/{len(runs)} |"
        )
    print("\n## Median block per process (ms)\n")
    print("| process | " + " | ".join(f"{c} {i}" for c, i in slots) + " |")
    print("|---" * (len(slots) + 1) + "|")
    for index, run in enumerate(runs):
        cells = [
            statistics.median(r["ms"] for r in run if (r["case"], r["impl"]) == slot)
            for slot in slots
        ]
        print(f"| {index} | " + " | ".join(f"{c:.4f}" for c in cells) + " |")
    print("\n## xunity blocks: worker on the caller's CPU at the block's end\n")
    print("| case | slow blocks co-located | other blocks co-located |")
    print("|---|---|---|")
    for case in sorted({c for c, i in slots if i == "xunity"}):
        records = [
            r
            for run in runs
            for r in run
            if r["case"] == case and r["impl"] == "xunity"
        ]
        limit = SLOW * best[case, "xunity"]
        for_slow = [_co_located(r) for r in records if r["ms"] > limit]
        for_rest = [_co_located(r) for r in records if r["ms"] <= limit]
        print(f"| {case} | {_share(for_slow)} | {_share(for_rest)} |")


def _share(flags: list[bool | None]) -> str:
    known = [f for f in flags if f is not None]
    if not known:
        return "n/a"
    return f"{sum(known)}/{len(known)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=20)
    parser.add_argument("--blocks", type=int, default=20)
    parser.add_argument("--cases", default="matmul128,layer_norm")
    parser.add_argument("--peers", default="numpy,onnxruntime")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    cases = args.cases.split(",")
    peers = [p for p in args.peers.split(",") if p]
    if args.child:
        child(cases, peers, args.blocks)
        return
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if name in os.environ:
            print(f"note: {name}={os.environ[name]} is set (numpy may be slower)")
    print(
        f"cpus usable: {len(os.sched_getaffinity(0))}; load average {os.getloadavg()[0]:.1f}"
    )
    report(_run_children(args))


if __name__ == "__main__":
    main()
