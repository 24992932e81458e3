// RUN: xunity-opt %s -p 'tir-apply-schedule{func=symbolic trace="split(copy[0], [None, 4])"}' | filecheck %s --check-prefix=SYM
// RUN: xunity-opt %s -p 'tir-apply-schedule{func=exact trace="split(copy[0], [4, 16])"}' | filecheck %s --check-prefix=EXACT
// RUN: xunity-opt %s -p 'tir-apply-schedule{func=exact trace="split(copy[0], [None, 10])"}' | filecheck %s --check-prefix=REM
// RUN: xunity-opt %s -p 'tir-apply-schedule{func=symbolic trace="split(copy[0], [None, 4])"}' | xunity-opt | filecheck %s --check-prefix=SYM

// A symbolic extent: the outer extent is ceildiv(n, 4), the block is guarded
// and bound to outer * 4 + inner.
// SYM-LABEL: func.func @symbolic
// SYM-DAG: %[[FOUR:.*]] = arith.constant 4 : index
// SYM-DAG: %[[OUTER:.*]] = arith.ceildivui %n, %[[FOUR]] : index
// SYM: tir.for %[[IO:.*]] = %{{.*}} to %[[OUTER]] step %{{.*}} serial {
// SYM-NEXT: tir.for %[[II:.*]] = %{{.*}} to %[[FOUR]] step %{{.*}} serial {
// SYM-NEXT: %[[M:.*]] = arith.muli %[[IO]], %[[FOUR]] : index
// SYM-NEXT: %[[I:.*]] = arith.addi %[[M]], %[[II]] : index
// SYM-NEXT: %[[IN:.*]] = arith.cmpi ult, %[[I]], %n : index
// SYM-NEXT: scf.if %[[IN]] {
// SYM-NEXT: tir.block "copy" (%{{.*}} = spatial %[[I]] < %n)
func.func @symbolic(%n: index {tir.shape_var = "n"}, %in0: memref<?xf32> {tir.dims = #graph.dims<[n]>}, %out0: memref<?xf32> {tir.dims = #graph.dims<[n]>}) attributes {tir.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  tir.for %i = %c0 to %n step %c1 serial {
    tir.block "copy" (%vi = spatial %i < %n) reads(%in0 : memref<?xf32>) writes(%out0 : memref<?xf32>) {
      %x = tir.load %in0[%vi] : memref<?xf32>
      tir.store %x, %out0[%vi] : memref<?xf32>
    }
  }
  func.return
}

// Factors that multiply to the constant extent need no guard.
// EXACT-LABEL: func.func @exact
// EXACT-DAG: %[[FOUR:.*]] = arith.constant 4 : index
// EXACT-DAG: %[[SIXTEEN:.*]] = arith.constant 16 : index
// EXACT: tir.for %[[IO:.*]] = %{{.*}} to %[[FOUR]] step %{{.*}} serial {
// EXACT-NEXT: tir.for %[[II:.*]] = %{{.*}} to %[[SIXTEEN]] step %{{.*}} serial {
// EXACT-NEXT: %[[M:.*]] = arith.muli %[[IO]], %[[SIXTEEN]] : index
// EXACT-NEXT: %[[I:.*]] = arith.addi %[[M]], %[[II]] : index
// EXACT-NEXT: tir.block "copy" (%{{.*}} = spatial %[[I]] < %{{.*}})
// EXACT-NOT: scf.if

// A constant extent the factors do not divide: 64 = 7 * 10 - 6, guarded.
// REM-LABEL: func.func @exact
// REM-DAG: %[[SEVEN:.*]] = arith.constant 7 : index
// REM: tir.for %{{.*}} = %{{.*}} to %[[SEVEN]] step
// REM: %[[IN:.*]] = arith.cmpi ult, %{{.*}}, %[[E64:.*]] : index
// REM-NEXT: scf.if %[[IN]] {
func.func @exact(%in0: memref<64xf32> {tir.dims = #graph.dims<[64]>}, %out0: memref<64xf32> {tir.dims = #graph.dims<[64]>}) attributes {tir.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  tir.for %i = %c0 to %c64 step %c1 serial {
    tir.block "copy" (%vi = spatial %i < %c64) reads(%in0 : memref<64xf32>) writes(%out0 : memref<64xf32>) {
      %x = tir.load %in0[%vi] : memref<64xf32>
      tir.store %x, %out0[%vi] : memref<64xf32>
    }
  }
  func.return
}
