// RUN: not xunity-opt %s -p 'tir-apply-schedule{func=mm trace="tile([mm[0], mm[2]], [4, 4])"}' 2>&1 | filecheck %s --check-prefix=TILE-NEST
// RUN: not xunity-opt %s -p 'tir-apply-schedule{func=mm trace="tile([mm[0], mm[1]], [4])"}' 2>&1 | filecheck %s --check-prefix=TILE-FACTORS
// RUN: not xunity-opt %s -p 'tir-apply-schedule{func=mm trace="cache_read(mm, 2)"}' 2>&1 | filecheck %s --check-prefix=READ-INDEX
// RUN: not xunity-opt %s -p 'tir-apply-schedule{func=mm trace="cache_read(mm[0], 0)"}' 2>&1 | filecheck %s --check-prefix=READ-BLOCK
// RUN: not xunity-opt %s -p 'tir-apply-schedule{func=accumulate trace="cache_write(acc, 0)"}' 2>&1 | filecheck %s --check-prefix=WRITE-READS
// RUN: not xunity-opt %s -p 'tir-apply-schedule{func=stencil trace="compute_at(pair, double[0])"}' 2>&1 | filecheck %s --check-prefix=AT-ORDER
// RUN: not xunity-opt %s -p 'tir-apply-schedule{func=stencil trace="fuse(pair[0], pair[1]); split(pair[0], [None, 8]); compute_at(double, pair[0])"}' 2>&1 | filecheck %s --check-prefix=AT-AFFINE
// RUN: not xunity-opt %s -p 'tir-apply-schedule{func=mm trace="cache_write(mm, 0); reverse_compute_at(mm_write0, mm[2])"}' 2>&1 | filecheck %s --check-prefix=REVERSE-REDUCE
// RUN: not xunity-opt %s -p 'tir-apply-schedule{func=stencil trace="reverse_compute_at(pair, double[0])"}' 2>&1 | filecheck %s --check-prefix=REVERSE-READ
// RUN: not xunity-opt %s -p 'tir-apply-schedule{func=mm trace="reorder(mm[2], mm[0]); decompose_reduction(mm, mm[1])"}' 2>&1 | filecheck %s --check-prefix=DECOMPOSE-LOOP
// RUN: not xunity-opt %s -p 'tir-apply-schedule{func=stencil trace="decompose_reduction(pair, pair[0])"}' 2>&1 | filecheck %s --check-prefix=DECOMPOSE-INIT

