// RUN: xunity-opt %s --split-input-file --verify-diagnostics | filecheck %s

func.func @broadcast_provably_different(%a: !graph.tensor<[n, 3], f32>, %b: !graph.tensor<[4], f32>) {
  // CHECK: elementwise_invalid.mlir:5:3: error: graph.add: broadcasting dim 1 of 2: 3 and 4 differ
  %0 = graph.add %a, %b : !graph.tensor<[n, 3], f32>, !graph.tensor<[4], f32> -> !graph.tensor<[n, 4], f32>
  func.return
}

// -----

func.func @broadcast_unprovable(%a: !graph.tensor<[n], f32>, %b: !graph.tensor<[m], f32>) {
  // CHECK: error: graph.mul: broadcasting dim 0 of 1: cannot prove n == m
  %0 = graph.mul %a, %b : !graph.tensor<[n], f32>, !graph.tensor<[m], f32> -> !graph.tensor<[n], f32>
  func.return
}

// -----

func.func @broadcast_symbolic_offset(%a: !graph.tensor<[n], f32>, %b: !graph.tensor<[n + 1], f32>) {
  // CHECK: error: graph.sub: broadcasting dim 0 of 1: n and n + 1 differ
  %0 = graph.sub %a, %b : !graph.tensor<[n], f32>, !graph.tensor<[n + 1], f32> -> !graph.tensor<[n], f32>
  func.return
}

// -----

func.func @declared_result_disagrees(%a: !graph.tensor<[n, 1], f32>, %b: !graph.tensor<[1, m], f32>) {
  // CHECK: error: graph.add: result 0 has type !graph.tensor<[n, n], f32>, but the operands imply !graph.tensor<[n, m], f32>
  %0 = graph.add %a, %b : !graph.tensor<[n, 1], f32>, !graph.tensor<[1, m], f32> -> !graph.tensor<[n, n], f32>
  func.return
}

// -----

func.func @mixed_element_types(%a: !graph.tensor<[4], f32>, %b: !graph.tensor<[4], f16>) {
  // CHECK: error: graph.div: operand element types f32 and f16 differ; insert graph.astype
  %0 = graph.div %a, %b : !graph.tensor<[4], f32>, !graph.tensor<[4], f16> -> !graph.tensor<[4], f32>
  func.return
}

// -----

func.func @transcendental_on_integers(%a: !graph.tensor<[4], i32>) {
  // CHECK: error: graph.exp: expects a floating-point tensor, got i32
  %0 = graph.exp %a : !graph.tensor<[4], i32>
  func.return
}

// -----

func.func @comparison_result_must_be_i1(%a: !graph.tensor<[4], f32>) {
  // CHECK: error: graph.less: result 0 has type !graph.tensor<[4], f32>, but the operands imply !graph.tensor<[4], i1>
  %0 = graph.less %a, %a : !graph.tensor<[4], f32>, !graph.tensor<[4], f32> -> !graph.tensor<[4], f32>
  func.return
}

// -----

func.func @where_condition_not_bool(%c: !graph.tensor<[4], f32>, %a: !graph.tensor<[4], f32>) {
  // CHECK: error: graph.where: condition must hold i1, got f32
  %0 = graph.where %c, %a, %a : !graph.tensor<[4], f32>, !graph.tensor<[4], f32>, !graph.tensor<[4], f32> -> !graph.tensor<[4], f32>
  func.return
}

// -----

func.func @where_branches_differ(%c: !graph.tensor<[4], i1>, %a: !graph.tensor<[4], f32>, %b: !graph.tensor<[4], i32>) {
  // CHECK: error: graph.where: branch element types f32 and i32 differ
  %0 = graph.where %c, %a, %b : !graph.tensor<[4], i1>, !graph.tensor<[4], f32>, !graph.tensor<[4], i32> -> !graph.tensor<[4], f32>
  func.return
}

// -----

func.func @astype_changes_shape(%a: !graph.tensor<[4], f32>) {
  // CHECK: error: graph.astype: result 0 has type !graph.tensor<[5], f16>, but the operands imply !graph.tensor<[4], f16>
  %0 = graph.astype %a : !graph.tensor<[4], f32> -> !graph.tensor<[5], f16>
  func.return
}
