// RUN: xunity-opt %s --split-input-file -p graph-legalize | filecheck %s

// The spatial loops run over the output (keepdims keeps a loop of 1), the
// reduce loop over the reduced axis; the input is indexed by both.
// CHECK-LABEL: func.func @sum_middle_axis_keepdims
// CHECK-NEXT: graph.call_tir @graph_sum_0(%{{.*}}) : (!graph.tensor<[b, n, 64], f32>) -> !graph.tensor<[b, 1, 64], f32>
// CHECK: func.func private @graph_sum_0(%b: index {tir.shape_var = "b"}, %n: index {tir.shape_var = "n"}, %in0: memref<?x?x64xf32> {tir.dims = #graph.dims<[b, n, 64]>}, %out0: memref<?x1x64xf32> {tir.dims = #graph.dims<[b, 1, 64]>}) attributes {tir.kernel}
// CHECK: tir.block "sum_init1" (%[[I0:.*]] = spatial %{{.*}} < %b, %[[I1:.*]] = spatial %{{.*}}, %[[I2:.*]] = spatial
// CHECK-NEXT: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: tir.store %[[ZERO]], %out0[%[[I0]], %[[I1]], %[[I2]]]
// CHECK: tir.for %[[R:.*]] = %{{.*}} to %n
// CHECK-NEXT: tir.block "sum_update2" (%[[S0:.*]] = spatial %{{.*}} < %b, %[[S1:.*]] = spatial %{{.*}}, %[[S2:.*]] = spatial %{{.*}}, %[[VR:.*]] = reduce %[[R]] < %n)
// CHECK-NEXT: %[[ACC:.*]] = tir.load %out0[%[[S0]], %[[S1]], %[[S2]]]
// CHECK-NEXT: %[[X:.*]] = tir.load %in0[%[[S0]], %[[VR]], %[[S2]]]
// CHECK-NEXT: %[[NEW:.*]] = arith.addf %[[ACC]], %[[X]] fastmath<reassoc> : f32
// CHECK-NEXT: tir.store %[[NEW]], %out0[%[[S0]], %[[S1]], %[[S2]]]
func.func @sum_middle_axis_keepdims(%x: !graph.tensor<[b, n, 64], f32>) -> !graph.tensor<[b, 1, 64], f32> {
  %s = graph.sum %x axes = [1] keepdims : !graph.tensor<[b, n, 64], f32> -> !graph.tensor<[b, 1, 64], f32>
  func.return %s : !graph.tensor<[b, 1, 64], f32>
}

// -----

// f16 sums accumulate in an f32 scratch buffer and are rounded once.
// CHECK-LABEL: func.func @sum_f16_accumulates_in_f32
// CHECK: func.func private @graph_sum_0
// CHECK: %[[ACC:.*]] = tir.alloc_buffer() : memref<8xf32>
// CHECK: tir.block "sum_update2"
// CHECK-NEXT: %[[OLD:.*]] = tir.load %[[ACC]][%{{.*}}] : memref<8xf32>
// CHECK-NEXT: %[[X:.*]] = tir.load %in0[%{{.*}}, %{{.*}}] : memref<?x8xf16>
// CHECK-NEXT: %[[W:.*]] = arith.extf %[[X]] : f16 to f32
// CHECK-NEXT: %[[NEW:.*]] = arith.addf %[[OLD]], %[[W]] fastmath<reassoc> : f32
// CHECK-NEXT: tir.store %[[NEW]], %[[ACC]]
// CHECK: tir.block "sum_final3"
// CHECK-NEXT: %[[SUM:.*]] = tir.load %[[ACC]]
// CHECK-NEXT: %[[HALF:.*]] = arith.truncf %[[SUM]] : f32 to f16
// CHECK-NEXT: tir.store %[[HALF]], %out0
func.func @sum_f16_accumulates_in_f32(%x: !graph.tensor<[n, 8], f16>) -> !graph.tensor<[8], f16> {
  %s = graph.sum %x axes = [0] : !graph.tensor<[n, 8], f16> -> !graph.tensor<[8], f16>
  func.return %s : !graph.tensor<[8], f16>
}

// -----

