// RUN: xunity-opt %s -p 'tir-apply-schedule{func=mm trace="tile([mm[0], mm[1]], [4, 8])"}' | filecheck %s
// RUN: xunity-opt %s -p 'tir-apply-schedule{func=mm trace="tile([mm[0], mm[1]], [4, 8])"}' --print-op-generic | xunity-opt | filecheck %s

// i (symbolic) and j (16) split by 4 and 8, then the outer tiles before the
// inner ones; i's remainder is guarded, j's (16 = 2 * 8) is not.
// CHECK-LABEL: func.func @mm
// CHECK-DAG: %[[EIGHT:.*]] = arith.constant 8 : index
// CHECK-DAG: %[[TWO:.*]] = arith.constant 2 : index
// CHECK-DAG: %[[FOUR:.*]] = arith.constant 4 : index
// CHECK: %[[IOUTER:.*]] = arith.ceildivui %n, %[[FOUR]] : index
// CHECK-NEXT: tir.for %[[IO:.*]] = %{{.*}} to %[[IOUTER]] step %{{.*}} serial {
// CHECK-NEXT: tir.for %[[JO:.*]] = %{{.*}} to %[[TWO]] step %{{.*}} serial {
// CHECK-NEXT: tir.for %[[II:.*]] = %{{.*}} to %[[FOUR]] step %{{.*}} serial {
// CHECK-NEXT: tir.for %[[JI:.*]] = %{{.*}} to %[[EIGHT]] step %{{.*}} serial {
// CHECK-NEXT: %[[IM:.*]] = arith.muli %[[IO]], %[[FOUR]] : index
// CHECK-NEXT: %[[I:.*]] = arith.addi %[[IM]], %[[II]] : index
// CHECK-NEXT: %[[JM:.*]] = arith.muli %[[JO]], %[[EIGHT]] : index
// CHECK-NEXT: %[[J:.*]] = arith.addi %[[JM]], %[[JI]] : index
// CHECK-NEXT: tir.for %{{.*}} = %{{.*}} to %c32 step %{{.*}} serial {
// CHECK-NEXT: %[[IN:.*]] = arith.cmpi ult, %[[I]], %n : index
// CHECK-NEXT: scf.if %[[IN]] {
// CHECK-NEXT: tir.block "mm" (%{{.*}} = spatial %[[I]] < %n, %{{.*}} = spatial %[[J]] < %c16, %{{.*}} = reduce
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
