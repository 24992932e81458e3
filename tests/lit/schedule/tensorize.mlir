// RUN: xunity-opt %s -p 'tir-apply-schedule{func=mm trace="tile([mm[0], mm[1]], [14, 32]); tensorize(mm[2], gemm_f32_14x32)"}' | filecheck %s --check-prefix=IJK
// RUN: xunity-opt %s -p 'tir-apply-schedule{func=mm trace="tile([mm[0], mm[1]], [14, 32]); tensorize(mm[2], gemm_f32_14x32)"}' --print-op-generic | xunity-opt | filecheck %s --check-prefix=IJK
// RUN: xunity-opt %s -p 'tir-apply-schedule{func=mm trace="tile([mm[0], mm[1]], [14, 32]); reorder(mm[2], mm[4]); reorder(mm[3], mm[4]); tensorize(mm[2], gemm_f32_14x32)"}' | filecheck %s --check-prefix=KIJ
// RUN: xunity-opt %s -p 'tir-apply-schedule{func=mm_at trace="tensorize(mm_at[0], gemm_f32_14x32)"}' | filecheck %s --check-prefix=AT
// RUN: xunity-opt %s -p 'tir-apply-schedule{func=bmm trace="parallel(bmm[1]); tensorize(bmm[2], gemm_f32_14x32)"}' | filecheck %s --check-prefix=BMM

// C[28, 64] += A[28, k] @ B[k, 64], tiled 14 x 32: the (ii, ji, k) nest becomes
// one micro-kernel call on pointers to the tile's origin; A's row stride is
// its last dim k, B's and C's 64; the scratch tile is allocated once at entry.
// IJK-LABEL: func.func @mm
// IJK: %[[TILE:.*]] = tir.alloc_buffer() : memref<448xf32>
// IJK-NEXT: %[[SCRATCH:.*]] = tir.access_ptr %[[TILE]][%c0] : memref<448xf32>
// IJK-NEXT: tir.for %[[IO:.*]] = %c0 to %{{.*}} step %c1 serial {
// IJK-NEXT: tir.for %[[JO:.*]] = %c0 to %{{.*}} step %c1 serial {
// IJK-NEXT: %[[C14:.*]] = arith.constant 14 : index
// IJK-NEXT: %[[ROW:.*]] = arith.muli %[[IO]], %[[C14]] : index
// IJK-NEXT: %[[A:.*]] = tir.access_ptr %A[%[[ROW]], %c0] : memref<28x?xf32>
// IJK-NEXT: %[[C32:.*]] = arith.constant 32 : index
// IJK-NEXT: %[[COL:.*]] = arith.muli %[[JO]], %[[C32]] : index
// IJK-NEXT: %[[B:.*]] = tir.access_ptr %B[%c0, %[[COL]]] : memref<?x64xf32>
// IJK-NEXT: %[[C:.*]] = tir.access_ptr %C[%[[ROW]], %[[COL]]] : memref<28x64xf32>
// IJK-NEXT: %[[ACC:.*]] = arith.constant true
// IJK-NEXT: cpu.gemm_microkernel %[[A]][%K, %c1], %[[B]][%c64], %[[C]][%c64] k %K rows %{{.*}} cols %{{.*}} accumulate %[[ACC]] scratch %[[SCRATCH]] mr = 14 nr = 32 : f32
// IJK-NEXT: }
// IJK-NEXT: }
// IJK-NOT: tir.block "mm"
// IJK: func.return

