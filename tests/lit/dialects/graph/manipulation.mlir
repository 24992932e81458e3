// RUN: xunity-opt %s | xunity-opt | filecheck %s
// RUN: xunity-opt %s --print-op-generic | xunity-opt | filecheck %s

// CHECK-LABEL: func.func @reshape_merges_heads
func.func @reshape_merges_heads(%x: !graph.tensor<[n, 12, 64], f32>) -> !graph.tensor<[n, 768], f32> {
  // CHECK-NEXT: %[[Y:.*]] = graph.reshape %{{.*}} : !graph.tensor<[n, 12, 64], f32> -> !graph.tensor<[n, 768], f32>
  %0 = graph.reshape %x : !graph.tensor<[n, 12, 64], f32> -> !graph.tensor<[n, 768], f32>
  // CHECK-NEXT: graph.reshape %[[Y]] : !graph.tensor<[n, 768], f32> -> !graph.tensor<[768 * n], f32>
  %1 = graph.reshape %0 : !graph.tensor<[n, 768], f32> -> !graph.tensor<[768 * n], f32>
  // CHECK-NEXT: graph.reshape %{{.*}} : !graph.tensor<[768 * n], f32> -> !graph.tensor<[n, 768], f32>
  %2 = graph.reshape %1 : !graph.tensor<[768 * n], f32> -> !graph.tensor<[n, 768], f32>
  func.return %2 : !graph.tensor<[n, 768], f32>
}

// CHECK-LABEL: func.func @permute_dims
func.func @permute_dims(%x: !graph.tensor<[b, n, 12, 64], f16>) {
  // CHECK-NEXT: graph.permute_dims %{{.*}} axes = [0, 2, 1, 3] : !graph.tensor<[b, n, 12, 64], f16> -> !graph.tensor<[b, 12, n, 64], f16>
  %0 = graph.permute_dims %x axes = [0, 2, 1, 3] : !graph.tensor<[b, n, 12, 64], f16> -> !graph.tensor<[b, 12, n, 64], f16>
  // CHECK-NEXT: graph.permute_dims %{{.*}} axes = [0, 1, -1, -2] : !graph.tensor<[b, n, 12, 64], f16> -> !graph.tensor<[b, n, 64, 12], f16>
  %1 = graph.permute_dims %x axes = [0, 1, -1, -2] : !graph.tensor<[b, n, 12, 64], f16> -> !graph.tensor<[b, n, 64, 12], f16>
  func.return
}

// CHECK-LABEL: func.func @concat_sums_symbolic_dims
func.func @concat_sums_symbolic_dims(%past: !graph.tensor<[n, 4], f32>, %new: !graph.tensor<[1, 4], f32>, %w: !graph.tensor<[n, m], f32>) {
  // CHECK-NEXT: graph.concat %{{.*}}, %{{.*}} axis = 0 : !graph.tensor<[n, 4], f32>, !graph.tensor<[1, 4], f32> -> !graph.tensor<[n + 1, 4], f32>
  %0 = graph.concat %past, %new axis = 0 : !graph.tensor<[n, 4], f32>, !graph.tensor<[1, 4], f32> -> !graph.tensor<[n + 1, 4], f32>
  // CHECK-NEXT: graph.concat %{{.*}}, %{{.*}}, %{{.*}} axis = -1 : !graph.tensor<[n, 4], f32>, !graph.tensor<[n, m], f32>, !graph.tensor<[n, 4], f32> -> !graph.tensor<[n, m + 8], f32>
  %1 = graph.concat %past, %w, %past axis = -1 : !graph.tensor<[n, 4], f32>, !graph.tensor<[n, m], f32>, !graph.tensor<[n, 4], f32> -> !graph.tensor<[n, m + 8], f32>
  func.return
}

// CHECK-LABEL: func.func @split_sections
func.func @split_sections(%qkv: !graph.tensor<[n, 2304], f32>, %x: !graph.tensor<[2 * n, 4], f32>) {
  // CHECK-NEXT: %{{.*}}, %{{.*}}, %{{.*}} = graph.split %{{.*}} sections = 3 axis = 1 : !graph.tensor<[n, 2304], f32> -> !graph.tensor<[n, 768], f32>, !graph.tensor<[n, 768], f32>, !graph.tensor<[n, 768], f32>
  %q, %k, %v = graph.split %qkv sections = 3 axis = 1 : !graph.tensor<[n, 2304], f32> -> !graph.tensor<[n, 768], f32>, !graph.tensor<[n, 768], f32>, !graph.tensor<[n, 768], f32>
  // CHECK-NEXT: graph.split %{{.*}} sections = 2 axis = 0 : !graph.tensor<[2 * n, 4], f32> -> !graph.tensor<[n, 4], f32>, !graph.tensor<[n, 4], f32>
  %a, %b = graph.split %x sections = 2 axis = 0 : !graph.tensor<[2 * n, 4], f32> -> !graph.tensor<[n, 4], f32>, !graph.tensor<[n, 4], f32>
  func.return
}

