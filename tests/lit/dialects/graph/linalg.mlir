// RUN: xunity-opt %s | xunity-opt | filecheck %s
// RUN: xunity-opt %s --print-op-generic | xunity-opt | filecheck %s

// CHECK-LABEL: func.func @matmul_symbolic
func.func @matmul_symbolic(%a: !graph.tensor<[n, k], f32>, %b: !graph.tensor<[k, m], f32>) -> !graph.tensor<[n, m], f32> {
  // CHECK-NEXT: %[[C:.*]] = graph.matmul %{{.*}}, %{{.*}} : !graph.tensor<[n, k], f32>, !graph.tensor<[k, m], f32> -> !graph.tensor<[n, m], f32>
  %0 = graph.matmul %a, %b : !graph.tensor<[n, k], f32>, !graph.tensor<[k, m], f32> -> !graph.tensor<[n, m], f32>
  // CHECK-NEXT: func.return %[[C]]
  func.return %0 : !graph.tensor<[n, m], f32>
}

// CHECK-LABEL: func.func @matmul_batched_broadcast
func.func @matmul_batched_broadcast(%a: !graph.tensor<[b, 1, n, k], f16>, %b: !graph.tensor<[h, k, m], f16>) {
  // CHECK-NEXT: graph.matmul %{{.*}}, %{{.*}} : !graph.tensor<[b, 1, n, k], f16>, !graph.tensor<[h, k, m], f16> -> !graph.tensor<[b, h, n, m], f16>
  %0 = graph.matmul %a, %b : !graph.tensor<[b, 1, n, k], f16>, !graph.tensor<[h, k, m], f16> -> !graph.tensor<[b, h, n, m], f16>
  func.return
}

// CHECK-LABEL: func.func @matmul_linear_layer
func.func @matmul_linear_layer(%x: !graph.tensor<[b, n, 4096], bf16>, %w: !graph.tensor<[4096, 11008], bf16>) {
  // CHECK-NEXT: graph.matmul {{.*}} -> !graph.tensor<[b, n, 11008], bf16>
  %0 = graph.matmul %x, %w : !graph.tensor<[b, n, 4096], bf16>, !graph.tensor<[4096, 11008], bf16> -> !graph.tensor<[b, n, 11008], bf16>
  func.return
}

// CHECK-LABEL: func.func @matmul_vector_promotion
func.func @matmul_vector_promotion(%v: !graph.tensor<[k], f32>, %m: !graph.tensor<[b, k, m], f32>, %a: !graph.tensor<[n, k], f32>) {
  // CHECK-NEXT: graph.matmul {{.*}} : !graph.tensor<[k], f32>, !graph.tensor<[b, k, m], f32> -> !graph.tensor<[b, m], f32>
  %0 = graph.matmul %v, %m : !graph.tensor<[k], f32>, !graph.tensor<[b, k, m], f32> -> !graph.tensor<[b, m], f32>
  // CHECK-NEXT: graph.matmul {{.*}} : !graph.tensor<[n, k], f32>, !graph.tensor<[k], f32> -> !graph.tensor<[n], f32>
  %1 = graph.matmul %a, %v : !graph.tensor<[n, k], f32>, !graph.tensor<[k], f32> -> !graph.tensor<[n], f32>
  // CHECK-NEXT: graph.matmul {{.*}} : !graph.tensor<[k], f32>, !graph.tensor<[k], f32> -> !graph.tensor<[], f32>
  %2 = graph.matmul %v, %v : !graph.tensor<[k], f32>, !graph.tensor<[k], f32> -> !graph.tensor<[], f32>
  func.return
}

// CHECK-LABEL: func.func @matmul_integer
func.func @matmul_integer(%a: !graph.tensor<[2, 3], i32>, %b: !graph.tensor<[3, 4], i32>) {
  // CHECK-NEXT: graph.matmul {{.*}} -> !graph.tensor<[2, 4], i32>
  %0 = graph.matmul %a, %b : !graph.tensor<[2, 3], i32>, !graph.tensor<[3, 4], i32> -> !graph.tensor<[2, 4], i32>
  func.return
}

// A matmul by a prepacked rhs: 100 columns in three 48-wide panels; batch
// dims come from the lhs only.
// CHECK-LABEL: func.func @packed_matmul
func.func @packed_matmul(%a: !graph.tensor<[n, 64], f32>, %b: !graph.tensor<[2, n, 64], f32>, %p: !graph.tensor<[3, 64, 48], f32>) {
  // CHECK-NEXT: graph.packed_matmul %{{.*}}, %{{.*}} columns = 100 : !graph.tensor<[n, 64], f32>, !graph.tensor<[3, 64, 48], f32> -> !graph.tensor<[n, 100], f32>
  %0 = graph.packed_matmul %a, %p columns = 100 : !graph.tensor<[n, 64], f32>, !graph.tensor<[3, 64, 48], f32> -> !graph.tensor<[n, 100], f32>
  // CHECK-NEXT: graph.packed_matmul {{.*}} -> !graph.tensor<[2, n, 144], f32>
  %1 = graph.packed_matmul %b, %p columns = 144 : !graph.tensor<[2, n, 64], f32>, !graph.tensor<[3, 64, 48], f32> -> !graph.tensor<[2, n, 144], f32>
  func.return
}
