// RUN: xunity-opt %s --split-input-file -p graph-legalize | filecheck %s

// The op becomes a call; the kernel follows the tir kernel convention.
// CHECK-LABEL: func.func @broadcasting_add
// CHECK-NEXT: %[[C:.*]] = graph.call_tir @graph_add_0(%{{.*}}, %{{.*}}) : (!graph.tensor<[n, 64], f32>, !graph.tensor<[64], f32>) -> !graph.tensor<[n, 64], f32>
// CHECK-NEXT: func.return %[[C]]
// CHECK: func.func private @graph_add_0(%n: index {tir.shape_var = "n"}, %in0: memref<?x64xf32> {tir.dims = #graph.dims<[n, 64]>}, %in1: memref<64xf32> {tir.dims = #graph.dims<[64]>}, %out0: memref<?x64xf32> {tir.dims = #graph.dims<[n, 64]>}) attributes {tir.kernel}
// CHECK: tir.for %[[I:.*]] = %{{.*}} to %n
// CHECK: tir.block "add1" (%[[VI:.*]] = spatial %[[I]] < %n, %[[VJ:.*]] = spatial
// CHECK-SAME: reads(%in0, %in1 : memref<?x64xf32>, memref<64xf32>) writes(%out0 : memref<?x64xf32>)
// CHECK-NEXT: %[[A:.*]] = tir.load %in0[%[[VI]], %[[VJ]]]
// CHECK-NEXT: %[[B:.*]] = tir.load %in1[%[[VJ]]]
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[A]], %[[B]] : f32
// CHECK-NEXT: tir.store %[[S]], %out0[%[[VI]], %[[VJ]]]
func.func @broadcasting_add(%a: !graph.tensor<[n, 64], f32>, %b: !graph.tensor<[64], f32>) -> !graph.tensor<[n, 64], f32> {
  %c = graph.add %a, %b : !graph.tensor<[n, 64], f32>, !graph.tensor<[64], f32> -> !graph.tensor<[n, 64], f32>
  func.return %c : !graph.tensor<[n, 64], f32>
}

// -----

// A unit dim of the input broadcasts by reading index 0.
// CHECK-LABEL: func.func private @graph_mul_0
// CHECK: %[[ZERO:.*]] = arith.constant 0 : index
// CHECK: tir.load %in1[%[[ZERO]], %{{.*}}]
func.func @unit_dim_reads_index_zero(%a: !graph.tensor<[n, 8], f32>, %b: !graph.tensor<[1, 8], f32>) -> !graph.tensor<[n, 8], f32> {
  %c = graph.mul %a, %b : !graph.tensor<[n, 8], f32>, !graph.tensor<[1, 8], f32> -> !graph.tensor<[n, 8], f32>
  func.return %c : !graph.tensor<[n, 8], f32>
}

// -----

// Identical ops share one kernel.
// CHECK-LABEL: func.func @same_kernel_reused
// CHECK-NEXT: graph.call_tir @graph_exp_0
// CHECK-NEXT: graph.call_tir @graph_exp_0
// CHECK-NOT: func.func private @graph_exp_1
func.func @same_kernel_reused(%a: !graph.tensor<[n], f32>) -> !graph.tensor<[n], f32> {
  %b = graph.exp %a : !graph.tensor<[n], f32>
  %c = graph.exp %b : !graph.tensor<[n], f32>
  func.return %c : !graph.tensor<[n], f32>
}

// -----

// f16 is computed in f32: widened after the load, narrowed before the store.
// CHECK-LABEL: func.func private @graph_tanh_0
// CHECK: %[[X:.*]] = tir.load %in0[%{{.*}}] : memref<?xf16>
// CHECK-NEXT: %[[W:.*]] = arith.extf %[[X]] : f16 to f32
// CHECK-NEXT: %[[T:.*]] = math.tanh %[[W]] : f32
// CHECK-NEXT: %[[N:.*]] = arith.truncf %[[T]] : f32 to f16
// CHECK-NEXT: tir.store %[[N]], %out0
func.func @half_computes_in_f32(%a: !graph.tensor<[n], f16>) -> !graph.tensor<[n], f16> {
  %b = graph.tanh %a : !graph.tensor<[n], f16>
  func.return %b : !graph.tensor<[n], f16>
}

// -----

// Constants and weights stay at the graph level.
// CHECK-LABEL: func.func @constants_stay
// CHECK-NEXT: graph.constant
// CHECK-NEXT: graph.weight
// CHECK-NEXT: graph.call_tir @graph_add_0
func.func @constants_stay() -> !graph.tensor<[2], f32> {
  %c = graph.constant dense<[1.0, 2.0]> : !graph.tensor<[2], f32>
  %w = graph.weight "w" : !graph.tensor<[2], f32>
  %s = graph.add %c, %w : !graph.tensor<[2], f32>, !graph.tensor<[2], f32> -> !graph.tensor<[2], f32>
  func.return %s : !graph.tensor<[2], f32>
}
