"""The runtime thread pool: fork/join overhead per parallel region, and speed-up.

    python benchmarks/thread_pool.py

Both kernels are `cpu.parallel` loops compiled through `convert-to-llvm`:
- fork/join: a serial loop of `REGIONS` parallel regions over [0, 2), each
  iteration storing one word; time per region, the median of `REPEATS` runs
  (with 1 thread a region is a plain call of the outlined body);
- compute-bound: y[i] = sin(x) + sin(2x) + ... + sin(16x) over 16M floats
  (sin expands to a polynomial, so the loop vectorises), parallel over rows
  of 1024 elements; the median of `REPEATS` runs, and 1-thread / 2-thread time.
"""

from __future__ import annotations

import ctypes
import statistics
import time

import numpy as np
from xdsl.passes import PassPipeline
from xdsl.transforms import get_all_passes

from xunity.backends.llvm.emit import emit_llvm_ir
from xunity.backends.llvm.jit import JitEngine
from xunity.backends.llvm.runtime import runtime_ir, set_num_threads
from xunity.dialects.context import make_context
from xunity.ir.diagnostics import parse_module
from xunity.registry import PASSES

REGIONS = 20_000
REPEATS = 15
ELEMENTS = 16 * 1024 * 1024
ROW = 1024
TERMS = 16


def _sine_terms() -> str:
    """%acc<k> = %acc<k-1> + sin(k * %v), for k = 1..TERMS, straight-line."""
    lines = []
    for k in range(1, TERMS + 1):
        lines += [
            f"      %f{k} = arith.constant {float(k)} : f32",
            f"      %v{k} = arith.mulf %v, %f{k} : f32",
            f"      %s{k} = math.sin %v{k} : f32",
            f"      %acc{k} = arith.addf %acc{k - 1}, %s{k} : f32",
        ]
    return "\n".join(lines)


KERNELS = f"""
func.func @regions(%reps: i64, %out: !llvm.ptr) {{
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %n = arith.index_cast %reps : i64 to index
  scf.for %k = %c0 to %n step %c1 {{
    cpu.parallel %i = %c0 to %c2 {{
      %ii = arith.index_cast %i : index to i64
      %a = llvm.getelementptr %out[%ii] : (!llvm.ptr, i64) -> !llvm.ptr, i64
      llvm.store %ii, %a {{alignment = 8 : i64}} : i64, !llvm.ptr
      cpu.yield
    }}
  }}
  func.return
}}

func.func @sum_of_sines(%n: i64, %x: !llvm.ptr, %y: !llvm.ptr) {{
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %row = arith.constant {ROW} : index
  %ni = arith.index_cast %n : i64 to index
  %rows = arith.divui %ni, %row : index
  %zero = arith.constant 0.0 : f32
  cpu.parallel %r = %c0 to %rows {{
    %base = arith.muli %r, %row : index
    scf.for %j = %c0 to %row step %c1 {{
      %k = arith.addi %base, %j : index
      %ki = arith.index_cast %k : index to i64
      %px = llvm.getelementptr %x[%ki] : (!llvm.ptr, i64) -> !llvm.ptr, f32
      %v = llvm.load %px {{alignment = 4 : i64}} : !llvm.ptr -> f32
      %acc0 = arith.addf %zero, %zero : f32
{_sine_terms()}
      %py = llvm.getelementptr %y[%ki] : (!llvm.ptr, i64) -> !llvm.ptr, f32
      llvm.store %acc{TERMS}, %py {{alignment = 4 : i64}} : f32, !llvm.ptr
    }}
    cpu.yield
  }}
  func.return
}}
"""


def compile_kernels() -> JitEngine:
    ctx = make_context()
    module = parse_module(ctx, KERNELS)
    passes = {**get_all_passes(), **PASSES}
    PassPipeline.parse_spec(passes, "convert-to-llvm").apply(ctx, module)
    engine = JitEngine()
    engine.add(runtime_ir(engine.target.triple, engine.target.data_layout))
    engine.add(emit_llvm_ir(module, engine.target))
    return engine


def median_seconds(run, repeats: int = REPEATS) -> float:
    run()  # warm up: workers started, pages touched
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    engine = compile_kernels()
    regions = ctypes.CFUNCTYPE(None, ctypes.c_int64, ctypes.c_void_p)(
        engine.address("regions")
    )
    sines = ctypes.CFUNCTYPE(None, ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p)(
        engine.address("sum_of_sines")
    )
    scratch = np.zeros(2, np.int64)
    x = np.random.default_rng(0).uniform(-10, 10, ELEMENTS).astype(np.float32)
    y = np.empty_like(x)

    fork_join: dict[int, float] = {}
    compute: dict[int, float] = {}
    for threads in (1, 2):
        set_num_threads(threads)
        per_run = median_seconds(lambda: regions(REGIONS, scratch.ctypes.data))
        fork_join[threads] = per_run / REGIONS * 1e6
        compute[threads] = median_seconds(
            lambda: sines(ELEMENTS, x.ctypes.data, y.ctypes.data), repeats=5
        )
    set_num_threads(0)

    x64 = x.astype(np.float64)
    expected = sum(np.sin(k * x64) for k in range(1, TERMS + 1))
    error = float(np.max(np.abs(y - expected)))

    print(f"{'measure':<44}{'1 thread':>12}{'2 threads':>12}")
    print(
        f"{'fork/join per region, empty body (us)':<44}"
        f"{fork_join[1]:>12.3f}{fork_join[2]:>12.3f}"
    )
    print(
        f"{f'sum of {TERMS} sines, 16M f32 (ms)':<44}"
        f"{compute[1] * 1e3:>12.1f}{compute[2] * 1e3:>12.1f}"
    )
    print(f"{'speed-up on 2 threads':<44}{'':>12}{compute[1] / compute[2]:>12.2f}")
    print(f"(max abs error of the sines vs numpy float64: {error:.1e})")


if __name__ == "__main__":
    main()
