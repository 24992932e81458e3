// RUN: not xunity-opt %s -p 'tir-apply-schedule{trace="vectorize(update[0])"}' 2>&1 | filecheck %s --check-prefix=VECTORIZE
// RUN: not xunity-opt %s -p 'tir-apply-schedule{trace="unroll(update[0])"}' 2>&1 | filecheck %s --check-prefix=UNROLL
// RUN: not xunity-opt %s -p 'tir-apply-schedule{trace="parallel(update[1])"}' 2>&1 | filecheck %s --check-prefix=PARALLEL
// RUN: not xunity-opt %s -p 'tir-apply-schedule{trace="split(init[0], [None, 4]); parallel(init[0]); parallel(init[1])"}' 2>&1 | filecheck %s --check-prefix=NESTED
// RUN: not xunity-opt %s -p 'tir-apply-schedule{trace="split(update[0], [4, 4])"}' 2>&1 | filecheck %s --check-prefix=SYMBOLIC
// RUN: not xunity-opt %s -p 'tir-apply-schedule{trace="split(update[1], [2, 2])"}' 2>&1 | filecheck %s --check-prefix=COVER
// RUN: not xunity-opt %s -p 'tir-apply-schedule{trace="split(update[1], [None, None])"}' 2>&1 | filecheck %s --check-prefix=TWO-NONE
// RUN: not xunity-opt %s -p 'tir-apply-schedule{trace="reorder(update[1], update[0])"}' 2>&1 | filecheck %s --check-prefix=PERFECT
// RUN: not xunity-opt %s -p 'tir-apply-schedule{trace="fuse(init[0], update[1])"}' 2>&1 | filecheck %s --check-prefix=FUSE
// RUN: not xunity-opt %s -p 'tir-apply-schedule{trace="parallel(update[0]); split(update[0], [None, 2])"}' 2>&1 | filecheck %s --check-prefix=SERIAL
// RUN: not xunity-opt %s -p 'tir-apply-schedule{trace="unroll(update[5])"}' 2>&1 | filecheck %s --check-prefix=INDEX
// RUN: not xunity-opt %s -p 'tir-apply-schedule{trace="frobnicate(update[0])"}' 2>&1 | filecheck %s --check-prefix=UNKNOWN
// RUN: not xunity-opt %s -p 'tir-apply-schedule{trace="split(update[0], 4)"}' 2>&1 | filecheck %s --check-prefix=ARGUMENT

// VECTORIZE: tir-apply-schedule: @row_sum: vectorize: the loop needs a constant extent
// UNROLL: tir-apply-schedule: @row_sum: unroll: the loop needs a constant extent
// PARALLEL: tir-apply-schedule: @row_sum: parallel: the loop is bound to a reduce iteration variable of block "update"; only spatial ones are allowed
// NESTED: tir-apply-schedule: @row_sum: parallel: parallel loops must not nest
// SYMBOLIC: tir-apply-schedule: @row_sum: split: a symbolic extent needs one factor None (inferred as a ceildiv)
// COVER: tir-apply-schedule: @row_sum: split: factors [2, 2] (product 4) do not cover extent 64
// TWO-NONE: tir-apply-schedule: @row_sum: split: at most one factor may be None (inferred)
// PERFECT: tir-apply-schedule: @row_sum: reorder: the loops must be perfectly nested; a loop body also holds tir.block
// FUSE: tir-apply-schedule: @row_sum: fuse: the loops must be perfectly nested; a loop body also holds tir.block
// SERIAL: tir-apply-schedule: @row_sum: split: the loop must be serial, it is parallel
// INDEX: tir-apply-schedule: @row_sum: trace: block "update" has 2 loops, no loop 5
// UNKNOWN: tir-apply-schedule: trace: line 1: unknown primitive 'frobnicate'
// ARGUMENT: tir-apply-schedule: trace: line 1: argument 2 of split must be a list of ints / None: split(update[0], 4)
func.func @row_sum(%n: index {tir.shape_var = "n"}, %in0: memref<?x64xf32> {tir.dims = #graph.dims<[n, 64]>}, %out0: memref<?xf32> {tir.dims = #graph.dims<[n]>}) attributes {tir.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  tir.for %i = %c0 to %n step %c1 serial {
    tir.block "init" (%vi = spatial %i < %n) writes(%out0 : memref<?xf32>) {
      %zero = arith.constant 0.000000e+00 : f32
      tir.store %zero, %out0[%vi] : memref<?xf32>
    }
    tir.for %k = %c0 to %c64 step %c1 serial {
      tir.block "update" (%vi = spatial %i < %n, %vk = reduce %k < %c64) reads(%in0 : memref<?x64xf32>) writes(%out0 : memref<?xf32>) {
        %acc = tir.load %out0[%vi] : memref<?xf32>
        %x = tir.load %in0[%vi, %vk] : memref<?x64xf32>
        %s = arith.addf %acc, %x : f32
        tir.store %s, %out0[%vi] : memref<?xf32>
      }
    }
  }
  func.return
}
