// RUN: xunity-opt %s -p 'tir-apply-schedule{func=transpose trace="reverse_compute_at(flip, inc[0])"}' | filecheck %s
// RUN: xunity-opt %s -p 'tir-apply-schedule{func=transpose trace="reverse_compute_at(flip, inc[0])"}' --print-op-generic | xunity-opt | filecheck %s

// After row i of T is produced, the consumer (which reads T[vi, vj] with its
// variables in the order (vj, vi)) computes the column it needs: a loop over
// vj, vi bound to i; no guard.  Its old loop nest is gone.
// CHECK-LABEL: func.func @transpose
// CHECK: tir.for %[[I:.*]] = %c0 to %n step %c1 serial {
// CHECK-NEXT: tir.for %[[J:.*]] = %c0 to %c64 step %c1 serial {
// CHECK-NEXT: tir.block "inc"
// CHECK: tir.for %[[T:.*]] = %c0 to %c64 step %c1 serial {
// CHECK-NEXT: tir.block "flip" (%{{.*}} = spatial %[[T]] < %c64, %{{.*}} = spatial %[[I]] < %n)
// CHECK-NOT: tir.block "flip"
// CHECK: func.return
func.func @transpose(%n: index {tir.shape_var = "n"}, %A: memref<?x64xf32> {tir.dims = #graph.dims<[n, 64]>}, %O: memref<64x?xf32> {tir.dims = #graph.dims<[64, n]>}) attributes {tir.kernel} {
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