// TILE-NEST: tir-apply-schedule: @mm: tile: each loop must be directly nested in the previous one
// TILE-FACTORS: tir-apply-schedule: @mm: tile: needs one factor per loop: 2 loops, 1 factors
// READ-INDEX: tir-apply-schedule: @mm: cache_read: reads index 2 is out of range: the block declares 2 reads
// READ-BLOCK: tir-apply-schedule: trace: line 1: argument 1 of cache_read must be a block name: cache_read(mm[0], 0)
// WRITE-READS: tir-apply-schedule: @accumulate: cache_write: the block reads the buffer before writing it (outside the body of a block with init)
// AT-ORDER: tir-apply-schedule: @stencil: compute_at: the block must come before the loop (a producer)
// AT-AFFINE: tir-apply-schedule: @stencil: compute_at: cannot bound an index of block "pair": it must be affine in the loops under the target loop
// REVERSE-REDUCE: tir-apply-schedule: @mm: reverse_compute_at: block "mm" reduces over the loop or a loop above it; its results are final only after the loop
// REVERSE-READ: tir-apply-schedule: @stencil: reverse_compute_at: the block must read the buffer written under the loop at its iteration variables, each once (in any order)
// DECOMPOSE-LOOP: tir-apply-schedule: @mm: decompose_reduction: the loop must be at or above every loop bound to a reduce iteration variable
// DECOMPOSE-INIT: tir-apply-schedule: @stencil: decompose_reduction: block "pair" has no init region (legalized reductions are decomposed already)
func.func @mm(%n: index {tir.shape_var = "n"}, %A: memref<?x32xf32> {tir.dims = #graph.dims<[n, 32]>}, %B: memref<32x16xf32> {tir.dims = #graph.dims<[32, 16]>}, %C: memref<?x16xf32> {tir.dims = #graph.dims<[n, 16]>}) attributes {tir.kernel} {
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

func.func @stencil(%n: index {tir.shape_var = "n"}, %A: memref<?x65xf32> {tir.dims = #graph.dims<[n, 65]>}, %O: memref<?x64xf32> {tir.dims = #graph.dims<[n, 64]>}) attributes {tir.kernel} {
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

// out[i] += in[i]: the block reads what it writes before writing it.
func.func @accumulate(%n: index {tir.shape_var = "n"}, %in0: memref<?xf32> {tir.dims = #graph.dims<[n]>}, %out0: memref<?xf32> {tir.dims = #graph.dims<[n]>}) attributes {tir.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  tir.for %i = %c0 to %n step %c1 serial {
    tir.block "acc" (%vi = spatial %i < %n) reads(%in0 : memref<?xf32>) writes(%out0 : memref<?xf32>) {
      %x = tir.load %in0[%vi] : memref<?xf32>
      %y = tir.load %out0[%vi] : memref<?xf32>
      %s = arith.addf %x, %y : f32
      tir.store %s, %out0[%vi] : memref<?xf32>
    }
  }
  func.return
}

// tensorize: the nest, the intrinsic, the block's body and its types.
// RUN: not xunity-opt %s -p 'tir-apply-schedule{func=tz trace="tile([tz[0], tz[1]], [8, 32]); tensorize(tz[2], gemm_f32_8x32)"}' 2>&1 | filecheck %s --check-prefix=TENSORIZE-GUARD
// RUN: not xunity-opt %s -p 'tir-apply-schedule{func=tz trace="tensorize(tz[0], gemm_f32_14x32)"}' 2>&1 | filecheck %s --check-prefix=TENSORIZE-EXTENT
// RUN: not xunity-opt %s -p 'tir-apply-schedule{func=tz trace="tile([tz[0], tz[1]], [14, 32]); tensorize(tz[2], gemm_f32_14x16)"}' 2>&1 | filecheck %s --check-prefix=TENSORIZE-COLUMNS
// RUN: not xunity-opt %s -p 'tir-apply-schedule{func=tz trace="tensorize(tz[1], gemm_f32_14x32)"}' 2>&1 | filecheck %s --check-prefix=TENSORIZE-NEST
// RUN: not xunity-opt %s -p 'tir-apply-schedule{func=tz trace="tensorize(tz[0], gemm_f32_14x24)"}' 2>&1 | filecheck %s --check-prefix=TENSORIZE-NR
// RUN: not xunity-opt %s -p 'tir-apply-schedule{func=tz trace="tensorize(tz[0], gemm_f32_16x32)"}' 2>&1 | filecheck %s --check-prefix=TENSORIZE-REGISTERS
// RUN: not xunity-opt %s -p 'tir-apply-schedule{func=tz trace="tensorize(tz[0], conv_f32_14x32)"}' 2>&1 | filecheck %s --check-prefix=TENSORIZE-UNKNOWN
// RUN: not xunity-opt %s -p 'tir-apply-schedule{func=tz trace="tensorize(tz[0], 14)"}' 2>&1 | filecheck %s --check-prefix=TENSORIZE-ARG
// RUN: not xunity-opt %s -p 'tir-apply-schedule{func=mm trace="tensorize(mm[0], gemm_f32_14x32)"}' 2>&1 | filecheck %s --check-prefix=TENSORIZE-INIT
// RUN: not xunity-opt %s -p 'tir-apply-schedule{func=tz_bad trace="tensorize(sub[0], gemm_f32_14x32)"}' 2>&1 | filecheck %s --check-prefix=TENSORIZE-BODY
// RUN: not xunity-opt %s -p 'tir-apply-schedule{func=tz_bad trace="tensorize(bt[0], gemm_f32_14x32)"}' 2>&1 | filecheck %s --check-prefix=TENSORIZE-INDICES
// RUN: not xunity-opt %s -p 'tir-apply-schedule{func=tz_bad trace="tensorize(half[0], gemm_f32_14x32)"}' 2>&1 | filecheck %s --check-prefix=TENSORIZE-F16

// TENSORIZE-GUARD: tir-apply-schedule: @tz: tensorize: the nest holds an scf.if (a split remainder's guard); the micro-kernel computes whole tiles only
// TENSORIZE-EXTENT: tir-apply-schedule: @tz: tensorize: the row loop has extent 28, the intrinsic's tile needs 14x32
// TENSORIZE-COLUMNS: tir-apply-schedule: @tz: tensorize: the column loop has extent 32, the intrinsic's tile needs 14x16
// TENSORIZE-NEST: tir-apply-schedule: @tz: tensorize: the loop must head a perfect nest of exactly three loops around one tir.block
// TENSORIZE-NR: tir-apply-schedule: @tz: tensorize: gemm_f32_14x24: mr must be positive and nr a positive multiple of 16
// TENSORIZE-REGISTERS: tir-apply-schedule: @tz: tensorize: gemm_f32_16x32: the tile needs 32 accumulator registers, more than 30
// TENSORIZE-UNKNOWN: tir-apply-schedule: @tz: tensorize: unknown intrinsic 'conv_f32_14x32', want gemm_f32_<mr>x<nr>
// TENSORIZE-ARG: tir-apply-schedule: trace: line 1: argument 2 of tensorize must be an intrinsic name such as gemm_f32_14x32: tensorize(tz[0], 14)
// TENSORIZE-INIT: tir-apply-schedule: @mm: tensorize: the block has an init region; the micro-kernel accumulates (decompose_reduction first)
// TENSORIZE-BODY: tir-apply-schedule: @tz_bad: tensorize: the block must be the f32 matmul update C[..., i, j] = C[..., i, j] + A[..., i, k] * B[..., k, j]
// TENSORIZE-INDICES: tir-apply-schedule: @tz_bad: tensorize: the block must be the f32 matmul update C[..., i, j] = C[..., i, j] + A[..., i, k] * B[..., k, j]: A's last two indices must add the loops of C's row and of the reduction (or the reverse), B's those of the reduction and of C's column (unit coefficients, bases independent of the nest)
// TENSORIZE-F16: tir-apply-schedule: @tz_bad: tensorize: A, B and C must be f32 buffers

// C[28, 64] += A[28, k] @ B[k, 64], accumulating (no init).
func.func @tz(%K: index {tir.shape_var = "k"}, %A: memref<28x?xf32> {tir.dims = #graph.dims<[28, k]>}, %B: memref<?x64xf32> {tir.dims = #graph.dims<[k, 64]>}, %C: memref<28x64xf32> {tir.dims = #graph.dims<[28, 64]>}) attributes {tir.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c28 = arith.constant 28 : index
  %c64 = arith.constant 64 : index
  tir.for %i = %c0 to %c28 step %c1 serial {
    tir.for %j = %c0 to %c64 step %c1 serial {
      tir.for %k = %c0 to %K step %c1 serial {
        tir.block "tz" (%vi = spatial %i < %c28, %vj = spatial %j < %c64, %vk = reduce %k < %K) reads(%A, %B : memref<28x?xf32>, memref<?x64xf32>) writes(%C : memref<28x64xf32>) {
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

// 14 x 32 tiles that are not matmuls: a difference, B read transposed, f16.
func.func @tz_bad(%A: memref<14x8xf32>, %B: memref<8x32xf32>, %Bt: memref<32x8xf32>, %C: memref<14x32xf32>, %H: memref<14x8xf16>, %G: memref<8x32xf16>, %D: memref<14x32xf16>) attributes {tir.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c14 = arith.constant 14 : index
  %c32 = arith.constant 32 : index
  tir.for %i = %c0 to %c14 step %c1 serial {
    tir.for %j = %c0 to %c32 step %c1 serial {
      tir.for %k = %c0 to %c8 step %c1 serial {
        tir.block "sub" (%vi = spatial %i < %c14, %vj = spatial %j < %c32, %vk = reduce %k < %c8) reads(%A, %B : memref<14x8xf32>, memref<8x32xf32>) writes(%C : memref<14x32xf32>) {
          %a = tir.load %A[%vi, %vk] : memref<14x8xf32>
          %b = tir.load %B[%vk, %vj] : memref<8x32xf32>
          %c = tir.load %C[%vi, %vj] : memref<14x32xf32>
          %p = arith.mulf %a, %b : f32
          %s = arith.subf %c, %p : f32
          tir.store %s, %C[%vi, %vj] : memref<14x32xf32>
        }
      }
    }
  }
  tir.for %i2 = %c0 to %c14 step %c1 serial {
    tir.for %j2 = %c0 to %c32 step %c1 serial {
      tir.for %k2 = %c0 to %c8 step %c1 serial {
        tir.block "bt" (%vi = spatial %i2 < %c14, %vj = spatial %j2 < %c32, %vk = reduce %k2 < %c8) reads(%A, %Bt : memref<14x8xf32>, memref<32x8xf32>) writes(%C : memref<14x32xf32>) {
          %a = tir.load %A[%vi, %vk] : memref<14x8xf32>
          %b = tir.load %Bt[%vj, %vk] : memref<32x8xf32>
          %c = tir.load %C[%vi, %vj] : memref<14x32xf32>
          %p = arith.mulf %a, %b : f32
          %s = arith.addf %c, %p : f32
          tir.store %s, %C[%vi, %vj] : memref<14x32xf32>
        }
      }
    }
  }
  tir.for %i3 = %c0 to %c14 step %c1 serial {
    tir.for %j3 = %c0 to %c32 step %c1 serial {
      tir.for %k3 = %c0 to %c8 step %c1 serial {
        tir.block "half" (%vi = spatial %i3 < %c14, %vj = spatial %j3 < %c32, %vk = reduce %k3 < %c8) reads(%H, %G : memref<14x8xf16>, memref<8x32xf16>) writes(%D : memref<14x32xf16>) {
          %a = tir.load %H[%vi, %vk] : memref<14x8xf16>
          %b = tir.load %G[%vk, %vj] : memref<8x32xf16>
          %c = tir.load %D[%vi, %vj] : memref<14x32xf16>
          %p = arith.mulf %a, %b : f16
          %s = arith.addf %c, %p : f16
          tir.store %s, %D[%vi, %vj] : memref<14x32xf16>
        }
      }
    }
  }
  func.return
}