// Reducing every axis gives a rank-0 output: blocks with no spatial variables.
// CHECK-LABEL: func.func @sum_all_axes_to_scalar
// CHECK: func.func private @graph_sum_0
// CHECK-SAME: %out0: memref<i32> {tir.dims = #graph.dims<[]>}
// CHECK: tir.block "sum_init1" ()
// CHECK-NEXT: %[[ZERO:.*]] = arith.constant 0 : i32
// CHECK-NEXT: tir.store %[[ZERO]], %out0[] : memref<i32>
// CHECK: tir.block "sum_update2" (%[[R0:.*]] = reduce %{{.*}} < %n, %[[R1:.*]] = reduce %{{.*}} < %m)
// CHECK: tir.load %in0[%[[R0]], %[[R1]]]
// CHECK: arith.addi
func.func @sum_all_axes_to_scalar(%x: !graph.tensor<[n, m], i32>) -> !graph.tensor<[], i32> {
  %s = graph.sum %x : !graph.tensor<[n, m], i32> -> !graph.tensor<[], i32>
  func.return %s : !graph.tensor<[], i32>
}

// -----

// The mean divides the sum by the element count of the reduced dims.
// CHECK-LABEL: func.func @mean_divides_by_count
// CHECK: func.func private @graph_mean_0
// CHECK: %[[COUNT:.*]] = arith.muli %m, %n : index
// CHECK: tir.block "mean_update2"
// CHECK: tir.block "mean_final3"
// CHECK-NEXT: %[[SUM:.*]] = tir.load %out0[%{{.*}}]
// CHECK-NEXT: %[[I64:.*]] = arith.index_cast %[[COUNT]] : index to i64
// CHECK-NEXT: %[[F32:.*]] = arith.sitofp %[[I64]] : i64 to f32
// CHECK-NEXT: %[[MEAN:.*]] = arith.divf %[[SUM]], %[[F32]] : f32
// CHECK-NEXT: tir.store %[[MEAN]], %out0
func.func @mean_divides_by_count(%x: !graph.tensor<[b, n, m], f32>) -> !graph.tensor<[b], f32> {
  %s = graph.mean %x axes = [1, 2] : !graph.tensor<[b, n, m], f32> -> !graph.tensor<[b], f32>
  func.return %s : !graph.tensor<[b], f32>
}

// -----

// max starts at -inf and uses the NaN-propagating maximumf.
// CHECK-LABEL: func.func @max_float_starts_at_negative_infinity
// CHECK: func.func private @graph_max_0
// CHECK: tir.block "max_init1"
// CHECK-NEXT: %[[NEG_INF:.*]] = arith.constant 0xff800000 : f32
// CHECK-NEXT: tir.store %[[NEG_INF]], %out0
// CHECK: tir.block "max_update2"
// CHECK: arith.maximumf %{{.*}}, %{{.*}} : f32
func.func @max_float_starts_at_negative_infinity(%x: !graph.tensor<[n, 4], f32>) -> !graph.tensor<[n], f32> {
  %s = graph.max %x axes = [-1] : !graph.tensor<[n, 4], f32> -> !graph.tensor<[n], f32>
  func.return %s : !graph.tensor<[n], f32>
}

// -----

// Integer min starts at the largest value of the type and is signed.
// CHECK-LABEL: func.func @min_int_starts_at_type_max
// CHECK: func.func private @graph_min_0
// CHECK: tir.block "min_init1"
// CHECK-NEXT: %[[TOP:.*]] = arith.constant 127 : i8
// CHECK: tir.block "min_update2"
// CHECK: arith.minsi %{{.*}}, %{{.*}} : i8
func.func @min_int_starts_at_type_max(%x: !graph.tensor<[n, 4], i8>) -> !graph.tensor<[4], i8> {
  %s = graph.min %x axes = [0] : !graph.tensor<[n, 4], i8> -> !graph.tensor<[4], i8>
  func.return %s : !graph.tensor<[4], i8>
}

// -----

// i1 max is an unsigned max (false < true) starting at false.
// CHECK-LABEL: func.func @max_bool_is_unsigned
// CHECK: func.func private @graph_max_0
// CHECK: tir.block "max_init1"
// CHECK-NEXT: %[[FALSE:.*]] = arith.constant false
// CHECK: tir.block "max_update2"
// CHECK: arith.maxui %{{.*}}, %{{.*}} : i1
func.func @max_bool_is_unsigned(%x: !graph.tensor<[n], i1>) -> !graph.tensor<[], i1> {
  %s = graph.max %x : !graph.tensor<[n], i1> -> !graph.tensor<[], i1>
  func.return %s : !graph.tensor<[], i1>
}

// -----