// The k loop outermost in the nest (k, ii, ji): the same call.
// KIJ-LABEL: func.func @mm
// KIJ: tir.for
// KIJ-NEXT: tir.for
// KIJ-NOT: tir.for
// KIJ: cpu.gemm_microkernel %{{.*}}[%K, %c1], %{{.*}}[%c64], %{{.*}}[%c64] k %K rows
// KIJ-NOT: tir.block "mm"
// KIJ: func.return
func.func @mm(%K: index {tir.shape_var = "k"}, %A: memref<28x?xf32> {tir.dims = #graph.dims<[28, k]>}, %B: memref<?x64xf32> {tir.dims = #graph.dims<[k, 64]>}, %C: memref<28x64xf32> {tir.dims = #graph.dims<[28, 64]>}) attributes {tir.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c28 = arith.constant 28 : index
  %c64 = arith.constant 64 : index
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

// A batched matmul with its row split written by hand, operands of mulf and
// addf swapped: the batch index stays, the row base is recomputed outside
// the nest, and the scratch tile is allocated per iteration of the parallel
// loop (one per thread).
// BMM-LABEL: func.func @bmm
// BMM: tir.for %[[B:.*]] = %c0 to %c2 step %c1 serial {
// BMM-NEXT: tir.for %[[IO:.*]] = %c0 to %tiles step %c1 parallel {
// BMM-NEXT: %[[TILE:.*]] = tir.alloc_buffer() : memref<448xf32>
// BMM-NEXT: %[[SCRATCH:.*]] = tir.access_ptr %[[TILE]][%c0] : memref<448xf32>
// BMM-NEXT: %[[C14:.*]] = arith.constant 14 : index
// BMM-NEXT: %[[ROW:.*]] = arith.muli %[[IO]], %[[C14]] : index
// BMM-NEXT: %[[X:.*]] = tir.access_ptr %A[%[[B]], %[[ROW]], %c0] : memref<2x?x40xf32>
// BMM-NEXT: %[[W:.*]] = tir.access_ptr %B[%[[B]], %c0, %c0] : memref<2x40x32xf32>
// BMM-NEXT: %[[Y:.*]] = tir.access_ptr %C[%[[B]], %[[ROW]], %c0] : memref<2x?x32xf32>
// BMM-NEXT: %[[ACC:.*]] = arith.constant true
// BMM-NEXT: cpu.gemm_microkernel %[[X]][%c40, %c1], %[[W]][%c32], %[[Y]][%c32] k %c40 rows %c14 cols %c32 accumulate %[[ACC]] scratch %[[SCRATCH]] mr = 14 nr = 32 : f32
// BMM-NEXT: }
// BMM-NEXT: }
// BMM-NEXT: func.return
func.func @bmm(%M: index {tir.shape_var = "m"}, %A: memref<2x?x40xf32> {tir.dims = #graph.dims<[2, m, 40]>}, %B: memref<2x40x32xf32> {tir.dims = #graph.dims<[2, 40, 32]>}, %C: memref<2x?x32xf32> {tir.dims = #graph.dims<[2, m, 32]>}) attributes {tir.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c14 = arith.constant 14 : index
  %c32 = arith.constant 32 : index
  %c40 = arith.constant 40 : index
  %tiles = arith.divui %M, %c14 : index
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

// A read transposed (A[k, i], a K x 14 matrix): its k stride is its row
// length 14, its row stride 1.
// AT-LABEL: func.func @mm_at
// AT: %[[A:.*]] = tir.access_ptr %A[%c0, %c0] : memref<8x14xf32>
// AT: cpu.gemm_microkernel %[[A]][%c1, %c14], %{{.*}}[%c32], %{{.*}}[%c32] k %c8 rows %c14 cols %c32
func.func @mm_at(%A: memref<8x14xf32>, %B: memref<8x32xf32>, %C: memref<14x32xf32>) attributes {tir.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c14 = arith.constant 14 : index
  %c32 = arith.constant 32 : index
  tir.for %i = %c0 to %c14 step %c1 serial {
    tir.for %k = %c0 to %c8 step %c1 serial {
      tir.for %j = %c0 to %c32 step %c1 serial {
        tir.block "mm_at" (%vi = spatial %i < %c14, %vj = spatial %j < %c32, %vk = reduce %k < %c8) reads(%A, %B : memref<8x14xf32>, memref<8x32xf32>) writes(%C : memref<14x32xf32>) {
          %a = tir.load %A[%vk, %vi] : memref<8x14xf32>
          %b = tir.load %B[%vk, %vj] : memref<8x32xf32>
          %c = tir.load %C[%vi, %vj] : memref<14x32xf32>
          %p = arith.mulf %a, %b : f32
          %s = arith.addf %c, %p : f32
          tir.store %s, %C[%vi, %vj] : memref<14x32xf32>
        }
      }
    }
  }
  func.return
}
