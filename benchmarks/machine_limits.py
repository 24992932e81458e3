"""The machine's limits, measured with kernels compiled by xunity's own backend.

    python benchmarks/machine_limits.py [--quick]

Both kernels are written in the cpu dialect (`cpu.parallel`, `cpu.vfma`,
`cpu.vload`), lowered by `convert-to-llvm` and compiled by xunity's JIT for
the host CPU, then run on 2 threads of xunity's runtime thread pool:
- peak FP32: each thread runs ACCUMULATORS independent chains of
  vector<16xf32> FMAs (acc = acc * a + b; a and b are loaded from memory so
  LLVM cannot fold them), 2 FLOP per lane;
- streaming read: each thread sums its half of a float32 buffer with 8
  vector accumulators; bytes read / time.  Measured at any size: the
  benchmark compares a memory-bound case with a read of as many bytes
  (cache-resident or not, like the case itself; a small buffer is read
  several times per call so that call overhead does not count), and reports
  a large DRAM-sized read too.
Each figure is the fastest of several timed calls: noise only slows a call.
"""

from __future__ import annotations

import argparse
import ctypes
import time
from functools import cache

import numpy as np
from xdsl.passes import PassPipeline
from xdsl.transforms import get_all_passes

from xunity.backends.llvm.emit import emit_llvm_ir
from xunity.backends.llvm.jit import JitEngine
from xunity.backends.llvm.runtime import runtime_ir, set_num_threads
from xunity.dialects.context import make_context
from xunity.ir.diagnostics import parse_module
from xunity.registry import PASSES

THREADS = 2
LANES = 16
ACCUMULATORS = 16
READ_UNROLL = 8  # vectors per iteration of the read loop
PASS_BYTES = 32 << 20  # a read of fewer bytes is repeated within one call


def _peak_kernel() -> str:
    vec = f"vector<{LANES}xf32>"
    names = [f"%v{i}" for i in range(ACCUMULATORS)]
    inits = ", ".join(f"{n} = %a" for n in names)
    types = ", ".join([vec] * ACCUMULATORS)
    body = "\n".join(
        f"        %w{i} = cpu.vfma %v{i}, %a, %b : {vec}" for i in range(ACCUMULATORS)
    )
    yields = ", ".join(f"%w{i}" for i in range(ACCUMULATORS))
    sums = ["%r0 = arith.addf %zero, %zero : f32"]
    for i in range(ACCUMULATORS):
        sums.append(f"      %s{i} = cpu.vreduce add %acc#{i} : {vec} -> f32")
        sums.append(f"      %r{i + 1} = arith.addf %r{i}, %s{i} : f32")
    sum_text = "\n".join(sums)
    return f"""
func.func @fma_peak(%iters: i64, %io: !llvm.ptr) {{
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %threads = arith.constant {THREADS} : index
  %n = arith.index_cast %iters : i64 to index
  %zero = arith.constant 0.0 : f32
  %pa = llvm.getelementptr %io[0] : (!llvm.ptr) -> !llvm.ptr, f32
  %pb = llvm.getelementptr %io[1] : (!llvm.ptr) -> !llvm.ptr, f32
  %sa = llvm.load %pa {{alignment = 4 : i64}} : !llvm.ptr -> f32
  %sb = llvm.load %pb {{alignment = 4 : i64}} : !llvm.ptr -> f32
  cpu.parallel %t = %c0 to %threads {{
    %a = cpu.vbroadcast %sa : f32 -> {vec}
    %b = cpu.vbroadcast %sb : f32 -> {vec}
    %acc:{ACCUMULATORS} = scf.for %i = %c0 to %n step %c1 iter_args({inits}) -> ({types}) {{
{body}
        scf.yield {yields} : {types}
    }}
      {sum_text}
    %ti = arith.index_cast %t : index to i64
    %slot = arith.addi %ti, %c2i : i64
    %po = llvm.getelementptr %io[%slot] : (!llvm.ptr, i64) -> !llvm.ptr, f32
    llvm.store %r{ACCUMULATORS}, %po {{alignment = 4 : i64}} : f32, !llvm.ptr
    cpu.yield
  }}
  func.return
}}
""".replace("%c2i", "%two").replace(
        "  %zero = arith.constant 0.0 : f32\n",
        "  %zero = arith.constant 0.0 : f32\n  %two = arith.constant 2 : i64\n",
        1,
    )


