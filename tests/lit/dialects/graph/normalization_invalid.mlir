// RUN: xunity-opt %s --split-input-file --verify-diagnostics | filecheck %s

func.func @softmax_of_integers(%x: !graph.tensor<[n, 64], i32>) {
  // CHECK: normalization_invalid.mlir:5:3: error: graph.softmax: expects a floating-point tensor, got i32
  %0 = graph.softmax %x axis = -1 : !graph.tensor<[n, 64], i32>
  func.return
}

// -----

func.func @softmax_axis_out_of_range(%x: !graph.tensor<[n, 64], f32>) {
  // CHECK: error: graph.softmax: axis 2 is out of range for rank 2
  %0 = graph.softmax %x axis = 2 : !graph.tensor<[n, 64], f32>
  func.return
}

// -----

func.func @layer_norm_of_integers(%x: !graph.tensor<[n, 8], i32>, %g: !graph.tensor<[8], i32>) {
  // CHECK: error: graph.layer_norm: expects a floating-point tensor, got i32
  %0 = graph.layer_norm %x, %g, %g axes = [-1] eps = 1.0e-05 : !graph.tensor<[n, 8], i32>, !graph.tensor<[8], i32>, !graph.tensor<[8], i32>
  func.return
}

// -----

func.func @negative_eps(%x: !graph.tensor<[n, 8], f32>, %w: !graph.tensor<[8], f32>) {
  // CHECK: error: graph.rms_norm: eps must be >= 0, got -1e-05
  %0 = graph.rms_norm %x, %w axes = [-1] eps = -1.0e-05 : !graph.tensor<[n, 8], f32>, !graph.tensor<[8], f32>
  func.return
}

// -----

func.func @axis_out_of_range(%x: !graph.tensor<[n, 8], f32>, %w: !graph.tensor<[8], f32>) {
  // CHECK: error: graph.rms_norm: axis 2 is out of range for rank 2
  %0 = graph.rms_norm %x, %w axes = [2] eps = 1.0e-05 : !graph.tensor<[n, 8], f32>, !graph.tensor<[8], f32>
  func.return
}

// -----

func.func @axes_not_trailing(%x: !graph.tensor<[n, 8], f32>, %g: !graph.tensor<[n], f32>) {
  // CHECK: error: graph.layer_norm: axes [0] must be the trailing axes of rank 2
  %0 = graph.layer_norm %x, %g, %g axes = [0] eps = 1.0e-05 : !graph.tensor<[n, 8], f32>, !graph.tensor<[n], f32>, !graph.tensor<[n], f32>
  func.return
}

// -----

func.func @empty_axes(%x: !graph.tensor<[n, 8], f32>, %w: !graph.tensor<[], f32>) {
  // CHECK: error: graph.rms_norm: axes [] must be the trailing axes of rank 2
  %0 = graph.rms_norm %x, %w axes = [] eps = 1.0e-05 : !graph.tensor<[n, 8], f32>, !graph.tensor<[], f32>
  func.return
}

// -----

func.func @parameter_element_type(%x: !graph.tensor<[n, 8], f32>, %g: !graph.tensor<[8], f32>, %s: !graph.tensor<[8], f16>) {
  // CHECK: error: graph.layer_norm: beta element type f16 differs from the input's f32
  %0 = graph.layer_norm %x, %g, %s axes = [-1] eps = 1.0e-05 : !graph.tensor<[n, 8], f32>, !graph.tensor<[8], f32>, !graph.tensor<[8], f16>
  func.return
}

// -----

func.func @parameter_rank(%x: !graph.tensor<[n, 8], f32>, %w: !graph.tensor<[n, 8], f32>) {
  // CHECK: error: graph.rms_norm: weight has rank 2, but 1 trailing axes are normalized
  %0 = graph.rms_norm %x, %w axes = [-1] eps = 1.0e-05 : !graph.tensor<[n, 8], f32>, !graph.tensor<[n, 8], f32>
  func.return
}

// -----

func.func @parameter_shape(%x: !graph.tensor<[n, 8], f32>, %g: !graph.tensor<[16], f32>) {
  // CHECK: error: graph.layer_norm: gamma dim 0 vs normalized dim: 16 and 8 differ
  %0 = graph.layer_norm %x, %g, %g axes = [-1] eps = 1.0e-05 : !graph.tensor<[n, 8], f32>, !graph.tensor<[16], f32>, !graph.tensor<[16], f32>
  func.return
}

// -----

func.func @parameter_shape_unprovable(%x: !graph.tensor<[n, d], f32>, %w: !graph.tensor<[e], f32>) {
  // CHECK: error: graph.rms_norm: weight dim 0 vs normalized dim: cannot prove e == d
  %0 = graph.rms_norm %x, %w axes = [-1] eps = 1.0e-05 : !graph.tensor<[n, d], f32>, !graph.tensor<[e], f32>
  func.return
}

// -----

func.func @result_type_tied_to_input(%x: !graph.tensor<[n, 64], f32>) {
  // The tie is xDSL's VarConstraint; the driver prefixes the op name.
  // CHECK: error: graph.softmax: result 'result' at position 0 does not verify:
  // CHECK-NEXT: attribute !graph.tensor<[n, 64], f32> expected from variable 'T', but got !graph.tensor<[n, 64], f16>
  %0 = "graph.softmax"(%x) <{axis = -1 : i64}> : (!graph.tensor<[n, 64], f32>) -> !graph.tensor<[n, 64], f16>
  func.return
}
