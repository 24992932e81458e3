// RUN: xunity-opt %s | xunity-opt | filecheck %s
// RUN: xunity-opt %s --print-op-generic | xunity-opt | filecheck %s

// The tir kernel in destination-passing style: two inputs, then the output buffer.
func.func @kernel(%a: memref<?x4xf32>, %b: memref<4xf32>, %out: memref<?x4xf32>) {
  func.return
}

func.func @split(%a: memref<8xf32>, %lo: memref<4xf32>, %hi: memref<4xf32>) {
  func.return
}

// A callee that is not a buffer function: only its existence is checked.
func.func private @scalar_helper(%n: index) -> index

// CHECK-LABEL: func.func @call_tir
func.func @call_tir(%x: !graph.tensor<[n, 4], f32>, %b: !graph.tensor<[4], f32>, %v: !graph.tensor<[8], f32>) -> !graph.tensor<[n, 4], f32> {
  // CHECK-NEXT: %[[Y:.*]] = graph.call_tir @kernel(%{{.*}}, %{{.*}}) : (!graph.tensor<[n, 4], f32>, !graph.tensor<[4], f32>) -> !graph.tensor<[n, 4], f32>
  %0 = graph.call_tir @kernel(%x, %b) : (!graph.tensor<[n, 4], f32>, !graph.tensor<[4], f32>) -> !graph.tensor<[n, 4], f32>
  // CHECK-NEXT: %{{.*}}, %{{.*}} = graph.call_tir @split(%{{.*}}) : (!graph.tensor<[8], f32>) -> (!graph.tensor<[4], f32>, !graph.tensor<[4], f32>)
  %1:2 = graph.call_tir @split(%v) : (!graph.tensor<[8], f32>) -> (!graph.tensor<[4], f32>, !graph.tensor<[4], f32>)
  // CHECK-NEXT: graph.call_tir @scalar_helper() {tag = 1 : i64} : () -> !graph.tensor<[2], i64>
  %2 = graph.call_tir @scalar_helper() {tag = 1 : i64} : () -> !graph.tensor<[2], i64>
  // CHECK-NEXT: func.return %[[Y]]
  func.return %0 : !graph.tensor<[n, 4], f32>
}

// CHECK-LABEL: func.func @call_packed
func.func @call_packed(%k: !graph.tensor<[n, 8, 64], f16>, %v: !graph.tensor<[n, 8, 64], f16>, %i: index) {
  // CHECK-NEXT: %{{.*}} = graph.call_packed "xunity.kv_append"(%{{.*}}, %{{.*}}) : (!graph.tensor<[n, 8, 64], f16>, !graph.tensor<[n, 8, 64], f16>) -> !graph.tensor<[m, 8, 64], f16>
  %0 = graph.call_packed "xunity.kv_append"(%k, %v) : (!graph.tensor<[n, 8, 64], f16>, !graph.tensor<[n, 8, 64], f16>) -> !graph.tensor<[m, 8, 64], f16>
  // CHECK-NEXT: %{{.*}}, %{{.*}} = graph.call_packed "xunity.split"(%{{.*}}) : (!graph.tensor<[n, 8, 64], f16>) -> (!graph.tensor<[n, 8, 32], f16>, !graph.tensor<[n, 8, 32], f16>)
  %1:2 = graph.call_packed "xunity.split"(%k) : (!graph.tensor<[n, 8, 64], f16>) -> (!graph.tensor<[n, 8, 32], f16>, !graph.tensor<[n, 8, 32], f16>)
  // CHECK-NEXT: graph.call_packed "xunity.log_step"(%{{.*}}) : (index) -> ()
  graph.call_packed "xunity.log_step"(%i) : (index) -> ()
  func.return
}
