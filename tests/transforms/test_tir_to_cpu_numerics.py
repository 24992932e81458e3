"""convert-tir-to-cpu computes what the tir kernels say: JIT-compiled vs numpy.

Hand-written kernels of the tir kernel convention (docs/lowering.md) go
through `convert-tir-to-cpu,convert-scf-to-cf,convert-to-llvm`, are compiled
for the host and called with ctypes: shape variables as int64, buffers as
numpy data pointers (only element-aligned views are used on purpose, so an
over-aligned access would fault).  Sizes cover 0 where an empty loop is
meaningful, 1, an odd size and a large one.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from xdsl.dialects import func
from xdsl.passes import PassPipeline
from xdsl.transforms import get_all_passes

from xunity.backends.llvm.emit import emit_llvm_ir
from xunity.backends.llvm.jit import JitEngine
from xunity.backends.llvm.runtime import runtime_ir
from xunity.dialects.context import make_context
from xunity.ir.diagnostics import parse_module
from xunity.registry import PASSES

PIPELINE = "convert-tir-to-cpu,convert-scf-to-cf,convert-to-llvm"
SIZES = [0, 1, 7, 128]

# C[n, m] = A[n, k] @ B[k, m]: a reduce block whose init zeroes C[i, j].
MATMUL = """
func.func @matmul(%k: index {tir.shape_var = "k"}, %m: index {tir.shape_var = "m"},
                  %n: index {tir.shape_var = "n"},
                  %A: memref<?x?xf32> {tir.dims = #graph.dims<[n, k]>},
                  %B: memref<?x?xf32> {tir.dims = #graph.dims<[k, m]>},
                  %C: memref<?x?xf32> {tir.dims = #graph.dims<[n, m]>})
    attributes {tir.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  tir.for %i = %c0 to %n step %c1 parallel {
    tir.for %j = %c0 to %m step %c1 serial {
      tir.for %r = %c0 to %k step %c1 serial {
        tir.block "C" (%vi = spatial %i < %n, %vj = spatial %j < %m,
                       %vr = reduce %r < %k)
            reads(%A, %B : memref<?x?xf32>, memref<?x?xf32>)
            writes(%C : memref<?x?xf32>) init {
          %zero = arith.constant 0.0 : f32
          tir.store %zero, %C[%vi, %vj] : memref<?x?xf32>
        } {
          %a = tir.load %A[%vi, %vr] : memref<?x?xf32>
          %b = tir.load %B[%vr, %vj] : memref<?x?xf32>
          %c = tir.load %C[%vi, %vj] : memref<?x?xf32>
          %p = arith.mulf %a, %b : f32
          %s = arith.addf %c, %p : f32
          tir.store %s, %C[%vi, %vj] : memref<?x?xf32>
        }
      }
    }
  }
  func.return
}
"""

# out[n, 64] = a[n, 64] + b[64], the column loop split 4 x 16 (unrolled x vectorized).
BROADCAST_ADD = """
func.func @add(%n: index {tir.shape_var = "n"},
               %a: memref<?x64xf32> {tir.dims = #graph.dims<[n, 64]>},
               %b: memref<64xf32> {tir.dims = #graph.dims<[64]>},
               %out: memref<?x64xf32> {tir.dims = #graph.dims<[n, 64]>})
    attributes {tir.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  tir.for %i = %c0 to %n step %c1 parallel {
    tir.for %jo = %c0 to %c64 step %c16 unrolled {
      tir.for %ji = %c0 to %c16 step %c1 vectorized {
        %j = arith.addi %jo, %ji : index
        tir.block "out" (%vi = spatial %i < %n, %vj = spatial %j < %c64)
            reads(%a, %b : memref<?x64xf32>, memref<64xf32>)
            writes(%out : memref<?x64xf32>) {
          %x = tir.load %a[%vi, %vj] : memref<?x64xf32>
          %y = tir.load %b[%vj] : memref<64xf32>
          %s = arith.addf %x, %y : f32
          tir.store %s, %out[%vi, %vj] : memref<?x64xf32>
        }
      }
    }
  }
  func.return
}
"""

# out[n] = sum_j x[n, m + 1][:, j]: a compound symbolic dim in the strides.
ROW_SUM = """
func.func @row_sum(%m: index {tir.shape_var = "m"}, %n: index {tir.shape_var = "n"},
                   %x: memref<?x?xf32> {tir.dims = #graph.dims<[n, m + 1]>},
                   %out: memref<?xf32> {tir.dims = #graph.dims<[n]>})
    attributes {tir.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %cols = memref.dim %x, %c1 : memref<?x?xf32>
  tir.for %i = %c0 to %n step %c1 serial {
    tir.for %j = %c0 to %cols step %c1 serial {
      tir.block "sum" (%vi = spatial %i < %n, %vj = reduce %j < %cols)
          reads(%x : memref<?x?xf32>) writes(%out : memref<?xf32>) init {
        %zero = arith.constant 0.0 : f32
        tir.store %zero, %out[%vi] : memref<?xf32>
      } {
        %v = tir.load %x[%vi, %vj] : memref<?x?xf32>
        %acc = tir.load %out[%vi] : memref<?xf32>
        %s = arith.addf %acc, %v : f32
        tir.store %s, %out[%vi] : memref<?xf32>
      }
    }
  }
  func.return
}
"""

# out[n, 8] = x - rowmax(x), the row maxima in a runtime-allocated scratch buffer.
SUBTRACT_ROW_MAX = """
func.func @subtract_row_max(%n: index {tir.shape_var = "n"},
                            %x: memref<?x8xf64> {tir.dims = #graph.dims<[n, 8]>},
                            %out: memref<?x8xf64> {tir.dims = #graph.dims<[n, 8]>})
    attributes {tir.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %max = tir.alloc_buffer(%n) : memref<?xf64>
  tir.for %i = %c0 to %n step %c1 serial {
    tir.for %j = %c0 to %c8 step %c1 serial {
      tir.block "max" (%vi = spatial %i < %n, %vj = reduce %j < %c8)
          reads(%x : memref<?x8xf64>) writes(%max : memref<?xf64>) init {
        %low = arith.constant -1.0e300 : f64
        tir.store %low, %max[%vi] : memref<?xf64>
      } {
        %v = tir.load %x[%vi, %vj] : memref<?x8xf64>
        %acc = tir.load %max[%vi] : memref<?xf64>
        %r = arith.maximumf %acc, %v : f64
        tir.store %r, %max[%vi] : memref<?xf64>
      }
    }
  }
  tir.for %i = %c0 to %n step %c1 parallel {
    tir.for %j = %c0 to %c8 step %c1 serial {
      tir.block "out" (%vi = spatial %i < %n, %vj = spatial %j < %c8)
          reads(%x, %max : memref<?x8xf64>, memref<?xf64>)
          writes(%out : memref<?x8xf64>) {
        %v = tir.load %x[%vi, %vj] : memref<?x8xf64>
        %mx = tir.load %max[%vi] : memref<?xf64>
        %d = arith.subf %v, %mx : f64
        tir.store %d, %out[%vi, %vj] : memref<?x8xf64>
      }
    }
  }
  func.return
}
"""


@dataclass
class Kernel:
    """A JIT-compiled kernel, called with int64 shape variables then pointers."""

    engine: JitEngine  # owns the machine code
    function: Callable[..., None]

    def __call__(self, *args: int) -> None:
        self.function(*args)


def compile_kernel(text: str, name: str, cache: Path) -> Kernel:
    ctx = make_context()
    module = parse_module(ctx, text)
    kernel = next(op for op in module.ops if isinstance(op, func.FuncOp))
    shape_vars = sum("tir.shape_var" in attrs.data for attrs in kernel.arg_attrs or ())
    buffers = len(kernel.function_type.inputs) - shape_vars
    PassPipeline.parse_spec({**get_all_passes(), **PASSES}, PIPELINE).apply(ctx, module)
    engine = JitEngine(cache_dir=cache)
    engine.add(runtime_ir(engine.target.triple, engine.target.data_layout))
    engine.add(emit_llvm_ir(module, engine.target))
    signature = ctypes.CFUNCTYPE(
        None, *[ctypes.c_int64] * shape_vars, *[ctypes.c_void_p] * buffers
    )
    return Kernel(engine, signature(engine.address(name)))


def element_aligned(array: np.ndarray) -> np.ndarray:
    """A copy of `array` whose data starts one element past a 64-byte boundary."""
    itemsize = array.dtype.itemsize
    raw = np.empty(array.nbytes + 64 + itemsize, dtype=np.uint8)
    start = (-raw.ctypes.data) % 64 + itemsize
    view = raw[start : start + array.nbytes].view(array.dtype).reshape(array.shape)
    view[...] = array
    return view


def ptr(array: np.ndarray) -> int:
    assert array.flags.c_contiguous
    return array.ctypes.data


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("objects")


@pytest.fixture(scope="module")
def matmul(cache: Path) -> Kernel:
    return compile_kernel(MATMUL, "matmul", cache)


@pytest.fixture(scope="module")
def add(cache: Path) -> Kernel:
    return compile_kernel(BROADCAST_ADD, "add", cache)


@pytest.fixture(scope="module")
def row_sum(cache: Path) -> Kernel:
    return compile_kernel(ROW_SUM, "row_sum", cache)


@pytest.fixture(scope="module")
def subtract_row_max(cache: Path) -> Kernel:
    return compile_kernel(SUBTRACT_ROW_MAX, "subtract_row_max", cache)


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize(("k", "m"), [(1, 1), (7, 5), (64, 33)])
def test_matmul_with_a_reduce_block_and_init(
    matmul: Kernel, n: int, k: int, m: int
) -> None:
    rng = np.random.default_rng(n * 1000 + k)
    a = element_aligned(rng.standard_normal((n, k), dtype=np.float32))
    b = element_aligned(rng.standard_normal((k, m), dtype=np.float32))
    # NaN everywhere: the init, not the caller, must zero the accumulator.
    c = element_aligned(np.full((n, m), np.nan, dtype=np.float32))
    matmul(k, m, n, ptr(a), ptr(b), ptr(c))
    np.testing.assert_allclose(c, a @ b, rtol=1e-5, atol=1e-5 * k)


@pytest.mark.parametrize("n", SIZES)
def test_broadcasting_add(add: Kernel, n: int) -> None:
    rng = np.random.default_rng(n)
    a = element_aligned(rng.standard_normal((n, 64), dtype=np.float32))
    b = element_aligned(rng.standard_normal(64, dtype=np.float32))
    out = element_aligned(np.zeros((n, 64), dtype=np.float32))
    add(n, ptr(a), ptr(b), ptr(out))
    np.testing.assert_array_equal(out, a + b)


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("m", [0, 6, 100])
def test_row_sum_over_a_compound_dim(row_sum: Kernel, n: int, m: int) -> None:
    rng = np.random.default_rng(n + m)
    x = element_aligned(rng.standard_normal((n, m + 1), dtype=np.float32))
    out = element_aligned(np.full(n, np.nan, dtype=np.float32))
    row_sum(m, n, ptr(x), ptr(out))
    np.testing.assert_allclose(out, x.sum(axis=1), rtol=1e-5, atol=1e-5 * (m + 1))


@pytest.mark.parametrize("n", SIZES)
def test_scratch_buffer_from_the_runtime(subtract_row_max: Kernel, n: int) -> None:
    rng = np.random.default_rng(n)
    x = element_aligned(rng.standard_normal((n, 8)))
    out = element_aligned(np.zeros((n, 8)))
    subtract_row_max(n, ptr(x), ptr(out))
    np.testing.assert_array_equal(out, x - x.max(axis=1, keepdims=True))
