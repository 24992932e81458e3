// RUN: xunity-opt %s -p 'tir-apply-schedule{func=stencil trace="compute_at(double, pair[1])"}' | filecheck %s --check-prefix=INNER
// RUN: xunity-opt %s -p 'tir-apply-schedule{func=stencil trace="compute_at(double, pair[1])"}' --print-op-generic | xunity-opt | filecheck %s --check-prefix=INNER
// RUN: xunity-opt %s -p 'tir-apply-schedule{func=stencil trace="split(pair[0], [None, 4]); compute_at(double, pair[1])"}' | filecheck %s --check-prefix=TILE

// Under the consumer's j loop the producer computes T[i, j] and T[i, j + 1]
// (the box [j, j + 2) x [i, i + 1)): a loop of 2, no loop for the one-wide
// row, no guard since j + 2 <= 65.  Its old loop nest is gone.
// INNER-LABEL: func.func @stencil
// INNER: %[[TWO:.*]] = arith.constant 2 : index
// INNER: %T = tir.alloc_buffer(%n) : memref<?x65xf32>
// INNER-NEXT: tir.for %[[I:.*]] = %c0 to %n step %c1 serial {
// INNER-NEXT: tir.for %[[J:.*]] = %c0 to %c64 step %c1 serial {
// INNER-NEXT: tir.for %[[T:.*]] = %c0 to %[[TWO]] step %c1 serial {
// INNER-NEXT: %[[JT:.*]] = arith.addi %[[J]], %[[T]] : index
// INNER-NEXT: tir.block "double" (%{{.*}} = spatial %[[I]] < %n, %{{.*}} = spatial %[[JT]] < %c65)
// INNER: tir.block "pair" (%{{.*}} = spatial %[[I]] < %n, %{{.*}} = spatial %[[J]] < %c64)
// INNER-NOT: tir.block "double"

// Under a row tile of 4 (of a split with a remainder) the producer computes
// 4 rows, guarded by its own extent n for the last tile.
// TILE-LABEL: func.func @stencil
// TILE: tir.for %[[IO:.*]] = %c0 to %{{.*}} step %c1 serial {
// TILE-NEXT: tir.for %[[II:.*]] = %c0 to %[[FOUR:.*]] step %c1 serial {
// TILE-NEXT: %[[F:.*]] = arith.constant 4 : index
// TILE-NEXT: %[[LO:.*]] = arith.muli %[[IO]], %[[F]] : index
// TILE-NEXT: %[[ROW:.*]] = arith.addi %[[II]], %[[LO]] : index
// TILE-NEXT: tir.for %[[JJ:.*]] = %c0 to %c65 step %c1 serial {
// TILE-NEXT: %[[IN:.*]] = arith.cmpi ult, %[[ROW]], %n : index
// TILE-NEXT: scf.if %[[IN]] {
// TILE-NEXT: tir.block "double" (%{{.*}} = spatial %[[ROW]] < %n, %{{.*}} = spatial %[[JJ]] < %c65)
// TILE: tir.block "pair"
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
