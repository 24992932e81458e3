// RUN: xunity-opt %s --split-input-file -p graph-legalize | filecheck %s

// conv2d: bias initialises the output, then a reduction over (ic, kh, kw)
// whose padded positions select 0 and load at index 0 instead of outside.
// CHECK-LABEL: func.func private @graph_conv2d_0
// CHECK-SAME: %in0: memref<1x3x?x?xf32> {tir.dims = #graph.dims<[1, 3, h, w]>}, %in1: memref<4x3x3x3xf32>
// CHECK-SAME: %in2: memref<4xf32>
// CHECK-SAME: %out0: memref<1x4x?x?xf32> {tir.dims = #graph.dims<[1, 4, ((h - 1) floordiv 2) + 1, ((w - 1) floordiv 2) + 1]>}
// CHECK: tir.block "conv2d_init1" (%{{[0-9]+}} = spatial %{{[^,]*}}, %[[OO:[0-9]+]] = spatial %{{.*}}, %{{[0-9]+}} = spatial %{{[^,]*}}, %{{.*}} = spatial
// CHECK-NEXT: %[[BIAS:.*]] = tir.load %in2[%[[OO]]] : memref<4xf32>
// CHECK-NEXT: tir.store %[[BIAS]], %out0
// CHECK: tir.block "conv2d_update2" (%[[NN:[0-9]+]] = spatial %{{.*}}, %[[OC:[0-9]+]] = spatial %{{.*}}, %[[OH:[0-9]+]] = spatial %{{.*}}, %[[OW:[0-9]+]] = spatial %{{.*}}, %[[IC:[0-9]+]] = reduce %{{.*}}, %[[KH:[0-9]+]] = reduce %{{.*}}, %[[KW:[0-9]+]] = reduce
// CHECK-NEXT: %[[ACC:.*]] = tir.load %out0[%[[NN]], %[[OC]], %[[OH]], %[[OW]]]
// CHECK-NEXT: %[[SH:.*]] = arith.muli %[[OH]], %{{.*}} : index
// CHECK-NEXT: %[[H0:.*]] = arith.addi %[[SH]], %[[KH]] : index
// CHECK-NEXT: %[[IH:.*]] = arith.subi %[[H0]], %{{.*}} : index
// CHECK-NEXT: %[[HLO:.*]] = arith.cmpi sge, %[[IH]], %{{.*}} : index
// CHECK-NEXT: %[[HHI:.*]] = arith.cmpi slt, %[[IH]], %h : index
// CHECK-NEXT: %[[INH:.*]] = arith.andi %[[HLO]], %[[HHI]] : i1
// CHECK: %[[IW:.*]] = arith.subi
// CHECK: %[[INW:.*]] = arith.andi
// CHECK-NEXT: %[[IN:.*]] = arith.andi %[[INH]], %[[INW]] : i1
// CHECK-NEXT: %[[SAFEH:.*]] = arith.select %[[IN]], %[[IH]], %{{.*}} : index
// CHECK-NEXT: %[[SAFEW:.*]] = arith.select %[[IN]], %[[IW]], %{{.*}} : index
// CHECK-NEXT: %[[XX:.*]] = tir.load %in0[%[[NN]], %[[IC]], %[[SAFEH]], %[[SAFEW]]]
// CHECK-NEXT: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[XP:.*]] = arith.select %[[IN]], %[[XX]], %[[ZERO]] : f32
// CHECK-NEXT: %[[WW:.*]] = tir.load %in1[%[[OC]], %[[IC]], %[[KH]], %[[KW]]]
// CHECK-NEXT: %[[PP:.*]] = arith.mulf %[[XP]], %[[WW]] : f32
// CHECK-NEXT: %[[SS:.*]] = arith.addf %[[ACC]], %[[PP]] : f32
// CHECK-NEXT: tir.store %[[SS]], %out0[%[[NN]], %[[OC]], %[[OH]], %[[OW]]]
// CHECK-NOT: tir.alloc_buffer
func.func @conv2d_padded_strided_bias(%x: !graph.tensor<[1, 3, h, w], f32>, %w: !graph.tensor<[4, 3, 3, 3], f32>, %b: !graph.tensor<[4], f32>) -> !graph.tensor<[1, 4, ((h - 1) floordiv 2) + 1, ((w - 1) floordiv 2) + 1], f32> {
  %y = graph.conv2d %x, %w, %b strides = [2, 2] padding = [1, 1, 1, 1] dilation = [1, 1] groups = 1 : !graph.tensor<[1, 3, h, w], f32>, !graph.tensor<[4, 3, 3, 3], f32>, !graph.tensor<[4], f32> -> !graph.tensor<[1, 4, ((h - 1) floordiv 2) + 1, ((w - 1) floordiv 2) + 1], f32>
  func.return %y : !graph.tensor<[1, 4, ((h - 1) floordiv 2) + 1, ((w - 1) floordiv 2) + 1], f32>
}

