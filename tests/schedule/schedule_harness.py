"""Shared by the schedule numerics tests: hand-written tir kernels (with what
legalization does not emit: `init` regions, stencils, transposed reads) and a
check that a scheduled kernel agrees with the unscheduled one and numpy."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import cache

import numpy as np
import pytest
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp

import xunity
from xunity.runtime.executable import Executable
from xunity.schedule import Schedule, ScheduleError, Trace

ADD = """
func.func @main(%a: !graph.tensor<[n, 64], f32>, %b: !graph.tensor<[n, 64], f32>) -> !graph.tensor<[n, 64], f32> {
  %c = graph.add %a, %b : !graph.tensor<[n, 64], f32>, !graph.tensor<[n, 64], f32> -> !graph.tensor<[n, 64], f32>
  func.return %c : !graph.tensor<[n, 64], f32>
}
"""

SUM = """
func.func @main(%a: !graph.tensor<[n, 64], f32>) -> !graph.tensor<[n], f32> {
  %c = graph.sum %a axes = [1] : !graph.tensor<[n, 64], f32> -> !graph.tensor<[n], f32>
  func.return %c : !graph.tensor<[n], f32>
}
"""

# C = A @ B with the accumulator zeroed by the block's init region.
MATMUL_INIT = """
func.func @main(%a: !graph.tensor<[n, 32], f32>, %b: !graph.tensor<[32, 16], f32>) -> !graph.tensor<[n, 16], f32> {
  %c = graph.call_tir @mm(%a, %b) : (!graph.tensor<[n, 32], f32>, !graph.tensor<[32, 16], f32>) -> !graph.tensor<[n, 16], f32>
  func.return %c : !graph.tensor<[n, 16], f32>
}
func.func private @mm(%n: index {tir.shape_var = "n"}, %A: memref<?x32xf32> {tir.dims = #graph.dims<[n, 32]>}, %B: memref<32x16xf32> {tir.dims = #graph.dims<[32, 16]>}, %C: memref<?x16xf32> {tir.dims = #graph.dims<[n, 16]>}) attributes {tir.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  tir.for %i = %c0 to %n step %c1 serial {
    tir.for %j = %c0 to %c16 step %c1 serial {
      tir.for %k = %c0 to %c32 step %c1 serial {
        tir.block "mm" (%vi = spatial %i < %n, %vj = spatial %j < %c16, %vk = reduce %k < %c32) reads(%A, %B : memref<?x32xf32>, memref<32x16xf32>) writes(%C : memref<?x16xf32>) init {
          %zero = arith.constant 0.0 : f32
          tir.store %zero, %C[%vi, %vj] : memref<?x16xf32>
        } {
          %a = tir.load %A[%vi, %vk] : memref<?x32xf32>
          %b = tir.load %B[%vk, %vj] : memref<32x16xf32>
          %c = tir.load %C[%vi, %vj] : memref<?x16xf32>
          %p = arith.mulf %a, %b : f32
          %s = arith.addf %c, %p : f32
          tir.store %s, %C[%vi, %vj] : memref<?x16xf32>
        }
      }
    }
  }
  func.return
}
"""

# T = 2 * A in a scratch buffer, then out[i, j] = T[i, j] + T[i, j + 1].
STENCIL = """
func.func @main(%a: !graph.tensor<[n, 65], f32>) -> !graph.tensor<[n, 64], f32> {
  %c = graph.call_tir @stencil(%a) : (!graph.tensor<[n, 65], f32>) -> !graph.tensor<[n, 64], f32>
  func.return %c : !graph.tensor<[n, 64], f32>
}
func.func private @stencil(%n: index {tir.shape_var = "n"}, %A: memref<?x65xf32> {tir.dims = #graph.dims<[n, 65]>}, %O: memref<?x64xf32> {tir.dims = #graph.dims<[n, 64]>}) attributes {tir.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %c65 = arith.constant 65 : index
  %T = tir.alloc_buffer(%n) : memref<?x65xf32>
  tir.for %i = %c0 to %n step %c1 serial {
    tir.for %j = %c0 to %c65 step %c1 serial {
      tir.block "double" (%vi = spatial %i < %n, %vj = spatial %j < %c65) reads(%A : memref<?x65xf32>) writes(%T : memref<?x65xf32>) {
        %x = tir.load %A[%vi, %vj] : memref<?x65xf32>
        %y = arith.addf %x, %x : f32
        tir.store %y, %T[%vi, %vj] : memref<?x65xf32>
      }
    }
  }
  tir.for %i2 = %c0 to %n step %c1 serial {
    tir.for %j2 = %c0 to %c64 step %c1 serial {
      tir.block "pair" (%vi = spatial %i2 < %n, %vj = spatial %j2 < %c64) reads(%T : memref<?x65xf32>) writes(%O : memref<?x64xf32>) {
        %next = arith.addi %vj, %c1 : index
        %l = tir.load %T[%vi, %vj] : memref<?x65xf32>
        %r = tir.load %T[%vi, %next] : memref<?x65xf32>
        %s = arith.addf %l, %r : f32
        tir.store %s, %O[%vi, %vj] : memref<?x64xf32>
      }
    }
  }
  func.return
}
"""

# T = A + 1 (n x 64), then out = T transposed (64 x n), looping j outside i.
TRANSPOSE = """
func.func @main(%a: !graph.tensor<[n, 64], f32>) -> !graph.tensor<[64, n], f32> {
  %c = graph.call_tir @transpose(%a) : (!graph.tensor<[n, 64], f32>) -> !graph.tensor<[64, n], f32>
  func.return %c : !graph.tensor<[64, n], f32>
}
func.func private @transpose(%n: index {tir.shape_var = "n"}, %A: memref<?x64xf32> {tir.dims = #graph.dims<[n, 64]>}, %O: memref<64x?xf32> {tir.dims = #graph.dims<[64, n]>}) attributes {tir.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %T = tir.alloc_buffer(%n) : memref<?x64xf32>
  tir.for %i = %c0 to %n step %c1 serial {
    tir.for %j = %c0 to %c64 step %c1 serial {
      tir.block "inc" (%vi = spatial %i < %n, %vj = spatial %j < %c64) reads(%A : memref<?x64xf32>) writes(%T : memref<?x64xf32>) {
        %x = tir.load %A[%vi, %vj] : memref<?x64xf32>
        %one = arith.constant 1.0 : f32
        %y = arith.addf %x, %one : f32
        tir.store %y, %T[%vi, %vj] : memref<?x64xf32>
      }
    }
  }
  tir.for %j2 = %c0 to %c64 step %c1 serial {
    tir.for %i2 = %c0 to %n step %c1 serial {
      tir.block "flip" (%vj = spatial %j2 < %c64, %vi = spatial %i2 < %n) reads(%T : memref<?x64xf32>) writes(%O : memref<64x?xf32>) {
        %x = tir.load %T[%vi, %vj] : memref<?x64xf32>
        tir.store %x, %O[%vj, %vi] : memref<64x?xf32>
      }
    }
  }
  func.return
}
"""

Reference = Callable[..., np.ndarray]


def legalized(source: str) -> ModuleOp:
    """`source` parsed, its graph ops legalized to tir kernels."""
    return xunity.legalize(source)


def kernel(module: ModuleOp) -> func.FuncOp:
    (only,) = xunity.kernels(module).values()
    return only


@cache
def _unscheduled(source: str) -> Executable:
    return xunity.compile(legalized(source))


def check_schedule(
    source: str,
    trace_text: str,
    reference: Reference,
    shapes: Sequence[tuple[int, ...]],
    sizes: Sequence[int] = (1, 5, 13, 37),
) -> str:
    """Replay `trace_text` on the kernel of `source`, compile, and compare with
    the unscheduled kernel and `reference` at every symbolic size (`-1` in
    `shapes`); returns the printed trace of the replay."""
    module = legalized(source)
    schedule = Schedule(kernel(module)).replay(Trace.parse(trace_text))
    module.verify()
    scheduled = xunity.compile(module)
    plain = _unscheduled(source)
    rng = np.random.default_rng(0)
    for n in sizes:
        inputs = [
            rng.standard_normal([n if d == -1 else d for d in shape]).astype(np.float32)
            for shape in shapes
        ]
        got = scheduled["main"](*inputs)
        np.testing.assert_allclose(got, plain["main"](*inputs), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(got, reference(*inputs), rtol=1e-5, atol=1e-5)
    return str(schedule.trace)


def assert_refused(source: str, trace_text: str, message: str) -> None:
    """The last call of `trace_text` raises ScheduleError with `message`, and
    leaves the kernel and the recorded trace as they were."""
    *setup, last = Trace.parse(trace_text).instructions
    function = kernel(legalized(source))
    schedule = Schedule(function).replay(Trace(setup))
    before, recorded = str(function), str(schedule.trace)
    with pytest.raises(ScheduleError, match=re.escape(message)):
        schedule.run(last)
    assert str(function) == before
    assert str(schedule.trace) == recorded
