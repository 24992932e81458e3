// RUN: xunity-opt %s --split-input-file --verify-diagnostics | filecheck %s

func.func @call_tir_empty_callee(%x: !graph.tensor<[4], f32>) {
  // CHECK: call_invalid.mlir:5:3: error: graph.call_tir: callee name must be non-empty
  %0 = "graph.call_tir"(%x) <{callee = @""}> : (!graph.tensor<[4], f32>) -> !graph.tensor<[4], f32>
  func.return
}

// -----

func.func @kernel(%a: memref<4xf32>) {
  func.return
}

func.func @call_tir_no_results(%x: !graph.tensor<[4], f32>) {
  // CHECK: error: graph.call_tir: expects at least one result
  graph.call_tir @kernel(%x) : (!graph.tensor<[4], f32>) -> ()
  func.return
}

// -----

func.func @call_tir_callee_not_found(%x: !graph.tensor<[4], f32>) {
  // CHECK: error: graph.call_tir: callee @k not found
  %0 = graph.call_tir @k(%x) : (!graph.tensor<[4], f32>) -> !graph.tensor<[4], f32>
  func.return
}

// -----

func.func @kernel(%a: memref<4xf32>, %b: memref<4xf32>, %out: memref<4xf32>) {
  func.return
}

func.func @call_tir_arity(%x: !graph.tensor<[4], f32>) {
  // CHECK: error: graph.call_tir: callee @kernel takes 3 buffers, but the call passes 1 inputs + 1 outputs
  %0 = graph.call_tir @kernel(%x) : (!graph.tensor<[4], f32>) -> !graph.tensor<[4], f32>
  func.return
}

// -----

func.func @kernel(%a: memref<4xf32>, %out: memref<4xf32>) {
  func.return
}

func.func @call_tir_argument_not_tensor(%m: memref<4xf32>) {
  // CHECK: error: graph.call_tir: argument 0 must be a !graph.tensor, got memref<4xf32>
  %0 = graph.call_tir @kernel(%m) : (memref<4xf32>) -> !graph.tensor<[4], f32>
  func.return
}

// -----

func.func @kernel(%a: memref<4xf32>, %out: memref<4xf32>) {
  func.return
}

func.func @call_tir_result_not_tensor(%x: !graph.tensor<[4], f32>) {
  // CHECK: error: graph.call_tir: result 0 must be a !graph.tensor, got memref<4xf32>
  %0 = graph.call_tir @kernel(%x) : (!graph.tensor<[4], f32>) -> memref<4xf32>
  func.return
}

// -----

func.func @call_packed_empty_name(%x: !graph.tensor<[4], f32>) {
  // CHECK: error: graph.call_packed: callee name must be non-empty
  %0 = graph.call_packed ""(%x) : (!graph.tensor<[4], f32>) -> !graph.tensor<[4], f32>
  func.return
}
