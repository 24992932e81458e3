// RUN: xunity-opt %s --split-input-file -p graph-legalize | filecheck %s

// The generic kernel (f16/bf16, integers, 1-D operands; f32 matrices take the
// packed GEMM of graph_legalize_gemm.mlir).  A 2-D matmul: a parallel loop over
// the rows i, each one initialising its row then looping k outside the
// contiguous column loop j.
// CHECK-LABEL: func.func @matmul_2d
// CHECK-NEXT: graph.call_tir @graph_matmul_0(%{{.*}}, %{{.*}}) : (!graph.tensor<[n, k], i32>, !graph.tensor<[k, 64], i32>) -> !graph.tensor<[n, 64], i32>
// CHECK: func.func private @graph_matmul_0(%k: index {tir.shape_var = "k"}, %n: index {tir.shape_var = "n"}, %in0: memref<?x?xi32> {tir.dims = #graph.dims<[n, k]>}, %in1: memref<?x64xi32> {tir.dims = #graph.dims<[k, 64]>}, %out0: memref<?x64xi32> {tir.dims = #graph.dims<[n, 64]>}) attributes {tir.kernel}
// CHECK: tir.for %[[LI:.*]] = %{{.*}} to %n step %{{.*}} parallel {
// CHECK-NEXT: tir.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} serial {
// CHECK-NEXT: tir.block "matmul_init1"
// CHECK-NEXT: %[[ZERO:.*]] = arith.constant 0 : i32
// CHECK-NEXT: tir.store %[[ZERO]], %out0
// CHECK: tir.for %[[K:.*]] = %{{.*}} to %k step %{{.*}} serial {
// CHECK-NEXT: tir.for %[[LJ:.*]] = %{{.*}} to %{{.*}} step %{{.*}} serial {
// CHECK-NEXT: tir.block "matmul_update2" (%[[I:.*]] = spatial %[[LI]] < %n, %[[J:[0-9]+]] = spatial %[[LJ]] < %{{.*}}, %[[VK:[0-9]+]] = reduce %[[K]] < %k)
// CHECK-NEXT: %[[ACC:.*]] = tir.load %out0[%[[I]], %[[J]]]
// CHECK-NEXT: %[[A:.*]] = tir.load %in0[%[[I]], %[[VK]]]
// CHECK-NEXT: %[[B:.*]] = tir.load %in1[%[[VK]], %[[J]]]
// CHECK-NEXT: %[[P:.*]] = arith.muli %[[A]], %[[B]] : i32
// CHECK-NEXT: %[[S:.*]] = arith.addi %[[ACC]], %[[P]] : i32
// CHECK-NEXT: tir.store %[[S]], %out0[%[[I]], %[[J]]]
// CHECK-NOT: tir.alloc_buffer
func.func @matmul_2d(%a: !graph.tensor<[n, k], i32>, %b: !graph.tensor<[k, 64], i32>) -> !graph.tensor<[n, 64], i32> {
  %c = graph.matmul %a, %b : !graph.tensor<[n, k], i32>, !graph.tensor<[k, 64], i32> -> !graph.tensor<[n, 64], i32>
  func.return %c : !graph.tensor<[n, 64], i32>
}

// -----

// Batch dims broadcast: a batch dim of 1 reads index 0, a missing one is skipped.
// CHECK-LABEL: func.func @matmul_broadcast_batch
// CHECK: func.func private @graph_matmul_0
// CHECK: %[[ZERO:.*]] = arith.constant 0 : index
// CHECK: tir.block "matmul_update2" (%[[B0:.*]] = spatial %{{.*}} < %b, %[[B1:[0-9]+]] = spatial %{{.*}} < %h, %[[I:[0-9]+]] = spatial %{{.*}} < %n, %[[J:[0-9]+]] = spatial %{{.*}} < %m, %[[K:[0-9]+]] = reduce %{{.*}} < %k)
// CHECK: tir.load %in0[%[[B0]], %[[ZERO]], %[[I]], %[[K]]] : memref<?x1x?x?xi32>
// CHECK-NEXT: tir.load %in1[%[[B1]], %[[K]], %[[J]]] : memref<?x?x?xi32>
func.func @matmul_broadcast_batch(%a: !graph.tensor<[b, 1, n, k], i32>, %c: !graph.tensor<[h, k, m], i32>) -> !graph.tensor<[b, h, n, m], i32> {
  %0 = graph.matmul %a, %c : !graph.tensor<[b, 1, n, k], i32>, !graph.tensor<[h, k, m], i32> -> !graph.tensor<[b, h, n, m], i32>
  func.return %0 : !graph.tensor<[b, h, n, m], i32>
}

// -----

// A 1-D lhs has no row index: [k] x [k, m] -> [m].
// CHECK-LABEL: func.func @matmul_vector_matrix
// CHECK: func.func private @graph_matmul_0
// CHECK: tir.block "matmul_update2" (%[[J:.*]] = spatial %{{.*}} < %m, %[[K:[0-9]+]] = reduce %{{.*}} < %k)
// CHECK: tir.load %in0[%[[K]]] : memref<?xf32>
// CHECK-NEXT: tir.load %in1[%[[K]], %[[J]]] : memref<?x?xf32>
func.func @matmul_vector_matrix(%a: !graph.tensor<[k], f32>, %b: !graph.tensor<[k, m], f32>) -> !graph.tensor<[m], f32> {
  %c = graph.matmul %a, %b : !graph.tensor<[k], f32>, !graph.tensor<[k, m], f32> -> !graph.tensor<[m], f32>
  func.return %c : !graph.tensor<[m], f32>
}

