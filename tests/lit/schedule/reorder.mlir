// RUN: xunity-opt %s -p 'tir-apply-schedule{trace="reorder(add[1], add[0])"}' | filecheck %s
// RUN: xunity-opt %s -p 'tir-apply-schedule{trace="reorder(add[1], add[0])"}' --print-op-generic | xunity-opt | filecheck %s

// The loops swap; the block keeps its bindings (now to the swapped loops).
// CHECK-LABEL: func.func @swap
// CHECK: tir.for %[[J:.*]] = %c0 to %c64 step %c1 serial {
// CHECK-NEXT: tir.for %[[I:.*]] = %c0 to %n step %c1 serial {
// CHECK-NEXT: tir.block "add" (%{{.*}} = spatial %[[I]] < %n, %{{.*}} = spatial %[[J]] < %c64)
func.func @swap(%n: index {tir.shape_var = "n"}, %in0: memref<?x64xf32> {tir.dims = #graph.dims<[n, 64]>}, %out0: memref<?x64xf32> {tir.dims = #graph.dims<[n, 64]>}) attributes {tir.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  tir.for %i = %c0 to %n step %c1 serial {
    tir.for %j = %c0 to %c64 step %c1 serial {
      tir.block "add" (%vi = spatial %i < %n, %vj = spatial %j < %c64) reads(%in0 : memref<?x64xf32>) writes(%out0 : memref<?x64xf32>) {
        %x = tir.load %in0[%vi, %vj] : memref<?x64xf32>
        %y = arith.addf %x, %x : f32
        tir.store %y, %out0[%vi, %vj] : memref<?x64xf32>
      }
    }
  }
  func.return
}