// -----

// Without bias the output starts at 0; without padding there is still the
// bounds guard (it folds away for constant shapes later).
// CHECK-LABEL: func.func private @graph_conv2d_0
// CHECK: tir.block "conv2d_init1"
// CHECK-NEXT: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: tir.store %[[ZERO]], %out0
func.func @conv2d_without_bias_starts_at_zero(%x: !graph.tensor<[n, 2, 5, 5], f32>, %w: !graph.tensor<[2, 2, 1, 1], f32>) -> !graph.tensor<[n, 2, 5, 5], f32> {
  %y = graph.conv2d %x, %w strides = [1, 1] padding = [0, 0, 0, 0] dilation = [1, 1] groups = 1 : !graph.tensor<[n, 2, 5, 5], f32>, !graph.tensor<[2, 2, 1, 1], f32> -> !graph.tensor<[n, 2, 5, 5], f32>
  func.return %y : !graph.tensor<[n, 2, 5, 5], f32>
}

// -----

// groups: output channel o reads input channel (o floordiv (O / groups)) * IC + ic.
// CHECK-LABEL: func.func private @graph_conv2d_0
// CHECK-DAG: %[[OPG:.*]] = arith.constant 3 : index
// CHECK-DAG: %[[ICG:.*]] = arith.constant 2 : index
// CHECK: tir.block "conv2d_update2" (%{{[0-9]+}} = spatial %{{[^,]*}}, %[[OC:[0-9]+]] = spatial %{{.*}}, %{{[0-9]+}} = spatial %{{[^,]*}}, %{{[0-9]+}} = spatial %{{[^,]*}}, %[[IC:[0-9]+]] = reduce
// CHECK: %[[GG:.*]] = arith.floordivsi %[[OC]], %[[OPG]] : index
// CHECK-NEXT: %[[BASE:.*]] = arith.muli %[[GG]], %[[ICG]] : index
// CHECK-NEXT: %[[CC:.*]] = arith.addi %[[BASE]], %[[IC]] : index
// CHECK: tir.load %in0[%{{.*}}, %[[CC]], %{{.*}}, %{{.*}}]
// CHECK: tir.load %in1[%[[OC]], %[[IC]],
func.func @conv2d_groups_select_input_channels(%x: !graph.tensor<[1, 4, 6, 6], f32>, %w: !graph.tensor<[6, 2, 3, 3], f32>) -> !graph.tensor<[1, 6, 4, 4], f32> {
  %y = graph.conv2d %x, %w strides = [1, 1] padding = [0, 0, 0, 0] dilation = [1, 1] groups = 2 : !graph.tensor<[1, 4, 6, 6], f32>, !graph.tensor<[6, 2, 3, 3], f32> -> !graph.tensor<[1, 6, 4, 4], f32>
  func.return %y : !graph.tensor<[1, 6, 4, 4], f32>
}

// -----

