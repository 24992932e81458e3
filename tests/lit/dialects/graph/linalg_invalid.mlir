// RUN: xunity-opt %s --split-input-file --verify-diagnostics | filecheck %s

func.func @contraction_differs(%a: !graph.tensor<[n, 3], f32>, %b: !graph.tensor<[4, m], f32>) {
  // CHECK: linalg_invalid.mlir:5:3: error: graph.matmul: matmul contraction dim (lhs[-1] vs rhs[-2]): 3 and 4 differ
  %0 = graph.matmul %a, %b : !graph.tensor<[n, 3], f32>, !graph.tensor<[4, m], f32> -> !graph.tensor<[n, m], f32>
  func.return
}

// -----

func.func @contraction_unprovable(%a: !graph.tensor<[n, k], f32>, %b: !graph.tensor<[j, m], f32>) {
  // CHECK: error: graph.matmul: matmul contraction dim (lhs[-1] vs rhs[-2]): cannot prove k == j
  %0 = graph.matmul %a, %b : !graph.tensor<[n, k], f32>, !graph.tensor<[j, m], f32> -> !graph.tensor<[n, m], f32>
  func.return
}

// -----

func.func @batch_dims_do_not_broadcast(%a: !graph.tensor<[2, n, k], f32>, %b: !graph.tensor<[3, k, m], f32>) {
  // CHECK: error: graph.matmul: broadcasting dim 0 of 1: 2 and 3 differ
  %0 = graph.matmul %a, %b : !graph.tensor<[2, n, k], f32>, !graph.tensor<[3, k, m], f32> -> !graph.tensor<[2, n, m], f32>
  func.return
}

// -----

func.func @scalar_operand(%a: !graph.tensor<[], f32>, %b: !graph.tensor<[4], f32>) {
  // CHECK: error: graph.matmul: matmul operands must have rank >= 1
  %0 = graph.matmul %a, %b : !graph.tensor<[], f32>, !graph.tensor<[4], f32> -> !graph.tensor<[], f32>
  func.return
}

// -----

func.func @mixed_element_types(%a: !graph.tensor<[2, 3], f32>, %b: !graph.tensor<[3, 4], f16>) {
  // CHECK: error: graph.matmul: operand element types f32 and f16 differ; insert graph.astype
  %0 = graph.matmul %a, %b : !graph.tensor<[2, 3], f32>, !graph.tensor<[3, 4], f16> -> !graph.tensor<[2, 4], f32>
  func.return
}

// -----

func.func @declared_result_disagrees(%a: !graph.tensor<[n, k], f32>, %b: !graph.tensor<[k, m], f32>) {
  // CHECK: error: graph.matmul: result 0 has type !graph.tensor<[m, n], f32>, but the operands imply !graph.tensor<[n, m], f32>
  %0 = graph.matmul %a, %b : !graph.tensor<[n, k], f32>, !graph.tensor<[k, m], f32> -> !graph.tensor<[m, n], f32>
  func.return
}

// -----

func.func @packed_panel_count_differs(%a: !graph.tensor<[n, 64], f32>, %p: !graph.tensor<[2, 64, 48], f32>) {
  // CHECK: error: graph.packed_matmul: the packed rhs of 100 columns must be [3, k, 48], got [2, 64, 48]
  %0 = graph.packed_matmul %a, %p columns = 100 : !graph.tensor<[n, 64], f32>, !graph.tensor<[2, 64, 48], f32> -> !graph.tensor<[n, 100], f32>
  func.return
}

// -----

func.func @packed_depth_differs(%a: !graph.tensor<[n, 32], f32>, %p: !graph.tensor<[3, 64, 48], f32>) {
  // CHECK: error: graph.packed_matmul: lhs depth 32 differs from the packed rhs depth 64
  %0 = graph.packed_matmul %a, %p columns = 100 : !graph.tensor<[n, 32], f32>, !graph.tensor<[3, 64, 48], f32> -> !graph.tensor<[n, 100], f32>
  func.return
}

// -----

func.func @packed_not_f32(%a: !graph.tensor<[n, 64], f16>, %p: !graph.tensor<[3, 64, 48], f16>) {
  // CHECK: error: graph.packed_matmul: operands must be f32
  %0 = graph.packed_matmul %a, %p columns = 100 : !graph.tensor<[n, 64], f16>, !graph.tensor<[3, 64, 48], f16> -> !graph.tensor<[n, 100], f16>
  func.return
}

// -----

func.func @packed_lhs_vector(%a: !graph.tensor<[64], f32>, %p: !graph.tensor<[3, 64, 48], f32>) {
  // CHECK: error: graph.packed_matmul: lhs must have rank >= 2 and the packed rhs rank 3, got ranks 1 and 3
  %0 = graph.packed_matmul %a, %p columns = 100 : !graph.tensor<[64], f32>, !graph.tensor<[3, 64, 48], f32> -> !graph.tensor<[100], f32>
  func.return
}