// CHECK-LABEL: func.func @split_indices
func.func @split_indices(%x: !graph.tensor<[n, 10], f32>) {
  // CHECK-NEXT: graph.split %{{.*}} indices = [2, 5] axis = -1 : !graph.tensor<[n, 10], f32> -> !graph.tensor<[n, 2], f32>, !graph.tensor<[n, 3], f32>, !graph.tensor<[n, 5], f32>
  %a, %b, %c = graph.split %x indices = [2, 5] axis = -1 : !graph.tensor<[n, 10], f32> -> !graph.tensor<[n, 2], f32>, !graph.tensor<[n, 3], f32>, !graph.tensor<[n, 5], f32>
  // CHECK-NEXT: graph.split %{{.*}} indices = [1] axis = 0 : !graph.tensor<[n, 10], f32> -> !graph.tensor<[1, 10], f32>, !graph.tensor<[n - 1, 10], f32>
  %d, %e = graph.split %x indices = [1] axis = 0 : !graph.tensor<[n, 10], f32> -> !graph.tensor<[1, 10], f32>, !graph.tensor<[n - 1, 10], f32>
  func.return
}

// CHECK-LABEL: func.func @strided_slice_kv_cache
func.func @strided_slice_kv_cache(%cache: !graph.tensor<[m, 12, 64], f16>, %flat: !graph.tensor<[n, m], f16>) {
  // CHECK-NEXT: graph.strided_slice %{{.*}} axes = [0] begin = #graph.dims<[0]> end = #graph.dims<[n]> strides = [1] : !graph.tensor<[m, 12, 64], f16> -> !graph.tensor<[n, 12, 64], f16>
  %0 = graph.strided_slice %cache axes = [0] begin = #graph.dims<[0]> end = #graph.dims<[n]> strides = [1] : !graph.tensor<[m, 12, 64], f16> -> !graph.tensor<[n, 12, 64], f16>
  // CHECK-NEXT: graph.strided_slice %{{.*}} axes = [0, 2] begin = #graph.dims<[n, 1]> end = #graph.dims<[n + 2, 64]> strides = [1, 2] : !graph.tensor<[m, 12, 64], f16> -> !graph.tensor<[2, 12, 32], f16>
  %1 = graph.strided_slice %cache axes = [0, 2] begin = #graph.dims<[n, 1]> end = #graph.dims<[n + 2, 64]> strides = [1, 2] : !graph.tensor<[m, 12, 64], f16> -> !graph.tensor<[2, 12, 32], f16>
  // CHECK-NEXT: graph.strided_slice %{{.*}} axes = [-1] begin = #graph.dims<[0]> end = #graph.dims<[m]> strides = [3] : !graph.tensor<[n, m], f16> -> !graph.tensor<[n, (m ceildiv 3)], f16>
  %2 = graph.strided_slice %flat axes = [-1] begin = #graph.dims<[0]> end = #graph.dims<[m]> strides = [3] : !graph.tensor<[n, m], f16> -> !graph.tensor<[n, m ceildiv 3], f16>
  func.return
}

// CHECK-LABEL: func.func @take_embedding
func.func @take_embedding(%wte: !graph.tensor<[50257, 768], f32>, %ids: !graph.tensor<[b, n], i64>, %pos: !graph.tensor<[n], i32>) {
  // CHECK-NEXT: graph.take %{{.*}}, %{{.*}} axis = 0 : !graph.tensor<[50257, 768], f32>, !graph.tensor<[b, n], i64> -> !graph.tensor<[b, n, 768], f32>
  %0 = graph.take %wte, %ids axis = 0 : !graph.tensor<[50257, 768], f32>, !graph.tensor<[b, n], i64> -> !graph.tensor<[b, n, 768], f32>
  // CHECK-NEXT: graph.take %{{.*}}, %{{.*}} axis = -1 : !graph.tensor<[50257, 768], f32>, !graph.tensor<[n], i32> -> !graph.tensor<[50257, n], f32>
  %1 = graph.take %wte, %pos axis = -1 : !graph.tensor<[50257, 768], f32>, !graph.tensor<[n], i32> -> !graph.tensor<[50257, n], f32>
  func.return
}

// CHECK-LABEL: func.func @broadcast_to
func.func @broadcast_to(%x: !graph.tensor<[1, 4], f32>) {
  // CHECK-NEXT: graph.broadcast_to %{{.*}} : !graph.tensor<[1, 4], f32> -> !graph.tensor<[b, n, 4], f32>
  %0 = graph.broadcast_to %x : !graph.tensor<[1, 4], f32> -> !graph.tensor<[b, n, 4], f32>
  func.return
}

// CHECK-LABEL: func.func @expand_then_squeeze
func.func @expand_then_squeeze(%x: !graph.tensor<[n, 4], f32>) -> !graph.tensor<[n, 4], f32> {
  // CHECK-NEXT: %[[E:.*]] = graph.expand_dims %{{.*}} axes = [0, -1] : !graph.tensor<[n, 4], f32> -> !graph.tensor<[1, n, 4, 1], f32>
  %0 = graph.expand_dims %x axes = [0, -1] : !graph.tensor<[n, 4], f32> -> !graph.tensor<[1, n, 4, 1], f32>
  // CHECK-NEXT: %[[S:.*]] = graph.squeeze %[[E]] axes = [0, 3] : !graph.tensor<[1, n, 4, 1], f32> -> !graph.tensor<[n, 4], f32>
  %1 = graph.squeeze %0 axes = [0, 3] : !graph.tensor<[1, n, 4, 1], f32> -> !graph.tensor<[n, 4], f32>
  // CHECK-NEXT: func.return %[[S]]
  func.return %1 : !graph.tensor<[n, 4], f32>
}