// Dilation scales the kernel offset.
// CHECK-LABEL: func.func private @graph_conv2d_0
// CHECK: tir.block "conv2d_update2" (%{{[0-9]+}} = spatial %{{[^,]*}}, %{{[0-9]+}} = spatial %{{[^,]*}}, %{{[0-9]+}} = spatial %{{[^,]*}}, %{{[0-9]+}} = spatial %{{[^,]*}}, %{{[0-9]+}} = reduce %{{[^,]*}}, %[[KH:[0-9]+]] = reduce
// CHECK: %[[DIL:.*]] = arith.muli %[[KH]], %{{.*}} : index
// CHECK-NEXT: arith.addi %{{.*}}, %[[DIL]] : index
func.func @conv2d_dilation_scales_kernel_offset(%x: !graph.tensor<[1, 1, 7, 7], f32>, %w: !graph.tensor<[1, 1, 3, 3], f32>) -> !graph.tensor<[1, 1, 3, 3], f32> {
  %y = graph.conv2d %x, %w strides = [1, 1] padding = [0, 0, 0, 0] dilation = [2, 2] groups = 1 : !graph.tensor<[1, 1, 7, 7], f32>, !graph.tensor<[1, 1, 3, 3], f32> -> !graph.tensor<[1, 1, 3, 3], f32>
  func.return %y : !graph.tensor<[1, 1, 3, 3], f32>
}

// -----

// f16 accumulates in an f32 scratch buffer, narrowed once at the end.
// CHECK-LABEL: func.func private @graph_conv2d_0
// CHECK: %[[ACC:.*]] = tir.alloc_buffer() : memref<1x2x4x4xf32>
// CHECK: tir.block "conv2d_update2"
// CHECK: %[[XX:.*]] = tir.load %in0
// CHECK-NEXT: arith.extf %[[XX]] : f16 to f32
// CHECK: tir.store %{{.*}}, %[[ACC]]
// CHECK: tir.block "conv2d_cast3"
// CHECK-NEXT: %[[SS:.*]] = tir.load %[[ACC]]
// CHECK-NEXT: %[[TT:.*]] = arith.truncf %[[SS]] : f32 to f16
// CHECK-NEXT: tir.store %[[TT]], %out0
func.func @conv2d_f16_accumulates_in_f32(%x: !graph.tensor<[1, 2, 4, 4], f16>, %w: !graph.tensor<[2, 2, 3, 3], f16>) -> !graph.tensor<[1, 2, 4, 4], f16> {
  %y = graph.conv2d %x, %w strides = [1, 1] padding = [1, 1, 1, 1] dilation = [1, 1] groups = 1 : !graph.tensor<[1, 2, 4, 4], f16>, !graph.tensor<[2, 2, 3, 3], f16> -> !graph.tensor<[1, 2, 4, 4], f16>
  func.return %y : !graph.tensor<[1, 2, 4, 4], f16>
}

// -----

// Integer convolution: integer arithmetic, padding value 0.
// CHECK-LABEL: func.func private @graph_conv2d_0
// CHECK: tir.block "conv2d_update2"
// CHECK: %[[ZERO:.*]] = arith.constant 0 : i32
// CHECK-NEXT: %[[XP:.*]] = arith.select %{{.*}}, %{{.*}}, %[[ZERO]] : i32
// CHECK-NEXT: %[[WW:.*]] = tir.load %in1
// CHECK-NEXT: %[[PP:.*]] = arith.muli %[[XP]], %[[WW]] : i32
// CHECK-NEXT: arith.addi %{{.*}}, %[[PP]] : i32
func.func @conv2d_i32_uses_integer_ops(%x: !graph.tensor<[1, 1, 4, 4], i32>, %w: !graph.tensor<[1, 1, 3, 3], i32>) -> !graph.tensor<[1, 1, 4, 4], i32> {
  %y = graph.conv2d %x, %w strides = [1, 1] padding = [1, 1, 1, 1] dilation = [1, 1] groups = 1 : !graph.tensor<[1, 1, 4, 4], i32>, !graph.tensor<[1, 1, 3, 3], i32> -> !graph.tensor<[1, 1, 4, 4], i32>
  func.return %y : !graph.tensor<[1, 1, 4, 4], i32>
}

