"""Paired timing of xunity's f32 GEMM against numpy, and of GEMM variants.

    python benchmarks/gemm_paired.py [--m 1024] [--rounds 12] [VARIANT ...]

A VARIANT sets module constants of xunity/strategies/gemm.py for one build,
e.g. `MAX_GROUP=1` or `NC=1008,KC=128` (the empty default is the shipped
kernel).  Each build gets its own compile cache directory (the cache key
does not see monkeypatched constants).  Every round times each
implementation for a block of calls, after a pause so that spinning thread
pools go idle, and the report gives each one's median over all calls and
the median over rounds of numpy's block median divided by its own: pairing
blocks taken seconds apart cancels most of this shared machine's drift.
k = n = 1024; m = 128 is compiled with a symbolic row count.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from cases import matmul_program

import xunity
import xunity.strategies.gemm as gemm

CONSTANTS = ("NC", "KC", "ROW_TASKS", "MAX_GROUP")


def build(m: int, variant: str, a: np.ndarray, b: np.ndarray) -> Callable[[], object]:
    defaults = {name: getattr(gemm, name) for name in CONSTANTS}
    try:
        for setting in filter(None, variant.split(",")):
            name, value = setting.split("=")
            if name not in CONSTANTS:
                raise SystemExit(f"unknown constant {name}; choose from {CONSTANTS}")
            setattr(gemm, name, int(value))
        rows = "m" if m == 128 else m
        exe = xunity.compile(
            matmul_program(rows, 1024, 1024), cache_dir=Path(tempfile.mkdtemp())
        )
    finally:
        for name, value in defaults.items():
            setattr(gemm, name, value)
    function = exe["main"]
    np.testing.assert_allclose(function(a, b), a @ b, rtol=1e-4, atol=1e-3)
    return lambda: function(a, b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--m", type=int, default=1024, choices=[128, 1024])
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("variants", nargs="*", default=[""])
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    a = rng.random((args.m, 1024), np.float32)
    b = rng.random((1024, 1024), np.float32)
    calls: dict[str, Callable[[], object]] = {"numpy": lambda: a @ b}
    for variant in args.variants:
        calls[variant or "xunity"] = build(args.m, variant, a, b)
    block = 10 if args.m == 1024 else 50
    times: dict[str, list[float]] = {name: [] for name in calls}
    blocks: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(args.rounds):
        for name, call in calls.items():
            time.sleep(0.3)
            call()
            taken = []
            for _ in range(block):
                start = time.perf_counter()
                call()
                taken.append((time.perf_counter() - start) * 1e3)
            times[name] += taken
            blocks[name].append(float(np.median(taken)))
    numpy_blocks = np.array(blocks["numpy"])
    print(f"m = {args.m}, k = n = 1024; {args.rounds} rounds of {block} calls")
    print(f"{'implementation':24s} {'median ms':>10s} {'paired numpy/this':>18s}")
    for name in calls:
        paired = float(np.median(numpy_blocks / np.array(blocks[name])))
        print(f"{name:24s} {np.median(times[name]):10.3f} {paired:18.3f}")


if __name__ == "__main__":
    main()
