// RUN: xunity-opt %s --split-input-file --parsing-diagnostics --verify-diagnostics | filecheck %s

func.func @constant_shape_differs() {
  // CHECK: creation_invalid.mlir:5:3: error: graph.constant: result dims [3] differ from the value's shape [2]
  %0 = "graph.constant"() <{value = dense<[1.0, 2.0]> : tensor<2xf32>}> : () -> !graph.tensor<[3], f32>
  func.return
}

// -----

func.func @constant_symbolic_result_generic() {
  // CHECK: error: graph.constant: result dims [n] differ from the value's shape [2]
  %0 = "graph.constant"() <{value = dense<[1.0, 2.0]> : tensor<2xf32>}> : () -> !graph.tensor<[n], f32>
  func.return
}

// -----

func.func @constant_element_type_differs() {
  // CHECK: error: graph.constant: result element type f16 differs from the value's f32
  %0 = "graph.constant"() <{value = dense<[1.0, 2.0]> : tensor<2xf32>}> : () -> !graph.tensor<[2], f16>
  func.return
}

// -----

func.func @constant_symbolic_result() {
  // CHECK: creation_invalid.mlir:30:43
  // CHECK: graph.constant: the result must be a !graph.tensor with constant dims
  %0 = graph.constant dense<[1.0, 2.0]> : !graph.tensor<[n], f32>
  func.return
}

// -----

func.func @constant_unsupported_element_type() {
  // CHECK: creation_invalid.mlir:39:43
  // CHECK: graph.constant: unsupported element type bf16
  %0 = graph.constant dense<[1.0, 2.0]> : !graph.tensor<[2], bf16>
  func.return
}

// -----

func.func @weight_empty_name() {
  // CHECK: error: graph.weight: weight name must be non-empty
  %0 = graph.weight "" : !graph.tensor<[4], f32>
  func.return
}

// -----

func.func @weight_symbolic_dims() {
  // CHECK: error: graph.weight: weight dims [n, 4] must be constant
  %0 = graph.weight "w" : !graph.tensor<[n, 4], f32>
  func.return
}

// -----

func.func @full_integer_fill_for_floats() {
  // CHECK: error: graph.full: fill value 0 is an integer, but the result holds f32
  %0 = graph.full 0 : !graph.tensor<[n], f32>
  func.return
}

// -----

func.func @full_float_fill_for_integers() {
  // CHECK: error: graph.full: fill value 1.5 is a float, but the result holds i32
  %0 = graph.full 1.5 : !graph.tensor<[n], i32>
  func.return
}

// -----

func.func @full_fill_out_of_range() {
  // CHECK: error: graph.full: fill value 300 does not fit in i8
  %0 = graph.full 300 : !graph.tensor<[n], i8>
  func.return
}

// -----

func.func @arange_zero_step() {
  // CHECK: error: graph.arange: arange step must be non-zero
  %0 = graph.arange start = 0 end = 4 step = 0 : !graph.tensor<[4], i64>
  func.return
}

// -----

func.func @arange_element_type() {
  // CHECK: error: graph.arange: result element type f16 must be i64, i32 or f32
  %0 = graph.arange start = 0 end = 4 step = 1 : !graph.tensor<[4], f16>
  func.return
}

// -----

func.func @arange_length() {
  // CHECK: error: graph.arange: result 0 has type !graph.tensor<[4], i64>, but the operands imply !graph.tensor<[3], i64>
  %0 = graph.arange start = 0 end = 9 step = 3 : !graph.tensor<[4], i64>
  func.return
}

// -----

func.func @triu_rank_one(%x: !graph.tensor<[n], f32>) {
  // CHECK: error: graph.triu: expects rank >= 2, got rank 1
  %0 = graph.triu %x : !graph.tensor<[n], f32>
  func.return
}

// -----

func.func @tril_rank_zero(%x: !graph.tensor<[], f32>) {
  // CHECK: error: graph.tril: expects rank >= 2, got rank 0
  %0 = graph.tril %x k = 1 : !graph.tensor<[], f32>
  func.return
}
