// RUN: xunity-opt %s --split-input-file --verify-diagnostics | filecheck %s

func.func @axis_out_of_range(%x: !graph.tensor<[n, 4], f32>) {
  // CHECK: reduction_invalid.mlir:5:3: error: graph.sum: axis 2 is out of range for rank 2
  %0 = graph.sum %x axes = [2] : !graph.tensor<[n, 4], f32> -> !graph.tensor<[n], f32>
  func.return
}

// -----

func.func @repeated_axis(%x: !graph.tensor<[n, 4], f32>) {
  // CHECK: error: graph.max: axes [1, -1] contain a repeated axis
  %0 = graph.max %x axes = [1, -1] : !graph.tensor<[n, 4], f32> -> !graph.tensor<[n], f32>
  func.return
}

// -----

func.func @declared_result_disagrees(%x: !graph.tensor<[n, 4], f32>) {
  // CHECK: error: graph.min: result 0 has type !graph.tensor<[n], f32>, but the operands imply !graph.tensor<[n, 1], f32>
  %0 = graph.min %x axes = [1] keepdims : !graph.tensor<[n, 4], f32> -> !graph.tensor<[n], f32>
  func.return
}

// -----

func.func @mean_of_integers(%x: !graph.tensor<[n, 4], i32>) {
  // CHECK: error: graph.mean: expects a floating-point tensor, got i32
  %0 = graph.mean %x axes = [1] : !graph.tensor<[n, 4], i32> -> !graph.tensor<[n], i32>
  func.return
}

// -----

func.func @sum_of_booleans(%x: !graph.tensor<[n], i1>) {
  // CHECK: error: graph.sum: cannot sum i1 values; cast with graph.astype first
  %0 = graph.sum %x : !graph.tensor<[n], i1> -> !graph.tensor<[], i1>
  func.return
}

// -----

func.func @argmax_axis_out_of_range(%x: !graph.tensor<[n, 4], f32>) {
  // CHECK: error: graph.argmax: axis -3 is out of range for rank 2
  %0 = graph.argmax %x axis = -3 : !graph.tensor<[n, 4], f32> -> !graph.tensor<[4], i64>
  func.return
}

// -----

func.func @argmax_result_not_i64(%x: !graph.tensor<[n, 4], f32>) {
  // CHECK: error: graph.argmax: result 0 has type !graph.tensor<[n], i32>, but the operands imply !graph.tensor<[n], i64>
  %0 = graph.argmax %x axis = 1 : !graph.tensor<[n, 4], f32> -> !graph.tensor<[n], i32>
  func.return
}