// -----

// max_pool2d: starts at -inf, padding selects -inf, NaN-propagating maximum.
// CHECK-LABEL: func.func private @graph_max_pool2d_0
// CHECK: tir.block "max_pool2d_init1"
// CHECK-NEXT: %[[NEG_INF:.*]] = arith.constant 0xff800000 : f32
// CHECK-NEXT: tir.store %[[NEG_INF]], %out0
// CHECK: tir.block "max_pool2d_update2"
// CHECK: %[[XX:.*]] = tir.load %in0
// CHECK-NEXT: %[[PAD:.*]] = arith.constant 0xff800000 : f32
// CHECK-NEXT: %[[XP:.*]] = arith.select %{{.*}}, %[[XX]], %[[PAD]] : f32
// CHECK-NEXT: %[[MM:.*]] = arith.maximumf %{{.*}}, %[[XP]] : f32
// CHECK-NEXT: tir.store %[[MM]], %out0
func.func @max_pool2d_padding_is_negative_infinity(%x: !graph.tensor<[n, c, 8, 8], f32>) -> !graph.tensor<[n, c, 4, 4], f32> {
  %y = graph.max_pool2d %x kernel = [3, 3] strides = [2, 2] padding = [1, 1, 1, 1] dilation = [1, 1] : !graph.tensor<[n, c, 8, 8], f32> -> !graph.tensor<[n, c, 4, 4], f32>
  func.return %y : !graph.tensor<[n, c, 4, 4], f32>
}

// -----

// Integer max_pool2d: the minimum integer is the identity.
// CHECK-LABEL: func.func private @graph_max_pool2d_0
// CHECK: arith.constant -2147483648 : i32
// CHECK: tir.block "max_pool2d_update2"
// CHECK: arith.maxsi %{{.*}}, %{{.*}} : i32
func.func @max_pool2d_i32_starts_at_int_min(%x: !graph.tensor<[1, 1, 4, 4], i32>) -> !graph.tensor<[1, 1, 2, 2], i32> {
  %y = graph.max_pool2d %x kernel = [2, 2] strides = [2, 2] padding = [0, 0, 0, 0] dilation = [1, 1] : !graph.tensor<[1, 1, 4, 4], i32> -> !graph.tensor<[1, 1, 2, 2], i32>
  func.return %y : !graph.tensor<[1, 1, 2, 2], i32>
}

// -----

// Boolean max_pool2d is `or`, starting at false.
// CHECK-LABEL: func.func private @graph_max_pool2d_0
// CHECK: tir.block "max_pool2d_update2"
// CHECK: arith.ori %{{.*}}, %{{.*}} : i1
func.func @max_pool2d_i1_is_or(%x: !graph.tensor<[1, 1, 4, 4], i1>) -> !graph.tensor<[1, 1, 2, 2], i1> {
  %y = graph.max_pool2d %x kernel = [2, 2] strides = [2, 2] padding = [0, 0, 0, 0] dilation = [1, 1] : !graph.tensor<[1, 1, 4, 4], i1> -> !graph.tensor<[1, 1, 2, 2], i1>
  func.return %y : !graph.tensor<[1, 1, 2, 2], i1>
}

// -----

