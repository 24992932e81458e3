// RUN: xunity-opt %s | xunity-opt | filecheck %s
// RUN: xunity-opt %s --print-op-generic | xunity-opt | filecheck %s

// CHECK-LABEL: func.func @unary
func.func @unary(%x: !graph.tensor<[n, 4096], f32>) -> !graph.tensor<[n, 4096], f32> {
  // CHECK-NEXT: %[[A:.*]] = graph.neg %{{.*}} : !graph.tensor<[n, 4096], f32>
  %0 = graph.neg %x : !graph.tensor<[n, 4096], f32>
  // CHECK-NEXT: %[[B:.*]] = graph.abs %[[A]] : !graph.tensor<[n, 4096], f32>
  %1 = graph.abs %0 : !graph.tensor<[n, 4096], f32>
  // CHECK-NEXT: graph.exp
  %2 = graph.exp %1 : !graph.tensor<[n, 4096], f32>
  // CHECK-NEXT: graph.log
  %3 = graph.log %2 : !graph.tensor<[n, 4096], f32>
  // CHECK-NEXT: graph.sqrt
  %4 = graph.sqrt %3 : !graph.tensor<[n, 4096], f32>
  // CHECK-NEXT: graph.rsqrt
  %5 = graph.rsqrt %4 : !graph.tensor<[n, 4096], f32>
  // CHECK-NEXT: graph.tanh
  %6 = graph.tanh %5 : !graph.tensor<[n, 4096], f32>
  // CHECK-NEXT: graph.sigmoid
  %7 = graph.sigmoid %6 : !graph.tensor<[n, 4096], f32>
  // CHECK-NEXT: graph.erf
  %8 = graph.erf %7 : !graph.tensor<[n, 4096], f32>
  // CHECK-NEXT: graph.relu
  %9 = graph.relu %8 : !graph.tensor<[n, 4096], f32>
  // CHECK-NEXT: graph.gelu
  %10 = graph.gelu %9 : !graph.tensor<[n, 4096], f32>
  // CHECK-NEXT: graph.gelu_tanh
  %11 = graph.gelu_tanh %10 : !graph.tensor<[n, 4096], f32>
  // CHECK-NEXT: graph.silu
  %12 = graph.silu %11 : !graph.tensor<[n, 4096], f32>
  // CHECK-NEXT: graph.cos
  %13 = graph.cos %12 : !graph.tensor<[n, 4096], f32>
  // CHECK-NEXT: graph.sin
  %14 = graph.sin %13 : !graph.tensor<[n, 4096], f32>
  func.return %14 : !graph.tensor<[n, 4096], f32>
}

// CHECK-LABEL: func.func @binary_broadcasting
func.func @binary_broadcasting(%a: !graph.tensor<[n, 1], f32>, %b: !graph.tensor<[1, m], f32>, %c: !graph.tensor<[m], f32>) {
  // CHECK-NEXT: graph.add %{{.*}}, %{{.*}} : !graph.tensor<[n, 1], f32>, !graph.tensor<[1, m], f32> -> !graph.tensor<[n, m], f32>
  %0 = graph.add %a, %b : !graph.tensor<[n, 1], f32>, !graph.tensor<[1, m], f32> -> !graph.tensor<[n, m], f32>
  // CHECK-NEXT: graph.sub {{.*}} -> !graph.tensor<[n, m], f32>
  %1 = graph.sub %0, %c : !graph.tensor<[n, m], f32>, !graph.tensor<[m], f32> -> !graph.tensor<[n, m], f32>
  // CHECK-NEXT: graph.mul
  %2 = graph.mul %1, %1 : !graph.tensor<[n, m], f32>, !graph.tensor<[n, m], f32> -> !graph.tensor<[n, m], f32>
  // CHECK-NEXT: graph.div
  %3 = graph.div %2, %a : !graph.tensor<[n, m], f32>, !graph.tensor<[n, 1], f32> -> !graph.tensor<[n, m], f32>
  // CHECK-NEXT: graph.pow
  %4 = graph.pow %3, %c : !graph.tensor<[n, m], f32>, !graph.tensor<[m], f32> -> !graph.tensor<[n, m], f32>
  // CHECK-NEXT: graph.maximum
  %5 = graph.maximum %4, %b : !graph.tensor<[n, m], f32>, !graph.tensor<[1, m], f32> -> !graph.tensor<[n, m], f32>
  // CHECK-NEXT: graph.minimum
  %6 = graph.minimum %5, %a : !graph.tensor<[n, m], f32>, !graph.tensor<[n, 1], f32> -> !graph.tensor<[n, m], f32>
  func.return
}

// CHECK-LABEL: func.func @compare_where_astype
func.func @compare_where_astype(%a: !graph.tensor<[n, 8], f32>, %b: !graph.tensor<[8], f32>) {
  // CHECK-NEXT: graph.equal {{.*}} -> !graph.tensor<[n, 8], i1>
  %0 = graph.equal %a, %b : !graph.tensor<[n, 8], f32>, !graph.tensor<[8], f32> -> !graph.tensor<[n, 8], i1>
  // CHECK-NEXT: graph.not_equal
  %1 = graph.not_equal %a, %b : !graph.tensor<[n, 8], f32>, !graph.tensor<[8], f32> -> !graph.tensor<[n, 8], i1>
  // CHECK-NEXT: graph.less
  %2 = graph.less %a, %b : !graph.tensor<[n, 8], f32>, !graph.tensor<[8], f32> -> !graph.tensor<[n, 8], i1>
  // CHECK-NEXT: graph.less_equal
  %3 = graph.less_equal %a, %b : !graph.tensor<[n, 8], f32>, !graph.tensor<[8], f32> -> !graph.tensor<[n, 8], i1>
  // CHECK-NEXT: graph.greater
  %4 = graph.greater %a, %b : !graph.tensor<[n, 8], f32>, !graph.tensor<[8], f32> -> !graph.tensor<[n, 8], i1>
  // CHECK-NEXT: graph.greater_equal
  %5 = graph.greater_equal %a, %b : !graph.tensor<[n, 8], f32>, !graph.tensor<[8], f32> -> !graph.tensor<[n, 8], i1>
  // CHECK-NEXT: graph.where %{{.*}}, %{{.*}}, %{{.*}} : !graph.tensor<[n, 8], i1>, !graph.tensor<[n, 8], f32>, !graph.tensor<[8], f32> -> !graph.tensor<[n, 8], f32>
  %6 = graph.where %5, %a, %b : !graph.tensor<[n, 8], i1>, !graph.tensor<[n, 8], f32>, !graph.tensor<[8], f32> -> !graph.tensor<[n, 8], f32>
  // CHECK-NEXT: graph.astype %{{.*}} : !graph.tensor<[n, 8], f32> -> !graph.tensor<[n, 8], bf16>
  %7 = graph.astype %6 : !graph.tensor<[n, 8], f32> -> !graph.tensor<[n, 8], bf16>
  func.return
}
