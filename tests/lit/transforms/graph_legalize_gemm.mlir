// RUN: xunity-opt %s --split-input-file -p graph-legalize | filecheck %s

// An f32 matmul with a symbolic row count takes the packed GEMM: a packed-B
// buffer sized by the first block, column and depth block loops, B panels
// packed in parallel, then one parallel task per 8-row panel that packs its
// rows of A (thread-local) and runs one micro-kernel per 48-column B panel.
// CHECK-LABEL: func.func private @graph_matmul_0
// CHECK: %[[PB:.*]] = tir.alloc_buffer(%{{.*}}, %{{.*}}) : memref<?x?x48xf32>
// CHECK: tir.for %[[JC:.*]] = %{{.*}} to %{{.*}} step %{{.*}} serial {
// CHECK: tir.for %[[PC:.*]] = %{{.*}} to %{{.*}} step %{{.*}} serial {
// CHECK: %[[ACC:.*]] = arith.cmpi ne, %[[PC]], %{{.*}} : index
// CHECK: tir.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} parallel {
// CHECK: tir.block "gemm_pack_b"
// CHECK: tir.load %in1
// CHECK-NEXT: tir.store %{{.*}}, %[[PB]]
// CHECK: tir.block "gemm_pad_b"
// CHECK: tir.for %[[IR:.*]] = %{{.*}} to %{{.*}} step %{{.*}} parallel {
// CHECK-NEXT: %[[PA:.*]] = tir.alloc_buffer() : memref<256x8xf32>
// CHECK-NEXT: %[[TILE:.*]] = tir.alloc_buffer() : memref<384xf32>
// CHECK: tir.block "gemm_pack_a"
// CHECK: tir.block "gemm_pad_a"
// CHECK: %[[A:.*]] = tir.access_ptr %[[PA]][%{{.*}}, %{{.*}}] : memref<256x8xf32>
// CHECK-NEXT: %[[T:.*]] = tir.access_ptr %[[TILE]][%{{.*}}] : memref<384xf32>
// CHECK-NEXT: tir.for %[[P:.*]] = %{{.*}} to %{{.*}} step %{{.*}} serial {
// CHECK: %[[B:.*]] = tir.access_ptr %[[PB]][%[[P]], %{{.*}}, %{{.*}}] : memref<?x?x48xf32>
// CHECK: %[[C:.*]] = tir.access_ptr %out0[%{{.*}}, %{{.*}}] : memref<?x64xf32>
// CHECK: cpu.gemm_microkernel %[[A]][%{{.*}}, %{{.*}}], %[[B]][%{{.*}}], %[[C]][%{{.*}}] k %{{.*}} rows %{{.*}} cols %{{.*}} accumulate %[[ACC]] scratch %[[T]] mr = 8 nr = 48 : f32
func.func @gemm(%a: !graph.tensor<[n, k], f32>, %b: !graph.tensor<[k, 64], f32>) -> !graph.tensor<[n, 64], f32> {
  %c = graph.matmul %a, %b : !graph.tensor<[n, k], f32>, !graph.tensor<[k, 64], f32> -> !graph.tensor<[n, 64], f32>
  func.return %c : !graph.tensor<[n, 64], f32>
}

// -----

// One static row (decode): GEMV, parallel over column strips (N / 4), each strip
// streaming its part of every rhs row with j contiguous.
// CHECK-LABEL: func.func private @graph_matmul_0
// CHECK-NOT: gemm_pack
// CHECK: tir.for %[[S:.*]] = %{{.*}} to %{{.*}} step %{{.*}} parallel {
// CHECK: tir.block "gemv_init"
// CHECK: tir.for %[[K:.*]] = %{{.*}} to %k step %{{.*}} serial {
// CHECK-NEXT: tir.for %[[J:.*]] = %{{.*}} to %{{.*}} step %{{.*}} serial {
// CHECK-NEXT: tir.block "gemv_update" (%{{.*}} = spatial %[[S]] < %{{.*}}, %{{.*}} = spatial %{{.*}} < %{{.*}}, %{{.*}} = spatial %[[J]] < %{{.*}}, %{{.*}} = reduce %[[K]] < %k)
func.func @gemv(%a: !graph.tensor<[1, k], f32>, %b: !graph.tensor<[k, 4096], f32>) -> !graph.tensor<[1, 4096], f32> {
  %c = graph.matmul %a, %b : !graph.tensor<[1, k], f32>, !graph.tensor<[k, 4096], f32> -> !graph.tensor<[1, 4096], f32>
  func.return %c : !graph.tensor<[1, 4096], f32>
}
