// RUN: xunity-opt %s --split-input-file -p graph-legalize,graph-fuse-ops,tir-fuse-kernels | filecheck %s

// Prologue: the add's expression replaces gelu's load of its result; one
// kernel reads both inputs, the unfused kernels are gone.
// CHECK-LABEL: func.func @add_gelu
// CHECK-NEXT: %[[D:.*]] = graph.call_tir @fused_add_0_gelu_1(%{{.*}}, %{{.*}}) : (!graph.tensor<[n, 64], f32>, !graph.tensor<[64], f32>) -> !graph.tensor<[n, 64], f32>
// CHECK-NEXT: func.return %[[D]]
// CHECK-NOT: func.func private @graph_
// CHECK: func.func private @fused_add_0_gelu_1(%n: index {tir.shape_var = "n"}, %in0: memref<?x64xf32> {{.*}}, %in1: memref<64xf32> {{.*}}, %out0: memref<?x64xf32> {{.*}})
// CHECK: tir.block "gelu1" (%[[I:.*]] = spatial %{{.*}} < %n, %[[J:.*]] = spatial %{{.*}} < %{{.*}}) reads(%in0, %in1 : memref<?x64xf32>, memref<64xf32>) writes(%out0 : memref<?x64xf32>) {
// CHECK-NEXT: %[[A:.*]] = tir.load %in0[%[[I]], %[[J]]]
// CHECK-NEXT: %[[B:.*]] = tir.load %in1[%[[J]]]
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[A]], %[[B]] : f32
// CHECK-NOT: tir.load
// CHECK: math.absf %[[S]]
// CHECK-NOT: func.func private @graph_
func.func @add_gelu(%a: !graph.tensor<[n, 64], f32>, %b: !graph.tensor<[64], f32>) -> !graph.tensor<[n, 64], f32> {
  %c = graph.add %a, %b : !graph.tensor<[n, 64], f32>, !graph.tensor<[64], f32> -> !graph.tensor<[n, 64], f32>
  %d = graph.gelu %c : !graph.tensor<[n, 64], f32>
  func.return %d : !graph.tensor<[n, 64], f32>
}

// -----

// Epilogue: the bias add runs in the GEMM's final block, which now writes the
// add's output; the micro-kernel writes that buffer too.
// CHECK-LABEL: func.func @matmul_bias
// CHECK-NEXT: graph.call_tir @fused_matmul_0_add_1(%{{.*}}, %{{.*}}, %{{.*}}) : (!graph.tensor<[n, 96], f32>, !graph.tensor<[96, 128], f32>, !graph.tensor<[128], f32>) -> !graph.tensor<[n, 128], f32>
// CHECK: func.func private @fused_matmul_0_add_1(
// CHECK: %[[C:.*]] = tir.access_ptr %out0
// CHECK: cpu.gemm_microkernel %{{.*}}[%{{.*}}, %{{.*}}], %{{.*}}[%{{.*}}], %[[C]][
// CHECK: tir.block "gemm_epilogue" (%[[I:.*]] = spatial %{{.*}} < %n, %[[J:.*]] = spatial %{{.*}} < %{{.*}}) reads(%out0, %in1_1 : memref<?x128xf32>, memref<128xf32>) writes(%out0 : memref<?x128xf32>) {
// CHECK-NEXT: %[[V:.*]] = tir.load %out0[%[[I]], %[[J]]]
// CHECK-NEXT: %[[B:.*]] = tir.load %in1_1[%[[J]]]
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[V]], %[[B]] : f32
// CHECK-NEXT: tir.store %[[S]], %out0[%[[I]], %[[J]]]
func.func @matmul_bias(%a: !graph.tensor<[n, 96], f32>, %w: !graph.tensor<[96, 128], f32>, %b: !graph.tensor<[128], f32>) -> !graph.tensor<[n, 128], f32> {
  %c = graph.matmul %a, %w : !graph.tensor<[n, 96], f32>, !graph.tensor<[96, 128], f32> -> !graph.tensor<[n, 128], f32>
  %d = graph.add %c, %b : !graph.tensor<[n, 128], f32>, !graph.tensor<[128], f32> -> !graph.tensor<[n, 128], f32>
  func.return %d : !graph.tensor<[n, 128], f32>
}

// -----

// Two call sites fuse the same pair: the identical fused kernels are shared.
// CHECK-LABEL: func.func @shared
// CHECK-NEXT: graph.call_tir @[[K:fused_add_0_gelu_1[_0-9]*]](%{{.*}}, %{{.*}})
// CHECK-NEXT: graph.call_tir @[[K]](%{{.*}}, %{{.*}})
// CHECK: func.func private @[[K]](
// CHECK-NOT: func.func private
func.func @shared(%a: !graph.tensor<[n, 64], f32>, %b: !graph.tensor<[64], f32>, %c: !graph.tensor<[n, 64], f32>) -> (!graph.tensor<[n, 64], f32>, !graph.tensor<[n, 64], f32>) {
  %x = graph.add %a, %b : !graph.tensor<[n, 64], f32>, !graph.tensor<[64], f32> -> !graph.tensor<[n, 64], f32>
  %y = graph.gelu %x : !graph.tensor<[n, 64], f32>
  %u = graph.add %c, %b : !graph.tensor<[n, 64], f32>, !graph.tensor<[64], f32> -> !graph.tensor<[n, 64], f32>
  %v = graph.gelu %u : !graph.tensor<[n, 64], f32>
  func.return %y, %v : !graph.tensor<[n, 64], f32>, !graph.tensor<[n, 64], f32>
}