// argmax keeps the running maximum in a scratch buffer; a strictly greater
// value or the first NaN replaces it, so the first maximum wins.
// CHECK-LABEL: func.func @argmax_first_maximum_or_nan
// CHECK: func.func private @graph_argmax_0
// CHECK-SAME: %out0: memref<?xi64>
// CHECK: %[[BEST:.*]] = tir.alloc_buffer(%n) : memref<?xf32>
// CHECK: tir.block "argmax_init1"
// CHECK-NEXT: %[[NEG_INF:.*]] = arith.constant 0xff800000 : f32
// CHECK-NEXT: tir.store %[[NEG_INF]], %[[BEST]]
// CHECK-NEXT: %[[ZERO:.*]] = arith.constant 0 : i64
// CHECK-NEXT: tir.store %[[ZERO]], %out0
// CHECK: tir.block "argmax_update2" (%[[S:.*]] = spatial %{{.*}} < %n, %[[R:.*]] = reduce
// CHECK-NEXT: %[[XH:.*]] = tir.load %in0[%[[S]], %[[R]]] : memref<?x32000xf16>
// CHECK-NEXT: %[[X:.*]] = arith.extf %[[XH]] : f16 to f32
// CHECK-NEXT: %[[OLD:.*]] = tir.load %[[BEST]][%[[S]]]
// CHECK-NEXT: %[[GT:.*]] = arith.cmpf ogt, %[[X]], %[[OLD]] : f32
// CHECK-NEXT: %[[XNAN:.*]] = arith.cmpf uno, %[[X]], %[[X]] : f32
// CHECK-NEXT: %[[OLDNUM:.*]] = arith.cmpf ord, %[[OLD]], %[[OLD]] : f32
// CHECK-NEXT: %[[FIRSTNAN:.*]] = arith.andi %[[XNAN]], %[[OLDNUM]] : i1
// CHECK-NEXT: %[[TAKE:.*]] = arith.ori %[[GT]], %[[FIRSTNAN]] : i1
// CHECK-NEXT: %[[IDX:.*]] = arith.index_cast %[[R]] : index to i64
// CHECK-NEXT: %[[NEWBEST:.*]] = arith.select %[[TAKE]], %[[X]], %[[OLD]] : f32
// CHECK-NEXT: tir.store %[[NEWBEST]], %[[BEST]][%[[S]]]
// CHECK-NEXT: %[[OLDIDX:.*]] = tir.load %out0[%[[S]]]
// CHECK-NEXT: %[[NEWIDX:.*]] = arith.select %[[TAKE]], %[[IDX]], %[[OLDIDX]] : i64
// CHECK-NEXT: tir.store %[[NEWIDX]], %out0[%[[S]]]
func.func @argmax_first_maximum_or_nan(%x: !graph.tensor<[n, 32000], f16>) -> !graph.tensor<[n], i64> {
  %i = graph.argmax %x axis = -1 : !graph.tensor<[n, 32000], f16> -> !graph.tensor<[n], i64>
  func.return %i : !graph.tensor<[n], i64>
}

// -----

// Without an axis, argmax returns the row-major index into the flattened input.
// CHECK-LABEL: func.func @argmax_flattened_index
// CHECK: func.func private @graph_argmax_0
// CHECK: tir.block "argmax_update2" ({{.*}}, %[[R0:[0-9]+]] = reduce %{{.*}} < %n, %[[R1:[0-9]+]] = reduce %{{.*}} < %m)
// CHECK: %[[ROW:.*]] = arith.muli %[[R0]], %m : index
// CHECK-NEXT: %[[LIN:.*]] = arith.addi %[[ROW]], %[[R1]] : index
// CHECK-NEXT: arith.index_cast %[[LIN]] : index to i64
func.func @argmax_flattened_index(%x: !graph.tensor<[n, m], f32>) -> !graph.tensor<[1, 1], i64> {
  %i = graph.argmax %x keepdims : !graph.tensor<[n, m], f32> -> !graph.tensor<[1, 1], i64>
  func.return %i : !graph.tensor<[1, 1], i64>
}

// -----

// Integer argmax is a plain signed comparison: there is no NaN.
// CHECK-LABEL: func.func @argmax_int_signed_compare
// CHECK: func.func private @graph_argmax_0
// CHECK: tir.block "argmax_init1"
// CHECK-NEXT: arith.constant -2147483648 : i32
// CHECK: tir.block "argmax_update2"
// CHECK-NOT: arith.cmpf
// CHECK: %[[TAKE:.*]] = arith.cmpi sgt, %{{.*}}, %{{.*}} : i32
// CHECK-NOT: arith.cmpf
// CHECK: arith.select %[[TAKE]]
func.func @argmax_int_signed_compare(%x: !graph.tensor<[4, n], i32>) -> !graph.tensor<[n], i64> {
  %i = graph.argmax %x axis = 0 : !graph.tensor<[4, n], i32> -> !graph.tensor<[n], i64>
  func.return %i : !graph.tensor<[n], i64>
}
