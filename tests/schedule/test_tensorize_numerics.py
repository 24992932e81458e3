"""tensorize on hand-written matmul kernels: the micro-kernel must compute what
the loop nest did, for every loop order, a symbolic reduction extent and a
batch dim; refusals leave the kernel as it was."""

from __future__ import annotations

import numpy as np
import pytest
from schedule_harness import assert_refused, check_schedule, kernel, legalized

from xunity.schedule import Schedule, Trace

# C = A @ B, 28 x 64 (two by two 14 x 32 tiles), K symbolic; a "zero" nest
# first, so the "mm" block accumulates (no init region).
MATMUL = """
func.func @main(%a: !graph.tensor<[28, k], f32>, %b: !graph.tensor<[k, 64], f32>) -> !graph.tensor<[28, 64], f32> {
  %c = graph.call_tir @mm(%a, %b) : (!graph.tensor<[28, k], f32>, !graph.tensor<[k, 64], f32>) -> !graph.tensor<[28, 64], f32>
  func.return %c : !graph.tensor<[28, 64], f32>
}
func.func private @mm(%K: index {tir.shape_var = "k"}, %A: memref<28x?xf32> {tir.dims = #graph.dims<[28, k]>}, %B: memref<?x64xf32> {tir.dims = #graph.dims<[k, 64]>}, %C: memref<28x64xf32> {tir.dims = #graph.dims<[28, 64]>}) attributes {tir.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c28 = arith.constant 28 : index
  %c64 = arith.constant 64 : index
  tir.for %i0 = %c0 to %c28 step %c1 serial {
    tir.for %j0 = %c0 to %c64 step %c1 serial {
      tir.block "zero" (%vi = spatial %i0 < %c28, %vj = spatial %j0 < %c64) writes(%C : memref<28x64xf32>) {
        %zero = arith.constant 0.0 : f32
        tir.store %zero, %C[%vi, %vj] : memref<28x64xf32>
      }
    }
  }
  tir.for %i = %c0 to %c28 step %c1 serial {
    tir.for %j = %c0 to %c64 step %c1 serial {
      tir.for %k = %c0 to %K step %c1 serial {
        tir.block "mm" (%vi = spatial %i < %c28, %vj = spatial %j < %c64, %vk = reduce %k < %K) reads(%A, %B : memref<28x?xf32>, memref<?x64xf32>) writes(%C : memref<28x64xf32>) {
          %a = tir.load %A[%vi, %vk] : memref<28x?xf32>
          %b = tir.load %B[%vk, %vj] : memref<?x64xf32>
          %c = tir.load %C[%vi, %vj] : memref<28x64xf32>
          %p = arith.mulf %a, %b : f32
          %s = arith.addf %c, %p : f32
          tir.store %s, %C[%vi, %vj] : memref<28x64xf32>
        }
      }
    }
  }
  func.return
}
"""

# out[b] = x[b] @ w[b] + out's zero, batch 2, M symbolic (multiples of 14
# are asked for below), operands of add and mul swapped.
BATCHED = """
func.func @main(%a: !graph.tensor<[2, m, 40], f32>, %b: !graph.tensor<[2, 40, 32], f32>) -> !graph.tensor<[2, m, 32], f32> {
  %c = graph.call_tir @bmm(%a, %b) : (!graph.tensor<[2, m, 40], f32>, !graph.tensor<[2, 40, 32], f32>) -> !graph.tensor<[2, m, 32], f32>
  func.return %c : !graph.tensor<[2, m, 32], f32>
}
func.func private @bmm(%M: index {tir.shape_var = "m"}, %A: memref<2x?x40xf32> {tir.dims = #graph.dims<[2, m, 40]>}, %B: memref<2x40x32xf32> {tir.dims = #graph.dims<[2, 40, 32]>}, %C: memref<2x?x32xf32> {tir.dims = #graph.dims<[2, m, 32]>}) attributes {tir.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c14 = arith.constant 14 : index
  %c32 = arith.constant 32 : index
  %c40 = arith.constant 40 : index
  %tiles = arith.divui %M, %c14 : index
  tir.for %b0 = %c0 to %c2 step %c1 serial {
    tir.for %i0 = %c0 to %M step %c1 serial {
      tir.for %j0 = %c0 to %c32 step %c1 serial {
        tir.block "zero" (%vb = spatial %b0 < %c2, %vi = spatial %i0 < %M, %vj = spatial %j0 < %c32) writes(%C : memref<2x?x32xf32>) {
          %zero = arith.constant 0.0 : f32
          tir.store %zero, %C[%vb, %vi, %vj] : memref<2x?x32xf32>
        }
      }
    }
  }
  tir.for %b = %c0 to %c2 step %c1 serial {
    tir.for %io = %c0 to %tiles step %c1 serial {
      tir.for %ii = %c0 to %c14 step %c1 serial {
        tir.for %j = %c0 to %c32 step %c1 serial {
          tir.for %k = %c0 to %c40 step %c1 serial {
            %row0 = arith.muli %io, %c14 : index
            %row = arith.addi %row0, %ii : index
            tir.block "bmm" (%vb = spatial %b < %c2, %vi = spatial %row < %M, %vj = spatial %j < %c32, %vk = reduce %k < %c40) reads(%A, %B : memref<2x?x40xf32>, memref<2x40x32xf32>) writes(%C : memref<2x?x32xf32>) {
              %x = tir.load %A[%vb, %vi, %vk] : memref<2x?x40xf32>
              %w = tir.load %B[%vb, %vk, %vj] : memref<2x40x32xf32>
              %c = tir.load %C[%vb, %vi, %vj] : memref<2x?x32xf32>
              %p = arith.mulf %w, %x : f32
              %s = arith.addf %p, %c : f32
              tir.store %s, %C[%vb, %vi, %vj] : memref<2x?x32xf32>
            }
          }
        }
      }
    }
  }
  func.return
}
"""

