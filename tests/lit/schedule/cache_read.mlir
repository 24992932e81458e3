// RUN: xunity-opt %s -p 'tir-apply-schedule{func=mm trace="cache_read(mm, 0)"}' | filecheck %s
// RUN: xunity-opt %s -p 'tir-apply-schedule{func=mm trace="cache_read(mm, 0)"}' --print-op-generic | xunity-opt | filecheck %s

// A (n x 32) is copied whole into a new buffer right before the consumer's
// loop nest; the consumer reads the copy, and only it changes.
// CHECK-LABEL: func.func @mm
// CHECK: %[[CACHE:.*]] = tir.alloc_buffer(%n) : memref<?x32xf32>
// CHECK-NEXT: tir.for %[[R:.*]] = %c0 to %n step %c1 serial {
// CHECK-NEXT: tir.for %[[S:.*]] = %c0 to %c32 step %c1 serial {
// CHECK-NEXT: tir.block "mm_read0" (%[[VR:.*]] = spatial %[[R]] < %n, %[[VS:.*]] = spatial %[[S]] < %c32) reads(%A : memref<?x32xf32>) writes(%[[CACHE]] : memref<?x32xf32>) {
// CHECK-NEXT: %[[X:.*]] = tir.load %A[%[[VR]], %[[VS]]] : memref<?x32xf32>
// CHECK-NEXT: tir.store %[[X]], %[[CACHE]][%[[VR]], %[[VS]]] : memref<?x32xf32>
// CHECK: tir.block "mm" ({{.*}}) reads(%[[CACHE]], %B : memref<?x32xf32>, memref<32x16xf32>) writes(%C : memref<?x16xf32>) init {
// CHECK: tir.load %[[CACHE]][%vi, %vk] : memref<?x32xf32>
// CHECK-NEXT: tir.load %B[%vk, %vj] : memref<32x16xf32>
// CHECK-NEXT: tir.load %C[%vi, %vj] : memref<?x16xf32>
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
