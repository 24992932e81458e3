// RUN: xunity-opt %s | xunity-opt | filecheck %s
// RUN: xunity-opt %s --print-op-generic | xunity-opt | filecheck %s

// CHECK-LABEL: func.func @softmax_symbolic
func.func @softmax_symbolic(%x: !graph.tensor<[n, 64], f32>) -> !graph.tensor<[n, 64], f32> {
  // CHECK-NEXT: %[[Y:.*]] = graph.softmax %{{.*}} axis = -1 : !graph.tensor<[n, 64], f32>
  %0 = graph.softmax %x axis = -1 : !graph.tensor<[n, 64], f32>
  // CHECK-NEXT: graph.softmax %[[Y]] axis = 0 : !graph.tensor<[n, 64], f32>
  %1 = graph.softmax %0 axis = 0 : !graph.tensor<[n, 64], f32>
  func.return %1 : !graph.tensor<[n, 64], f32>
}

// CHECK-LABEL: func.func @layer_norm
func.func @layer_norm(%x: !graph.tensor<[b, n, 768], f32>, %g: !graph.tensor<[768], f32>, %s: !graph.tensor<[768], f32>) {
  // CHECK-NEXT: graph.layer_norm %{{.*}}, %{{.*}}, %{{.*}} axes = [-1] eps = 1.000000e-05 : !graph.tensor<[b, n, 768], f32>, !graph.tensor<[768], f32>, !graph.tensor<[768], f32>
  %0 = graph.layer_norm %x, %g, %s axes = [-1] eps = 1.000000e-05 : !graph.tensor<[b, n, 768], f32>, !graph.tensor<[768], f32>, !graph.tensor<[768], f32>
  func.return
}

// CHECK-LABEL: func.func @layer_norm_two_symbolic_axes
func.func @layer_norm_two_symbolic_axes(%x: !graph.tensor<[b, n, d], f16>, %g: !graph.tensor<[n, d], f16>, %s: !graph.tensor<[n, d], f16>) {
  // CHECK-NEXT: graph.layer_norm {{.*}} axes = [1, 2] eps = 0.000000e+00 : !graph.tensor<[b, n, d], f16>, !graph.tensor<[n, d], f16>, !graph.tensor<[n, d], f16>
  %0 = graph.layer_norm %x, %g, %s axes = [1, 2] eps = 0.0 : !graph.tensor<[b, n, d], f16>, !graph.tensor<[n, d], f16>, !graph.tensor<[n, d], f16>
  func.return
}

// CHECK-LABEL: func.func @rms_norm
func.func @rms_norm(%x: !graph.tensor<[b, n, 4096], bf16>, %w: !graph.tensor<[4096], bf16>) {
  // CHECK-NEXT: graph.rms_norm %{{.*}}, %{{.*}} axes = [-1] eps = 1.000000e-06 : !graph.tensor<[b, n, 4096], bf16>, !graph.tensor<[4096], bf16>
  %0 = graph.rms_norm %x, %w axes = [-1] eps = 1.000000e-06 : !graph.tensor<[b, n, 4096], bf16>, !graph.tensor<[4096], bf16>
  func.return
}
