"""Compile time of a 20-op graph function: cold, and again from the object cache.

    python benchmarks/compile_time.py

Cold uses an empty cache directory; "cached" compiles the same program again
with that directory filled: parsing, lowering and IR emission run again, LLVM
optimisation and code generation are skipped because the object is found.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import xunity

T = "!graph.tensor<[n, 64], f32>"
ROW = "!graph.tensor<[64], f32>"

OPS = [
    f"%1 = graph.matmul %x, %w : {T}, !graph.tensor<[64, 64], f32> -> {T}",
    f"%2 = graph.add %1, %b : {T}, {ROW} -> {T}",
    f"%3 = graph.gelu %2 : {T}",
    f"%4 = graph.layer_norm %3, %g, %b axes = [-1] eps = 1.000000e-05 : {T}, {ROW}, {ROW}",
    f"%5 = graph.mul %4, %g : {T}, {ROW} -> {T}",
    f"%6 = graph.tanh %5 : {T}",
    f"%7 = graph.softmax %6 axis = -1 : {T}",
    f"%8 = graph.sub %7, %4 : {T}, {T} -> {T}",
    f"%9 = graph.exp %8 : {T}",
    f"%10 = graph.sigmoid %9 : {T}",
    f"%11 = graph.matmul %10, %w : {T}, !graph.tensor<[64, 64], f32> -> {T}",
    f"%12 = graph.silu %11 : {T}",
    f"%13 = graph.rms_norm %12, %g axes = [-1] eps = 1.000000e-06 : {T}, {ROW}",
    f"%14 = graph.maximum %13, %1 : {T}, {T} -> {T}",
    f"%15 = graph.relu %14 : {T}",
    f"%16 = graph.sqrt %15 : {T}",
    f"%17 = graph.permute_dims %16 axes = [1, 0] : {T} -> !graph.tensor<[64, n], f32>",
    "%18 = graph.sum %17 axes = [0] : !graph.tensor<[64, n], f32> -> !graph.tensor<[n], f32>",
    "%19 = graph.neg %18 : !graph.tensor<[n], f32>",
    "%20 = graph.abs %19 : !graph.tensor<[n], f32>",
]

PROGRAM = (
    f"func.func @main(%x: {T}, %w: !graph.tensor<[64, 64], f32>, %b: {ROW}, "
    f"%g: {ROW}) -> !graph.tensor<[n], f32> {{\n  "
    + "\n  ".join(OPS)
    + "\n  func.return %20 : !graph.tensor<[n], f32>\n}\n"
)


def _time(cache: Path) -> float:
    start = time.perf_counter()
    xunity.compile(PROGRAM, cache_dir=cache)
    return time.perf_counter() - start


def main() -> None:
    cold, cached = [], []
    for _ in range(3):
        with tempfile.TemporaryDirectory() as tmp:
            cold.append(_time(Path(tmp)))
            cached.append(_time(Path(tmp)))
    print("| graph | ops | cold compile (median of 3) | from object cache |")
    print("|---|---|---|---|")
    print(
        f"| mixed [n, 64] | {len(OPS)} | {statistics.median(cold) * 1e3:.0f} ms "
        f"| {statistics.median(cached) * 1e3:.0f} ms |"
    )


if __name__ == "__main__":
    main()
