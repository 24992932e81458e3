// RUN: xunity-opt %s -p 'tir-apply-schedule{trace="parallel(add[0]); unroll(add[1]); vectorize(add[2])"}' | filecheck %s
// RUN: xunity-opt %s -p 'tir-apply-schedule{trace="parallel(add[0]); unroll(add[1]); vectorize(add[2])"}' --print-op-generic | xunity-opt | filecheck %s

// parallel, unroll and vectorize only change the loops' kinds.
// CHECK-LABEL: func.func @kinds
// CHECK: tir.for %{{.*}} = %c0 to %n step %c1 parallel {
// CHECK-NEXT: tir.for %{{.*}} = %c0 to %c4 step %c1 unrolled {
// CHECK-NEXT: tir.for %{{.*}} = %c0 to %c16 step %c1 vectorized {
// CHECK-NEXT: tir.block "add"
func.func @kinds(%n: index {tir.shape_var = "n"}, %in0: memref<?x4x16xf32> {tir.dims = #graph.dims<[n, 4, 16]>}, %out0: memref<?x4x16xf32> {tir.dims = #graph.dims<[n, 4, 16]>}) attributes {tir.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
  tir.for %i = %c0 to %n step %c1 serial {
    tir.for %j = %c0 to %c4 step %c1 serial {
      tir.for %k = %c0 to %c16 step %c1 serial {
        tir.block "add" (%vi = spatial %i < %n, %vj = spatial %j < %c4, %vk = spatial %k < %c16) reads(%in0 : memref<?x4x16xf32>) writes(%out0 : memref<?x4x16xf32>) {
          %x = tir.load %in0[%vi, %vj, %vk] : memref<?x4x16xf32>
          tir.store %x, %out0[%vi, %vj, %vk] : memref<?x4x16xf32>
        }
      }
    }
  }
  func.return
}
