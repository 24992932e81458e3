// RUN: xunity-opt %s | xunity-opt | filecheck %s
// RUN: xunity-opt %s --print-op-generic | xunity-opt | filecheck %s

// CHECK-LABEL: func.func @reduce_symbolic_dims
func.func @reduce_symbolic_dims(%x: !graph.tensor<[b, n, 64], f32>) {
  // CHECK-NEXT: graph.sum %{{.*}} axes = [1] : !graph.tensor<[b, n, 64], f32> -> !graph.tensor<[b, 64], f32>
  %0 = graph.sum %x axes = [1] : !graph.tensor<[b, n, 64], f32> -> !graph.tensor<[b, 64], f32>
  // CHECK-NEXT: graph.mean %{{.*}} axes = [-1] keepdims : !graph.tensor<[b, n, 64], f32> -> !graph.tensor<[b, n, 1], f32>
  %1 = graph.mean %x axes = [-1] keepdims : !graph.tensor<[b, n, 64], f32> -> !graph.tensor<[b, n, 1], f32>
  // CHECK-NEXT: graph.max %{{.*}} axes = [0, 2] : !graph.tensor<[b, n, 64], f32> -> !graph.tensor<[n], f32>
  %2 = graph.max %x axes = [0, 2] : !graph.tensor<[b, n, 64], f32> -> !graph.tensor<[n], f32>
  // CHECK-NEXT: graph.min %{{.*}} axes = [-3, -2] keepdims : !graph.tensor<[b, n, 64], f32> -> !graph.tensor<[1, 1, 64], f32>
  %3 = graph.min %x axes = [-3, -2] keepdims : !graph.tensor<[b, n, 64], f32> -> !graph.tensor<[1, 1, 64], f32>
  func.return
}

// CHECK-LABEL: func.func @reduce_all_axes
func.func @reduce_all_axes(%x: !graph.tensor<[n, m], i32>) {
  // CHECK-NEXT: graph.sum %{{.*}} : !graph.tensor<[n, m], i32> -> !graph.tensor<[], i32>
  %0 = graph.sum %x : !graph.tensor<[n, m], i32> -> !graph.tensor<[], i32>
  // CHECK-NEXT: graph.max %{{.*}} keepdims : !graph.tensor<[n, m], i32> -> !graph.tensor<[1, 1], i32>
  %1 = graph.max %x keepdims : !graph.tensor<[n, m], i32> -> !graph.tensor<[1, 1], i32>
  // CHECK-NEXT: graph.min %{{.*}} axes = [] : !graph.tensor<[n, m], i32> -> !graph.tensor<[n, m], i32>
  %2 = graph.min %x axes = [] : !graph.tensor<[n, m], i32> -> !graph.tensor<[n, m], i32>
  func.return
}

// CHECK-LABEL: func.func @argmax
func.func @argmax(%logits: !graph.tensor<[n, 32000], f16>) {
  // CHECK-NEXT: graph.argmax %{{.*}} axis = -1 : !graph.tensor<[n, 32000], f16> -> !graph.tensor<[n], i64>
  %0 = graph.argmax %logits axis = -1 : !graph.tensor<[n, 32000], f16> -> !graph.tensor<[n], i64>
  // CHECK-NEXT: graph.argmax %{{.*}} axis = 0 keepdims : !graph.tensor<[n, 32000], f16> -> !graph.tensor<[1, 32000], i64>
  %1 = graph.argmax %logits axis = 0 keepdims : !graph.tensor<[n, 32000], f16> -> !graph.tensor<[1, 32000], i64>
  // CHECK-NEXT: graph.argmax %{{.*}} : !graph.tensor<[n, 32000], f16> -> !graph.tensor<[], i64>
  %2 = graph.argmax %logits : !graph.tensor<[n, 32000], f16> -> !graph.tensor<[], i64>
  func.return
}