# C = A^T @ B with A stored k x 28: the micro-kernel reads A with row stride 1
# and k stride 28.
TRANSPOSED_A = (
    MATMUL.replace("[28, k]", "[k, 28]")
    .replace("28x?xf32", "?x28xf32")
    .replace("%A[%vi, %vk]", "%A[%vk, %vi]")
)


@pytest.mark.parametrize(
    ("order", "loop"),
    [
        ("", "mm[2]"),  # io, jo, ii, ji, k: (i, j, k)
        ("reorder(mm[3], mm[4]); ", "mm[2]"),  # (i, k, j)
        ("reorder(mm[2], mm[4]); reorder(mm[3], mm[4]); ", "mm[2]"),  # (k, i, j)
    ],
    ids=["ijk", "ikj", "kij"],
)
def test_tensorize_matches_loop_nest(order: str, loop: str) -> None:
    trace = f"tile([mm[0], mm[1]], [14, 32]); {order}tensorize({loop}, gemm_f32_14x32)"
    printed = check_schedule(
        MATMUL, trace, np.matmul, [(28, -1), (-1, 64)], sizes=(0, 1, 37)
    )
    assert printed.splitlines()[-1] == f"tensorize({loop}, gemm_f32_14x32)"


def test_tensorize_batched_with_swapped_operands() -> None:
    check_schedule(
        BATCHED,
        "parallel(bmm[1]); tensorize(bmm[2], gemm_f32_14x32)",
        np.matmul,
        [(2, -1, 40), (2, 40, 32)],
        sizes=(14, 42),
    )


@pytest.mark.parametrize(
    ("trace", "message"),
    [
        (
            "tile([mm[0], mm[1]], [8, 32]); tensorize(mm[2], gemm_f32_8x32)",
            "tensorize: the nest holds an scf.if (a split remainder's guard)",
        ),
        (
            "tensorize(mm[0], gemm_f32_14x32)",
            "tensorize: the row loop has extent 28, the intrinsic's tile needs 14x32",
        ),
        (
            "tile([mm[0], mm[1]], [14, 32]); vectorize(mm[3]); "
            "tensorize(mm[2], gemm_f32_14x32)",
            "tensorize: the loop must be serial, it is vectorized",
        ),
    ],
    ids=["partial-tile", "extent", "not-serial"],
)
def test_tensorize_refusal_leaves_kernel_unchanged(trace: str, message: str) -> None:
    assert_refused(MATMUL, trace, message)


def test_tensorize_trace_prints_parses_and_replays() -> None:
    text = "tile([mm[0], mm[1]], [14, 32]); tensorize(mm[2], gemm_f32_14x32)"
    scheduled = kernel(legalized(MATMUL))
    printed = str(Schedule(scheduled).replay(Trace.parse(text)).trace)
    assert printed.splitlines()[-1] == "tensorize(mm[2], gemm_f32_14x32)"
    replayed = (
        Schedule(kernel(legalized(MATMUL)).clone()).replay(Trace.parse(printed)).func
    )
    assert str(replayed) == str(scheduled)


def test_tensorize_transposed_a() -> None:
    check_schedule(
        TRANSPOSED_A,
        "tile([mm[0], mm[1]], [14, 32]); tensorize(mm[2], gemm_f32_14x32)",
        lambda a, b: a.T @ b,
        [(-1, 28), (-1, 64)],
        sizes=(1, 37),
    )
