// RUN: xunity-opt %s | xunity-opt | filecheck %s
// RUN: xunity-opt %s --print-op-generic | xunity-opt | filecheck %s

// CHECK-LABEL: func.func @constants
func.func @constants() {
  // CHECK-NEXT: graph.constant dense<[[1.000000e+00, 2.000000e+00]]> : !graph.tensor<[1, 2], f32>
  %0 = graph.constant dense<[[1.0, 2.0]]> : !graph.tensor<[1, 2], f32>
  // CHECK-NEXT: graph.constant dense<[-1.500000e+00, 2.500000e-01]> : !graph.tensor<[2], f16>
  %1 = graph.constant dense<[-1.5, 0.25]> : !graph.tensor<[2], f16>
  // CHECK-NEXT: graph.constant dense<[[0, 1, 2], [3, 4, 5]]> : !graph.tensor<[2, 3], i64>
  %2 = graph.constant dense<[[0, 1, 2], [3, 4, 5]]> : !graph.tensor<[2, 3], i64>
  // CHECK-NEXT: graph.constant dense<[-7, 2147483647]> : !graph.tensor<[2], i32>
  %3 = graph.constant dense<[-7, 2147483647]> : !graph.tensor<[2], i32>
  // CHECK-NEXT: graph.constant dense<[-128, 127]> : !graph.tensor<[2], i8>
  %4 = graph.constant dense<[-128, 127]> : !graph.tensor<[2], i8>
  // CHECK-NEXT: graph.constant dense<[true, false]> : !graph.tensor<[2], i1>
  %5 = graph.constant dense<[true, false]> : !graph.tensor<[2], i1>
  func.return
}

// CHECK-LABEL: func.func @constant_splat_scalar_empty
func.func @constant_splat_scalar_empty() {
  // CHECK-NEXT: graph.constant dense<7> : !graph.tensor<[2, 3], i64>
  %0 = graph.constant dense<7> : !graph.tensor<[2, 3], i64>
  // CHECK-NEXT: graph.constant dense<3.000000e+00> : !graph.tensor<[], f32>
  %1 = graph.constant dense<3.0> : !graph.tensor<[], f32>
  // CHECK-NEXT: graph.constant dense<> : !graph.tensor<[0, 4], f32>
  %2 = graph.constant dense<> : !graph.tensor<[0, 4], f32>
  // CHECK-NEXT: graph.constant dense<1> {note = "ones"} : !graph.tensor<[2], i32>
  %3 = graph.constant dense<1> {note = "ones"} : !graph.tensor<[2], i32>
  func.return
}

// CHECK-LABEL: func.func @weights
func.func @weights() {
  // CHECK-NEXT: graph.weight "layers.0.wq" : !graph.tensor<[4096, 4096], f16>
  %0 = graph.weight "layers.0.wq" : !graph.tensor<[4096, 4096], f16>
  // CHECK-NEXT: graph.weight "embed" : !graph.tensor<[32000], i8>
  %1 = graph.weight "embed" : !graph.tensor<[32000], i8>
  func.return
}

// CHECK-LABEL: func.func @full
func.func @full() {
  // CHECK-NEXT: graph.full 0.0 : !graph.tensor<[n, 4], f32>
  %0 = graph.full 0.0 : !graph.tensor<[n, 4], f32>
  // CHECK-NEXT: graph.full -inf : !graph.tensor<[n, n], f16>
  %1 = graph.full -inf : !graph.tensor<[n, n], f16>
  // CHECK-NEXT: graph.full nan : !graph.tensor<[2], f32>
  %2 = graph.full nan : !graph.tensor<[2], f32>
  // CHECK-NEXT: graph.full 1.0e+20 : !graph.tensor<[2], f32>
  %3 = graph.full 1.0e20 : !graph.tensor<[2], f32>
  // CHECK-NEXT: graph.full -3 : !graph.tensor<[n], i8>
  %4 = graph.full -3 : !graph.tensor<[n], i8>
  // CHECK-NEXT: graph.full 1 : !graph.tensor<[n + 1], i1>
  %5 = graph.full 1 : !graph.tensor<[n + 1], i1>
  func.return
}

// CHECK-LABEL: func.func @arange
func.func @arange() {
  // CHECK-NEXT: graph.arange start = 0 end = 10 step = 3 : !graph.tensor<[4], i64>
  %0 = graph.arange start = 0 end = 10 step = 3 : !graph.tensor<[4], i64>
  // CHECK-NEXT: graph.arange start = 10 end = 0 step = -2 : !graph.tensor<[5], f32>
  %1 = graph.arange start = 10 end = 0 step = -2 : !graph.tensor<[5], f32>
  // CHECK-NEXT: graph.arange start = 5 end = 5 step = 1 : !graph.tensor<[0], i32>
  %2 = graph.arange start = 5 end = 5 step = 1 : !graph.tensor<[0], i32>
  func.return
}

// CHECK-LABEL: func.func @triangular
func.func @triangular(%x: !graph.tensor<[b, n, n], f32>) {
  // CHECK-NEXT: %[[U:.*]] = graph.triu %{{.*}} : !graph.tensor<[b, n, n], f32>
  %0 = graph.triu %x : !graph.tensor<[b, n, n], f32>
  // CHECK-NEXT: graph.triu %[[U]] k = 1 : !graph.tensor<[b, n, n], f32>
  %1 = graph.triu %0 k = 1 : !graph.tensor<[b, n, n], f32>
  // CHECK-NEXT: graph.tril %{{.*}} k = -1 : !graph.tensor<[b, n, n], f32>
  %2 = graph.tril %x k = -1 : !graph.tensor<[b, n, n], f32>
  // CHECK-NEXT: graph.tril %{{.*}} : !graph.tensor<[b, n, n], f32>
  %3 = graph.tril %x k = 0 : !graph.tensor<[b, n, n], f32>
  func.return
}
