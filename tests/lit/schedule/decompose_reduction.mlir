// RUN: xunity-opt %s -p 'tir-apply-schedule{func=mm trace="decompose_reduction(mm, mm[1])"}' | filecheck %s
// RUN: xunity-opt %s -p 'tir-apply-schedule{func=mm trace="decompose_reduction(mm, mm[1])"}' --print-op-generic | xunity-opt | filecheck %s

// The init region becomes a spatial block before loop j, under a copy of j
// (which a spatial binding uses); the reduction block keeps only its body.
// CHECK-LABEL: func.func @mm
// CHECK: tir.for %[[I:.*]] = %c0 to %n step %c1 serial {
// CHECK-NEXT: tir.for %[[J2:.*]] = %c0 to %c16 step %c1 serial {
// CHECK-NEXT: tir.block "mm_init" (%[[VI:.*]] = spatial %[[I]] < %n, %[[VJ:.*]] = spatial %[[J2]] < %c16) writes(%C : memref<?x16xf32>) {
// CHECK-NEXT: %zero = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: tir.store %zero, %C[%[[VI]], %[[VJ]]] : memref<?x16xf32>
// CHECK-NEXT: }
// CHECK-NEXT: }
// CHECK-NEXT: tir.for %j = %c0 to %c16 step %c1 serial {
// CHECK-NEXT: tir.for %k = %c0 to %c32 step %c1 serial {
// CHECK-NEXT: tir.block "mm" ({{.*}}) reads(%A, %B : memref<?x32xf32>, memref<32x16xf32>) writes(%C : memref<?x16xf32>) {
// CHECK-NOT: init
// CHECK: func.return
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
