// RUN: xunity-opt %s -p 'tir-apply-schedule{trace="fuse(add[0], add[1])"}' | filecheck %s
// RUN: xunity-opt %s -p 'tir-apply-schedule{trace="fuse(add[0], add[1])"}' --print-op-generic | xunity-opt | filecheck %s

// One loop over n * 64; the bindings are its quotient and remainder by 64.
// CHECK-LABEL: func.func @fuse_symbolic
// CHECK: %[[EXTENT:.*]] = arith.muli %n, %c64 : index
// CHECK-NEXT: tir.for %[[F:.*]] = %c0 to %[[EXTENT]] step %c1 serial {
// CHECK-NEXT: %[[I:.*]] = arith.divui %[[F]], %c64 : index
// CHECK-NEXT: %[[J:.*]] = arith.remui %[[F]], %c64 : index
// CHECK-NEXT: tir.block "add" (%{{.*}} = spatial %[[I]] < %n, %{{.*}} = spatial %[[J]] < %c64)
func.func @fuse_symbolic(%n: index {tir.shape_var = "n"}, %in0: memref<?x64xf32> {tir.dims = #graph.dims<[n, 64]>}, %out0: memref<?x64xf32> {tir.dims = #graph.dims<[n, 64]>}) attributes {tir.kernel} {
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
