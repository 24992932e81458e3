// RUN: xunity-opt %s --split-input-file -p graph-legalize | filecheck %s

// softmax: the row maximum, then one pass that stores e = exp(x - max) in
// the f32 output and sums it (the row sum is carried in a register after
// convert-tir-to-cpu promotes it), its reciprocal, then y = e * (1/sum) in
// place.  exp runs once per element; row buffers are f32 scratch over the
// non-softmax dims; every step sits inside one parallel loop over rows.
// The max skips NaN (maxnumf): a NaN makes the whole row NaN through exp
// and the sum anyway.
// CHECK-LABEL: func.func @softmax_subtracts_row_max
// CHECK: func.func private @graph_softmax_0
// CHECK: %[[MAX:.*]] = tir.alloc_buffer(%n) : memref<?xf32>
// CHECK-NEXT: %[[SUM:.*]] = tir.alloc_buffer(%n) : memref<?xf32>
// CHECK: tir.for %[[ROW:.*]] = %{{.*}} to %n step %{{.*}} parallel {
// CHECK-NOT: parallel
// CHECK: tir.block "softmax_max_init1" (%{{.*}} = spatial %[[ROW]] < %n)
// CHECK-NEXT: %[[NEG_INF:.*]] = arith.constant 0xff800000 : f32
// CHECK-NEXT: tir.store %[[NEG_INF]], %[[MAX]]
// CHECK: tir.block "softmax_max_update2"
// CHECK: arith.maxnumf
// CHECK: tir.block "softmax_sum_init3"
// CHECK: tir.block "softmax_exp_sum4" (%[[I:.*]] = spatial %{{.*}} < %n, %[[J:[0-9]+]] = reduce
// CHECK-NEXT: %[[X:.*]] = tir.load %in0[%[[I]], %[[J]]]
// CHECK-NEXT: %[[M:.*]] = tir.load %[[MAX]][%[[I]]]
// CHECK-NEXT: %[[D:.*]] = arith.subf %[[X]], %[[M]] : f32
// CHECK-NEXT: %[[E:.*]] = math.exp %[[D]] : f32
// CHECK-NEXT: tir.store %[[E]], %out0[%[[I]], %[[J]]]
// CHECK-NEXT: %[[ACC:.*]] = tir.load %[[SUM]][%[[I]]]
// CHECK-NEXT: %[[NEW:.*]] = arith.addf %[[ACC]], %[[E]] fastmath<reassoc> : f32
// CHECK-NEXT: tir.store %[[NEW]], %[[SUM]][%[[I]]]
// CHECK: tir.block "softmax_sum_final5"
// CHECK: arith.divf
// CHECK: tir.block "softmax6" (%[[I2:.*]] = spatial %{{.*}} < %n, %[[J2:[0-9]+]] = spatial
// CHECK-NEXT: %[[E3:.*]] = tir.load %out0[%[[I2]], %[[J2]]]
// CHECK-NEXT: %[[INV:.*]] = tir.load %[[SUM]][%[[I2]]]
// CHECK-NEXT: %[[Y:.*]] = arith.mulf %[[E3]], %[[INV]] : f32
// CHECK-NEXT: tir.store %[[Y]], %out0[%[[I2]], %[[J2]]]
func.func @softmax_subtracts_row_max(%x: !graph.tensor<[n, 64], f32>) -> !graph.tensor<[n, 64], f32> {
  %y = graph.softmax %x axis = -1 : !graph.tensor<[n, 64], f32>
  func.return %y : !graph.tensor<[n, 64], f32>
}

// -----