// avg_pool2d: sum with padding selecting 0, then divide by the in-bounds
// count max(0, min(k, ceil((h - start) / d)) - ceil(max(0, -start) / d)) per axis.
// CHECK-LABEL: func.func private @graph_avg_pool2d_0
// CHECK: tir.block "avg_pool2d_update2"
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[XP:.*]] = arith.select %{{.*}}, %{{.*}}, %[[ZERO]] : f32
// CHECK-NEXT: arith.addf %{{.*}}, %[[XP]] : f32
// CHECK: tir.block "avg_pool2d_mean3" (%{{[0-9]+}} = spatial %{{[^,]*}}, %{{[0-9]+}} = spatial %{{[^,]*}}, %[[OH:[0-9]+]] = spatial
// CHECK-NEXT: %[[NEG:.*]] = arith.subi %[[ZERO_IX:.*]], %[[OH]] : index
// CHECK-NEXT: %[[CLAMPED:.*]] = arith.maxsi %[[ZERO_IX]], %[[NEG]] : index
// CHECK-NEXT: %[[FIRST:.*]] = arith.ceildivsi %[[CLAMPED]], %[[DIL:.*]] : index
// CHECK-NEXT: %[[REST:.*]] = arith.subi %h, %[[OH]] : index
// CHECK-NEXT: %[[RESTK:.*]] = arith.ceildivsi %[[REST]], %[[DIL]] : index
// CHECK-NEXT: %[[END:.*]] = arith.minsi %{{.*}}, %[[RESTK]] : index
// CHECK-NEXT: %[[DIFF:.*]] = arith.subi %[[END]], %[[FIRST]] : index
// CHECK-NEXT: %[[CH:.*]] = arith.maxsi %[[ZERO_IX]], %[[DIFF]] : index
// CHECK-COUNT-7: arith.
// CHECK-NEXT: %[[CW:.*]] = arith.maxsi
// CHECK-NEXT: %[[COUNT:.*]] = arith.muli %[[CH]], %[[CW]] : index
// CHECK-NEXT: %[[I64:.*]] = arith.index_cast %[[COUNT]] : index to i64
// CHECK-NEXT: %[[FF:.*]] = arith.sitofp %[[I64]] : i64 to f32
// CHECK-NEXT: %[[SUM:.*]] = tir.load %out0
// CHECK-NEXT: %[[MEAN:.*]] = arith.divf %[[SUM]], %[[FF]] : f32
// CHECK-NEXT: tir.store %[[MEAN]], %out0
func.func @avg_pool2d_counts_in_bounds_cells(%x: !graph.tensor<[1, 2, h, 9], f32>) -> !graph.tensor<[1, 2, h - 4, 5], f32> {
  %y = graph.avg_pool2d %x kernel = [3, 3] strides = [1, 2] padding = [0, 1, 0, 1] dilation = [2, 1] : !graph.tensor<[1, 2, h, 9], f32> -> !graph.tensor<[1, 2, h - 4, 5], f32>
  func.return %y : !graph.tensor<[1, 2, h - 4, 5], f32>
}

// -----

// f16 avg_pool2d sums in f32 scratch and narrows the mean.
// CHECK-LABEL: func.func private @graph_avg_pool2d_0
// CHECK: %[[ACC:.*]] = tir.alloc_buffer() : memref<1x1x2x2xf32>
// CHECK: tir.block "avg_pool2d_mean3"
// CHECK: %[[SUM:.*]] = tir.load %[[ACC]]
// CHECK-NEXT: %[[MEAN:.*]] = arith.divf %[[SUM]], %{{.*}} : f32
// CHECK-NEXT: %[[TT:.*]] = arith.truncf %[[MEAN]] : f32 to f16
// CHECK-NEXT: tir.store %[[TT]], %out0
func.func @avg_pool2d_f16_sums_in_f32(%x: !graph.tensor<[1, 1, 4, 4], f16>) -> !graph.tensor<[1, 1, 2, 2], f16> {
  %y = graph.avg_pool2d %x kernel = [2, 2] strides = [2, 2] padding = [0, 0, 0, 0] dilation = [1, 1] : !graph.tensor<[1, 1, 4, 4], f16> -> !graph.tensor<[1, 1, 2, 2], f16>
  func.return %y : !graph.tensor<[1, 1, 2, 2], f16>
}