def _read_kernel() -> str:
    vec = f"vector<{LANES}xf32>"
    step = LANES * READ_UNROLL
    names = [f"%v{i}" for i in range(READ_UNROLL)]
    inits = ", ".join(f"{n} = %u{i}" for i, n in enumerate(names))
    pass_inits = ", ".join(f"%u{i} = %z" for i in range(READ_UNROLL))
    types = ", ".join([vec] * READ_UNROLL)
    body = []
    for i in range(READ_UNROLL):
        body.append(f"        %o{i} = arith.addi %j, %off{i} : index")
        body.append(
            f"        %x{i} = cpu.vload %x[%o{i}] align = 64 : !llvm.ptr -> {vec}"
        )
        body.append(f"        %w{i} = cpu.vfma %x{i}, %one, %v{i} : {vec}")
    offsets = "\n".join(
        f"  %off{i} = arith.constant {i * LANES} : index" for i in range(READ_UNROLL)
    )
    yields = ", ".join(f"%w{i}" for i in range(READ_UNROLL))
    pass_yields = ", ".join(f"%in#{i}" for i in range(READ_UNROLL))
    sums = ["%r0 = arith.addf %zero, %zero : f32"]
    for i in range(READ_UNROLL):
        sums.append(f"      %s{i} = cpu.vreduce add %acc#{i} : {vec} -> f32")
        sums.append(f"      %r{i + 1} = arith.addf %r{i}, %s{i} : f32")
    sum_text = "\n".join(sums)
    body_text = "\n".join(body)
    return f"""
func.func @stream_read(%elements: i64, %passes: i64, %x: !llvm.ptr, %out: !llvm.ptr) {{
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %npasses = arith.index_cast %passes : i64 to index
  %threads = arith.constant {THREADS} : index
  %step = arith.constant {step} : index
  %total = arith.index_cast %elements : i64 to index
  %half = arith.divui %total, %threads : index
  %zero = arith.constant 0.0 : f32
  %fone = arith.constant 1.0 : f32
{offsets}
  cpu.parallel %t = %c0 to %threads {{
    %z = cpu.vbroadcast %zero : f32 -> {vec}
    %one = cpu.vbroadcast %fone : f32 -> {vec}
    %lo = arith.muli %t, %half : index
    %hi = arith.addi %lo, %half : index
    %acc:{READ_UNROLL} = scf.for %p = %c0 to %npasses step %c1 iter_args({pass_inits}) -> ({types}) {{
      %in:{READ_UNROLL} = scf.for %j = %lo to %hi step %step iter_args({inits}) -> ({types}) {{
{body_text}
        scf.yield {yields} : {types}
      }}
      scf.yield {pass_yields} : {types}
    }}
      {sum_text}
    %ti = arith.index_cast %t : index to i64
    %po = llvm.getelementptr %out[%ti] : (!llvm.ptr, i64) -> !llvm.ptr, f32
    llvm.store %r{READ_UNROLL}, %po {{alignment = 4 : i64}} : f32, !llvm.ptr
    cpu.yield
  }}
  func.return
}}
"""


@cache
def _engine() -> JitEngine:
    ctx = make_context()
    module = parse_module(ctx, _peak_kernel() + _read_kernel())
    passes = {**get_all_passes(), **PASSES}
    PassPipeline.parse_spec(passes, "convert-to-llvm").apply(ctx, module)
    engine = JitEngine()
    engine.add(runtime_ir(engine.target.triple, engine.target.data_layout))
    engine.add(emit_llvm_ir(module, engine.target))
    return engine


def _best(run, repeats: int) -> float:
    """Fastest of `repeats` timed calls after a warm-up: other work on the
    machine can only slow a call down, so the fastest is closest to the limit."""
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def peak_gflops(iterations: int = 4_000_000, repeats: int = 7) -> float:
    """FP32 FLOP/s of the FMA loop on THREADS threads, in GFLOP/s."""
    fn = ctypes.CFUNCTYPE(None, ctypes.c_int64, ctypes.c_void_p)(
        _engine().address("fma_peak")
    )
    io = np.array([0.999999, 1e-6, 0.0, 0.0], np.float32)
    set_num_threads(THREADS)
    seconds = _best(lambda: fn(iterations, io.ctypes.data), repeats)
    assert np.isfinite(io[2:]).all()
    flops = THREADS * iterations * ACCUMULATORS * LANES * 2
    return flops / seconds / 1e9


def _aligned(elements: int) -> np.ndarray:
    raw = np.empty(elements + 16, np.float32)
    start = (-raw.ctypes.data % 64) // 4
    return raw[start : start + elements]


def read_gbps(nbytes: int, repeats: int = 7) -> float:
    """GB/s of a 2-thread streaming read of (about) `nbytes`, repeated hot.

    A buffer smaller than PASS_BYTES is read several times within one call,
    so that the figure is the bandwidth of the cache level it sits in, not the
    cost of a call and a thread-pool wake-up.  Not cached: a benchmark
    re-measures it around each case."""
    chunk = THREADS * LANES * READ_UNROLL
    elements = max(chunk, (nbytes // 4) // chunk * chunk)
    passes = max(1, PASS_BYTES // (elements * 4))
    x = _aligned(elements)
    x[:] = 1.0
    out = np.zeros(THREADS, np.float32)
    fn = ctypes.CFUNCTYPE(
        None, ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p
    )(_engine().address("stream_read"))
    set_num_threads(THREADS)
    seconds = _best(
        lambda: fn(elements, passes, x.ctypes.data, out.ctypes.data), repeats
    )
    expected = float(elements) * passes
    if abs(float(out.sum()) - expected) > 1e-6 * expected:
        raise RuntimeError(f"stream_read summed {out.sum()}, expected {expected}")
    return elements * 4 * passes / seconds / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    dram = 256 << 20 if args.quick else 1 << 30
    print(f"peak FP32, {THREADS} threads: {peak_gflops():.1f} GFLOP/s")
    for size in (4 << 20, 64 << 20, dram):
        print(f"streaming read {size >> 20} MiB: {read_gbps(size):.1f} GB/s")


if __name__ == "__main__":
    main()