// A non-trailing softmax axis: the row buffers drop that axis, and every
// access skips it.  An f16 output recomputes exp(x - max) in the last step,
// so the result is rounded to f16 once.
// CHECK-LABEL: func.func @softmax_middle_axis_f16
// CHECK: func.func private @graph_softmax_0
// CHECK: %[[MAX:.*]] = tir.alloc_buffer(%n) : memref<?x4xf32>
// CHECK: tir.block "softmax_max_update2" (%[[A:.*]] = spatial %{{.*}} < %n, %[[B:[0-9]+]] = spatial %{{.*}}, %[[R:[0-9]+]] = reduce
// CHECK: tir.load %in0[%[[A]], %[[R]], %[[B]]] : memref<?x8x4xf16>
// CHECK: tir.block "softmax_sum_update4"
// CHECK: math.exp
// CHECK: tir.block "softmax6" (%[[I:.*]] = spatial %{{.*}} < %n, %[[J:[0-9]+]] = spatial %{{.*}}, %[[K:[0-9]+]] = spatial
// CHECK: tir.load %[[MAX]][%[[I]], %[[K]]]
// CHECK: math.exp
// CHECK: arith.mulf
// CHECK-NEXT: arith.truncf %{{.*}} : f32 to f16
// CHECK-NEXT: tir.store %{{.*}}, %out0[%[[I]], %[[J]], %[[K]]] : memref<?x8x4xf16>
func.func @softmax_middle_axis_f16(%x: !graph.tensor<[n, 8, 4], f16>) -> !graph.tensor<[n, 8, 4], f16> {
  %y = graph.softmax %x axis = 1 : !graph.tensor<[n, 8, 4], f16>
  func.return %y : !graph.tensor<[n, 8, 4], f16>
}

// -----

// layer_norm: mean, then 1/sqrt(var + eps) from a second pass over x - mean,
// then (x - mean) * rstd * gamma + beta.
// CHECK-LABEL: func.func @layer_norm_two_pass_variance
// CHECK: func.func private @graph_layer_norm_0
// CHECK: %[[MEAN:.*]] = tir.alloc_buffer(%n) : memref<?xf32>
// CHECK-NEXT: %[[RSTD:.*]] = tir.alloc_buffer(%n) : memref<?xf32>
// CHECK: tir.for %{{.*}} = %{{.*}} to %n step %{{.*}} parallel {
// CHECK-NOT: parallel
// CHECK: tir.block "layer_norm_mean_update2"
// CHECK: tir.block "layer_norm_mean_final3"
// CHECK: arith.divf
// CHECK: tir.block "layer_norm_rstd_update5" (%[[S:.*]] = spatial %{{.*}} < %n, %[[R:[0-9]+]] = reduce
// CHECK-NEXT: %[[ACC:.*]] = tir.load %[[RSTD]][%[[S]]]
// CHECK-NEXT: %[[X:.*]] = tir.load %in0[%[[S]], %[[R]]]
// CHECK-NEXT: %[[M:.*]] = tir.load %[[MEAN]][%[[S]]]
// CHECK-NEXT: %[[D:.*]] = arith.subf %[[X]], %[[M]] : f32
// CHECK-NEXT: %[[SQ:.*]] = arith.mulf %[[D]], %[[D]] : f32
// CHECK-NEXT: arith.addf %[[ACC]], %[[SQ]] fastmath<reassoc> : f32
// CHECK: tir.block "layer_norm_rstd_final6"
// CHECK: %[[VAR:.*]] = arith.divf
// CHECK-NEXT: %[[EPS:.*]] = arith.constant 1.000000e-05 : f32
// CHECK-NEXT: %[[SHIFTED:.*]] = arith.addf %[[VAR]], %[[EPS]] : f32
// CHECK-NEXT: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT: %[[STD:.*]] = math.sqrt %[[SHIFTED]] : f32
// CHECK-NEXT: arith.divf %[[ONE]], %[[STD]] : f32
// CHECK: tir.block "layer_norm7" (%[[I:.*]] = spatial %{{.*}} < %n, %[[J:[0-9]+]] = spatial
// CHECK-NEXT: %[[X2:.*]] = tir.load %in0[%[[I]], %[[J]]]
// CHECK-NEXT: %[[M2:.*]] = tir.load %[[MEAN]][%[[I]]]
// CHECK-NEXT: %[[D2:.*]] = arith.subf %[[X2]], %[[M2]] : f32
// CHECK-NEXT: %[[R2:.*]] = tir.load %[[RSTD]][%[[I]]]
// CHECK-NEXT: %[[N2:.*]] = arith.mulf %[[D2]], %[[R2]] : f32
// CHECK-NEXT: %[[G:.*]] = tir.load %in1[%[[J]]]
// CHECK-NEXT: %[[SCALED:.*]] = arith.mulf %[[N2]], %[[G]] : f32
// CHECK-NEXT: %[[B:.*]] = tir.load %in2[%[[J]]]
// CHECK-NEXT: %[[Y:.*]] = arith.addf %[[SCALED]], %[[B]] : f32
// CHECK-NEXT: tir.store %[[Y]], %out0[%[[I]], %[[J]]]
func.func @layer_norm_two_pass_variance(%x: !graph.tensor<[n, 768], f32>, %g: !graph.tensor<[768], f32>, %b: !graph.tensor<[768], f32>) -> !graph.tensor<[n, 768], f32> {
  %y = graph.layer_norm %x, %g, %b axes = [-1] eps = 1.000000e-05 : !graph.tensor<[n, 768], f32>, !graph.tensor<[768], f32>, !graph.tensor<[768], f32>
  func.return %y : !graph.tensor<[n, 768], f32>
}

