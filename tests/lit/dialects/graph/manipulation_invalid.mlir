// RUN: xunity-opt %s --split-input-file --verify-diagnostics | filecheck %s

func.func @reshape_counts_differ(%x: !graph.tensor<[n, 12], f32>) {
  // CHECK: manipulation_invalid.mlir:5:3: error: graph.reshape: reshape element counts 12 and 13 differ
  %0 = graph.reshape %x : !graph.tensor<[n, 12], f32> -> !graph.tensor<[n, 13], f32>
  func.return
}

// -----

func.func @reshape_counts_unprovable(%x: !graph.tensor<[n, 4], f32>) {
  // CHECK: error: graph.reshape: reshape element counts n and m are not provably equal
  %0 = graph.reshape %x : !graph.tensor<[n, 4], f32> -> !graph.tensor<[m, 4], f32>
  func.return
}

// -----

func.func @reshape_changes_element_type(%x: !graph.tensor<[n, 4], f32>) {
  // CHECK: error: graph.reshape: result 0 has type !graph.tensor<[4 * n], f16>, but the operands imply !graph.tensor<[4 * n], f32>
  %0 = graph.reshape %x : !graph.tensor<[n, 4], f32> -> !graph.tensor<[4 * n], f16>
  func.return
}

// -----

func.func @permute_not_a_permutation(%x: !graph.tensor<[n, 4, 8], f32>) {
  // CHECK: error: graph.permute_dims: axes [1, 0] are not a permutation of rank 3
  %0 = graph.permute_dims %x axes = [1, 0] : !graph.tensor<[n, 4, 8], f32> -> !graph.tensor<[4, n], f32>
  func.return
}

// -----

func.func @permute_repeated_axis(%x: !graph.tensor<[n, 4], f32>) {
  // CHECK: error: graph.permute_dims: axes [1, -1] contain a repeated axis
  %0 = graph.permute_dims %x axes = [1, -1] : !graph.tensor<[n, 4], f32> -> !graph.tensor<[4, 4], f32>
  func.return
}

// -----

func.func @permute_axis_out_of_range(%x: !graph.tensor<[n, 4], f32>) {
  // CHECK: error: graph.permute_dims: axis 2 is out of range for rank 2
  %0 = graph.permute_dims %x axes = [2, 0] : !graph.tensor<[n, 4], f32> -> !graph.tensor<[4, n], f32>
  func.return
}

// -----

func.func @concat_other_dims_differ(%a: !graph.tensor<[n, 4], f32>, %b: !graph.tensor<[1, 5], f32>) {
  // CHECK: error: graph.concat: concat input 1 dim 1: 4 and 5 differ
  %0 = graph.concat %a, %b axis = 0 : !graph.tensor<[n, 4], f32>, !graph.tensor<[1, 5], f32> -> !graph.tensor<[n + 1, 4], f32>
  func.return
}

// -----

func.func @concat_other_dims_unprovable(%a: !graph.tensor<[n, 4], f32>, %b: !graph.tensor<[m, 4], f32>) {
  // CHECK: error: graph.concat: concat input 1 dim 0: cannot prove n == m
  %0 = graph.concat %a, %b axis = 1 : !graph.tensor<[n, 4], f32>, !graph.tensor<[m, 4], f32> -> !graph.tensor<[n, 8], f32>
  func.return
}

// -----

func.func @concat_rank_mismatch(%a: !graph.tensor<[n, 4], f32>, %b: !graph.tensor<[4], f32>) {
  // CHECK: error: graph.concat: concat inputs must all have the same rank
  %0 = graph.concat %a, %b axis = 0 : !graph.tensor<[n, 4], f32>, !graph.tensor<[4], f32> -> !graph.tensor<[n, 4], f32>
  func.return
}

// -----

func.func @concat_element_types_differ(%a: !graph.tensor<[n, 4], f32>, %b: !graph.tensor<[1, 4], f16>) {
  // CHECK: error: graph.concat: concat inputs 0 and 1 element types f32 and f16 differ
  %0 = graph.concat %a, %b axis = 0 : !graph.tensor<[n, 4], f32>, !graph.tensor<[1, 4], f16> -> !graph.tensor<[n + 1, 4], f32>
  func.return
}

// -----

func.func @concat_declared_sum_wrong(%a: !graph.tensor<[n, 4], f32>, %b: !graph.tensor<[1, 4], f32>) {
  // CHECK: error: graph.concat: result 0 has type !graph.tensor<[n, 4], f32>, but the operands imply !graph.tensor<[n + 1, 4], f32>
  %0 = graph.concat %a, %b axis = 0 : !graph.tensor<[n, 4], f32>, !graph.tensor<[1, 4], f32> -> !graph.tensor<[n, 4], f32>
  func.return
}