// -----

// A 1-D rhs has no column index: [b, n, k] x [k] -> [b, n].
// CHECK-LABEL: func.func @matmul_matrix_vector
// CHECK: func.func private @graph_matmul_0
// CHECK: tir.block "matmul_update2" (%[[B:.*]] = spatial %{{.*}} < %b, %[[I:[0-9]+]] = spatial %{{.*}} < %n, %[[K:[0-9]+]] = reduce %{{.*}} < %k)
// CHECK: tir.load %in0[%[[B]], %[[I]], %[[K]]] : memref<?x?x?xf32>
// CHECK-NEXT: tir.load %in1[%[[K]]] : memref<?xf32>
func.func @matmul_matrix_vector(%a: !graph.tensor<[b, n, k], f32>, %v: !graph.tensor<[k], f32>) -> !graph.tensor<[b, n], f32> {
  %c = graph.matmul %a, %v : !graph.tensor<[b, n, k], f32>, !graph.tensor<[k], f32> -> !graph.tensor<[b, n], f32>
  func.return %c : !graph.tensor<[b, n], f32>
}

// -----

// Two 1-D operands give a rank-0 dot product.
// CHECK-LABEL: func.func @matmul_dot
// CHECK: func.func private @graph_matmul_0
// CHECK-SAME: %out0: memref<f32>
// CHECK: tir.block "matmul_update2" (%[[K:.*]] = reduce %{{.*}} < %k)
// CHECK: tir.load %in0[%[[K]]]
// CHECK-NEXT: tir.load %in1[%[[K]]]
func.func @matmul_dot(%a: !graph.tensor<[k], f32>, %b: !graph.tensor<[k], f32>) -> !graph.tensor<[], f32> {
  %c = graph.matmul %a, %b : !graph.tensor<[k], f32>, !graph.tensor<[k], f32> -> !graph.tensor<[], f32>
  func.return %c : !graph.tensor<[], f32>
}

// -----

// f16 products accumulate in an f32 scratch buffer, rounded to f16 once.
// CHECK-LABEL: func.func @matmul_f16_accumulates_in_f32
// CHECK: func.func private @graph_matmul_0
// CHECK: %[[ACC:.*]] = tir.alloc_buffer(%n) : memref<?x64xf32>
// CHECK: tir.block "matmul_update2"
// CHECK-NEXT: %[[OLD:.*]] = tir.load %[[ACC]][%{{.*}}, %{{.*}}] : memref<?x64xf32>
// CHECK-NEXT: %[[AH:.*]] = tir.load %in0
// CHECK-NEXT: %[[A:.*]] = arith.extf %[[AH]] : f16 to f32
// CHECK-NEXT: %[[BH:.*]] = tir.load %in1
// CHECK-NEXT: %[[B:.*]] = arith.extf %[[BH]] : f16 to f32
// CHECK-NEXT: %[[P:.*]] = arith.mulf %[[A]], %[[B]] : f32
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[OLD]], %[[P]] : f32
// CHECK-NEXT: tir.store %[[S]], %[[ACC]]
// CHECK: tir.block "matmul_final3"
// CHECK-NEXT: %[[SUM:.*]] = tir.load %[[ACC]]
// CHECK-NEXT: %[[H:.*]] = arith.truncf %[[SUM]] : f32 to f16
// CHECK-NEXT: tir.store %[[H]], %out0
func.func @matmul_f16_accumulates_in_f32(%a: !graph.tensor<[n, 32], f16>, %b: !graph.tensor<[32, 64], f16>) -> !graph.tensor<[n, 64], f16> {
  %c = graph.matmul %a, %b : !graph.tensor<[n, 32], f16>, !graph.tensor<[32, 64], f16> -> !graph.tensor<[n, 64], f16>
  func.return %c : !graph.tensor<[n, 64], f16>
}

// -----

// Integer matmul accumulates in its own type.
// CHECK-LABEL: func.func @matmul_int
// CHECK: func.func private @graph_matmul_0
// CHECK-NOT: tir.alloc_buffer
// CHECK: tir.block "matmul_update2"
// CHECK: %[[P:.*]] = arith.muli %{{.*}}, %{{.*}} : i32
// CHECK-NEXT: arith.addi %{{.*}}, %[[P]] : i32
func.func @matmul_int(%a: !graph.tensor<[4, 8], i32>, %b: !graph.tensor<[8, 2], i32>) -> !graph.tensor<[4, 2], i32> {
  %c = graph.matmul %a, %b : !graph.tensor<[4, 8], i32>, !graph.tensor<[8, 2], i32> -> !graph.tensor<[4, 2], i32>
  func.return %c : !graph.tensor<[4, 2], i32>
}