// -----

// Several trailing axes: one reduce variable per normalized axis, and the
// count is their product.
// CHECK-LABEL: func.func @layer_norm_two_trailing_axes
// CHECK: func.func private @graph_layer_norm_0
// CHECK: %[[COUNT:.*]] = arith.muli %h, %w : index
// CHECK: tir.block "layer_norm_mean_update2" (%[[S:.*]] = spatial %{{.*}} < %b, %[[R0:[0-9]+]] = reduce %{{.*}} < %h, %[[R1:[0-9]+]] = reduce %{{.*}} < %w)
// CHECK: tir.load %in0[%[[S]], %[[R0]], %[[R1]]]
// CHECK: tir.block "layer_norm_mean_final3"
// CHECK: arith.index_cast %[[COUNT]] : index to i64
// CHECK: tir.block "layer_norm7"
// CHECK: tir.load %in1[%{{.*}}, %{{.*}}] : memref<?x?xf32>
func.func @layer_norm_two_trailing_axes(%x: !graph.tensor<[b, h, w], f32>, %g: !graph.tensor<[h, w], f32>, %bt: !graph.tensor<[h, w], f32>) -> !graph.tensor<[b, h, w], f32> {
  %y = graph.layer_norm %x, %g, %bt axes = [1, 2] eps = 1.000000e-05 : !graph.tensor<[b, h, w], f32>, !graph.tensor<[h, w], f32>, !graph.tensor<[h, w], f32>
  func.return %y : !graph.tensor<[b, h, w], f32>
}

// -----

// rms_norm: 1/sqrt(mean(x^2) + eps), then x * rstd * weight.
// CHECK-LABEL: func.func @rms_norm_scales_by_root_mean_square
// CHECK: func.func private @graph_rms_norm_0
// CHECK: %[[RSTD:.*]] = tir.alloc_buffer(%n) : memref<?xf32>
// CHECK: tir.block "rms_norm_rstd_update2" (%[[S:.*]] = spatial %{{.*}} < %n, %[[R:[0-9]+]] = reduce
// CHECK-NEXT: %[[ACC:.*]] = tir.load %[[RSTD]][%[[S]]]
// CHECK-NEXT: %[[XH:.*]] = tir.load %in0[%[[S]], %[[R]]] : memref<?x4096xf16>
// CHECK-NEXT: %[[X:.*]] = arith.extf %[[XH]] : f16 to f32
// CHECK-NEXT: %[[SQ:.*]] = arith.mulf %[[X]], %[[X]] : f32
// CHECK-NEXT: arith.addf %[[ACC]], %[[SQ]] fastmath<reassoc> : f32
// CHECK: tir.block "rms_norm_rstd_final3"
// CHECK: math.sqrt
// CHECK: tir.block "rms_norm4" (%[[I:.*]] = spatial %{{.*}} < %n, %[[J:[0-9]+]] = spatial
// CHECK: %[[N:.*]] = arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK: tir.load %in1[%[[J]]] : memref<4096xf16>
// CHECK: %[[Y:.*]] = arith.mulf %[[N]], %{{.*}} : f32
// CHECK-NEXT: %[[YH:.*]] = arith.truncf %[[Y]] : f32 to f16
// CHECK-NEXT: tir.store %[[YH]], %out0[%[[I]], %[[J]]]
func.func @rms_norm_scales_by_root_mean_square(%x: !graph.tensor<[n, 4096], f16>, %w: !graph.tensor<[4096], f16>) -> !graph.tensor<[n, 4096], f16> {
  %y = graph.rms_norm %x, %w axes = [-1] eps = 1.000000e-06 : !graph.tensor<[n, 4096], f16>, !graph.tensor<[4096], f16>
  func.return %y : !graph.tensor<[n, 4096], f16>
}