// -----

func.func @concat_axis_out_of_range(%a: !graph.tensor<[n, 4], f32>) {
  // CHECK: error: graph.concat: axis 2 is out of range for rank 2
  %0 = graph.concat %a, %a axis = 2 : !graph.tensor<[n, 4], f32>, !graph.tensor<[n, 4], f32> -> !graph.tensor<[n, 8], f32>
  func.return
}

// -----

func.func @split_sections_not_divisible(%x: !graph.tensor<[n, 10], f32>) {
  // CHECK: error: graph.split: split axis 1 of size 10 is not divisible into 3 sections
  %0, %1, %2 = graph.split %x sections = 3 axis = 1 : !graph.tensor<[n, 10], f32> -> !graph.tensor<[n, 3], f32>, !graph.tensor<[n, 3], f32>, !graph.tensor<[n, 3], f32>
  func.return
}

// -----

func.func @split_sections_not_provably_divisible(%x: !graph.tensor<[n, 10], f32>) {
  // CHECK: error: graph.split: split axis 0 of size n is not provably divisible into 2 sections
  %0, %1 = graph.split %x sections = 2 axis = 0 : !graph.tensor<[n, 10], f32> -> !graph.tensor<[n floordiv 2, 10], f32>, !graph.tensor<[n floordiv 2, 10], f32>
  func.return
}

// -----

func.func @split_sections_not_positive(%x: !graph.tensor<[n, 10], f32>) {
  // CHECK: error: graph.split: split sections must be positive, got 0
  %0 = graph.split %x sections = 0 axis = 1 : !graph.tensor<[n, 10], f32> -> !graph.tensor<[n, 10], f32>
  func.return
}

// -----

func.func @split_both_forms(%x: !graph.tensor<[n, 10], f32>) {
  // CHECK: error: graph.split: expects exactly one of `sections` or `indices`
  %0, %1 = graph.split %x sections = 2 indices = [5] axis = 1 : !graph.tensor<[n, 10], f32> -> !graph.tensor<[n, 5], f32>, !graph.tensor<[n, 5], f32>
  func.return
}

// -----

func.func @split_neither_form(%x: !graph.tensor<[n, 10], f32>) {
  // CHECK: error: graph.split: expects exactly one of `sections` or `indices`
  %0 = graph.split %x axis = 1 : !graph.tensor<[n, 10], f32> -> !graph.tensor<[n, 10], f32>
  func.return
}

// -----

func.func @split_index_negative(%x: !graph.tensor<[n, 10], f32>) {
  // CHECK: error: graph.split: split indices [-1] must be non-negative
  %0, %1 = graph.split %x indices = [-1] axis = 1 : !graph.tensor<[n, 10], f32> -> !graph.tensor<[n, 0], f32>, !graph.tensor<[n, 10], f32>
  func.return
}

// -----

func.func @split_indices_decreasing(%x: !graph.tensor<[n, 10], f32>) {
  // CHECK: error: graph.split: split indices [5, 2] must be non-decreasing
  %0, %1, %2 = graph.split %x indices = [5, 2] axis = 1 : !graph.tensor<[n, 10], f32> -> !graph.tensor<[n, 5], f32>, !graph.tensor<[n, 0], f32>, !graph.tensor<[n, 8], f32>
  func.return
}

// -----

func.func @split_index_beyond_dim(%x: !graph.tensor<[n, 10], f32>) {
  // CHECK: error: graph.split: split index 12 exceeds axis 1 of size 10
  %0, %1 = graph.split %x indices = [12] axis = 1 : !graph.tensor<[n, 10], f32> -> !graph.tensor<[n, 12], f32>, !graph.tensor<[n, 0], f32>
  func.return
}

// -----

func.func @split_wrong_result_count(%x: !graph.tensor<[n, 10], f32>) {
  // CHECK: error: graph.split: declares 2 results, expected 5
  %0, %1 = graph.split %x sections = 5 axis = 1 : !graph.tensor<[n, 10], f32> -> !graph.tensor<[n, 2], f32>, !graph.tensor<[n, 2], f32>
  func.return
}

// -----

func.func @slice_bound_counts_differ(%x: !graph.tensor<[m, 64], f32>) {
  // CHECK: error: graph.strided_slice: slice needs one begin, end and stride per axis; got 1 axes, 2 begin, 1 end, 1 strides
  %0 = graph.strided_slice %x axes = [0] begin = #graph.dims<[0, 0]> end = #graph.dims<[n]> strides = [1] : !graph.tensor<[m, 64], f32> -> !graph.tensor<[n, 64], f32>
  func.return
}

// -----

func.func @slice_stride_not_positive(%x: !graph.tensor<[m, 64], f32>) {
  // CHECK: error: graph.strided_slice: slice stride 0 on axis 1 must be positive
  %0 = graph.strided_slice %x axes = [1] begin = #graph.dims<[0]> end = #graph.dims<[64]> strides = [0] : !graph.tensor<[m, 64], f32> -> !graph.tensor<[m, 64], f32>
  func.return
}

// -----

func.func @slice_begin_negative(%x: !graph.tensor<[m, 64], f32>) {
  // CHECK: error: graph.strided_slice: slice begin -1 on axis 1 is negative
  %0 = graph.strided_slice %x axes = [1] begin = #graph.dims<[-1]> end = #graph.dims<[64]> strides = [1] : !graph.tensor<[m, 64], f32> -> !graph.tensor<[m, 65], f32>
  func.return
}

// -----

func.func @slice_end_beyond_dim(%x: !graph.tensor<[n, 64], f32>) {
  // CHECK: error: graph.strided_slice: slice end n + 1 on axis 0 exceeds the dim n
  %0 = graph.strided_slice %x axes = [0] begin = #graph.dims<[0]> end = #graph.dims<[n + 1]> strides = [1] : !graph.tensor<[n, 64], f32> -> !graph.tensor<[n + 1, 64], f32>
  func.return
}

// -----

func.func @slice_begin_after_end(%x: !graph.tensor<[m, 64], f32>) {
  // CHECK: error: graph.strided_slice: slice begin n + 1 on axis 0 exceeds its end n
  %0 = graph.strided_slice %x axes = [0] begin = #graph.dims<[n + 1]> end = #graph.dims<[n]> strides = [1] : !graph.tensor<[m, 64], f32> -> !graph.tensor<[m, 64], f32>
  func.return
}

// -----

func.func @take_float_indices(%x: !graph.tensor<[100, 8], f32>, %i: !graph.tensor<[n], f32>) {
  // CHECK: error: graph.take: indices must hold i32 or i64, got f32
  %0 = graph.take %x, %i axis = 0 : !graph.tensor<[100, 8], f32>, !graph.tensor<[n], f32> -> !graph.tensor<[n, 8], f32>
  func.return
}

// -----

func.func @take_axis_out_of_range(%x: !graph.tensor<[100, 8], f32>, %i: !graph.tensor<[n], i64>) {
  // CHECK: error: graph.take: axis 2 is out of range for rank 2
  %0 = graph.take %x, %i axis = 2 : !graph.tensor<[100, 8], f32>, !graph.tensor<[n], i64> -> !graph.tensor<[n, 8], f32>
  func.return
}

// -----

func.func @broadcast_to_lower_rank(%x: !graph.tensor<[n, 4], f32>) {
  // CHECK: error: graph.broadcast_to: cannot broadcast rank 2 to rank 1
  %0 = graph.broadcast_to %x : !graph.tensor<[n, 4], f32> -> !graph.tensor<[4], f32>
  func.return
}

// -----

func.func @broadcast_to_incompatible(%x: !graph.tensor<[n, 1], f32>) {
  // CHECK: error: graph.broadcast_to: input does not broadcast to [1, 4]
  %0 = graph.broadcast_to %x : !graph.tensor<[n, 1], f32> -> !graph.tensor<[1, 4], f32>
  func.return
}

// -----

func.func @broadcast_to_unprovable(%x: !graph.tensor<[n, 4], f32>) {
  // CHECK: error: graph.broadcast_to: broadcasting dim 0 of 2: cannot prove n == m
  %0 = graph.broadcast_to %x : !graph.tensor<[n, 4], f32> -> !graph.tensor<[m, 4], f32>
  func.return
}

// -----

func.func @expand_dims_repeated_axis(%x: !graph.tensor<[n], f32>) {
  // CHECK: error: graph.expand_dims: axes [0, -3] contain a repeated axis
  %0 = graph.expand_dims %x axes = [0, -3] : !graph.tensor<[n], f32> -> !graph.tensor<[1, 1, n], f32>
  func.return
}

// -----

func.func @expand_dims_axis_out_of_range(%x: !graph.tensor<[n], f32>) {
  // CHECK: error: graph.expand_dims: axis 2 is out of range for rank 2
  %0 = graph.expand_dims %x axes = [2] : !graph.tensor<[n], f32> -> !graph.tensor<[n, 1], f32>
  func.return
}

// -----

func.func @squeeze_dim_not_one(%x: !graph.tensor<[n, 4], f32>) {
  // CHECK: error: graph.squeeze: squeeze axis 0 has size n, not 1
  %0 = graph.squeeze %x axes = [0] : !graph.tensor<[n, 4], f32> -> !graph.tensor<[4], f32>
  func.return
}
