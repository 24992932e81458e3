// RUN: xunity-opt %s --split-input-file -p graph-legalize | filecheck %s

// An f32 matmul with a symbolic row count takes the packed GEMM (after the
// guarded GEMV for few rows: graph_legalize_gemm_rows.mlir): a packed-B
// buffer sized by the first block, column and depth block loops, B panels
// packed in parallel, then parallel tasks over (row block, column slice)
// pairs: groups of (up to two) 8-row panels of A, each task packing its
// panels (thread-local, group x 256 x 8; a full panel in one k loop
// storing all 8 rows, a partial one row by row, then zeros) and running,
// per full 48-column B panel of its slice, the micro-kernel of each packed A
// panel (for 64 rows or fewer, B is read in place instead and only its
// partial last panel is copied, padded); the narrower last panel (64 = 48 + 16 here) runs the narrowest tile
// that covers it: 16, 32 or 48 columns, chosen by 0/1-trip loops.  Then the
// epilogue over the task's rows and columns (the fusion hook).
// CHECK-LABEL: func.func private @graph_matmul_0
// CHECK: %[[PB:.*]] = tir.alloc_buffer(%{{.*}}, %{{.*}}) : memref<?x?x48xf32>
// CHECK: tir.for %[[JC:.*]] = %{{.*}} to %{{.*}} step %{{.*}} serial {
// CHECK: tir.for %[[PC:.*]] = %{{.*}} to %{{.*}} step %{{.*}} serial {
// CHECK: tir.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} parallel {
// CHECK: tir.block "gemm_pack_b"
// CHECK: tir.load %in1
// CHECK-NEXT: tir.store %{{.*}}, %[[PB]]
// CHECK: tir.block "gemm_pad_b"
// CHECK: tir.for %[[TASK:.*]] = %{{.*}} to %{{.*}} step %{{.*}} parallel {
// CHECK-NEXT: %[[IB:.*]] = arith.divui %[[TASK]], %[[SLICES:.*]] : index
// CHECK-NEXT: %[[SLICE:.*]] = arith.remui %[[TASK]], %[[SLICES]] : index
// CHECK: %[[PA:.*]] = tir.alloc_buffer(%{{.*}}) : memref<?x256x8xf32>
// CHECK-NEXT: %[[TILE:.*]] = tir.alloc_buffer() : memref<384xf32>
// CHECK: %[[T:.*]] = tir.access_ptr %[[TILE]][%{{.*}}] : memref<384xf32>
// CHECK: tir.for %[[PI:.*]] = %{{.*}} to %{{.*}} step %{{.*}} serial {
// CHECK: %[[ACC:.*]] = arith.cmpi ne, %{{.*}}, %{{.*}} : index
// CHECK: tir.block "gemm_pack_a_full"
// CHECK-COUNT-8: tir.store %{{.*}}, %[[PA]]
// CHECK: tir.block "gemm_pack_a"
// CHECK: tir.block "gemm_pad_a"
// CHECK: tir.block "gemm_pack_b_edge"
// CHECK: tir.block "gemm_pad_b_edge"
// CHECK: tir.for %[[P:.*]] = %{{.*}} to %{{.*}} step %{{.*}} serial {
// CHECK-NEXT: tir.for %[[G:.*]] = %{{.*}} to %{{.*}} step %{{.*}} serial {
// CHECK: %[[B:.*]] = tir.access_ptr %[[PB]][%{{.*}}, %{{.*}}, %{{.*}}] : memref<?x?x48xf32>
// CHECK: %[[A:.*]] = tir.access_ptr %[[PA]][%[[G]], %{{.*}}, %{{.*}}] : memref<?x256x8xf32>
// CHECK: %[[C:.*]] = tir.access_ptr %out0[%{{.*}}, %{{.*}}] : memref<?x64xf32>
// CHECK: cpu.gemm_microkernel %[[A]][%{{.*}}, %{{.*}}], %{{.*}}[%{{.*}}], %[[C]][%{{.*}}] k %{{.*}} rows %{{.*}} cols %{{.*}} accumulate %[[ACC]] scratch %[[T]] mr = 8 nr = 48 : f32
// CHECK: cpu.gemm_microkernel {{.*}} mr = 8 nr = 16 : f32
// CHECK: cpu.gemm_microkernel {{.*}} mr = 8 nr = 32 : f32
// CHECK: cpu.gemm_microkernel {{.*}} mr = 8 nr = 48 : f32
// CHECK: tir.block "gemm_epilogue"
func.func @gemm(%a: !graph.tensor<[n, k], f32>, %b: !graph.tensor<[k, 64], f32>) -> !graph.tensor<[n, 64], f32> {
  %c = graph.matmul %a, %b : !graph.tensor<[n, k], f32>, !graph.tensor<[k, 64], f32> -> !graph.tensor<[n, 64], f32>
  func.return %c : !graph.tensor<[n, 64], f32>
}

// -----

// One static row (decode): GEMV, k split over 4 parallel tasks, each adding
// its contiguous run of rhs rows (4 per pass, then the rest) into its own
// partial row; a last pass adds the partials (the final block for fusion).
// CHECK-LABEL: func.func private @graph_matmul_0
// CHECK-NOT: gemm_pack
// CHECK: %[[P:.*]] = tir.alloc_buffer() : memref<4x1x4096xf32>
// CHECK: tir.for %[[T:.*]] = %{{.*}} to %{{.*}} step %{{.*}} parallel {
// CHECK: tir.block "gemv_init"
// CHECK: tir.block "gemv_update4" (%{{.*}} = spatial %[[T]] < %{{.*}}, %{{.*}} = spatial %{{.*}} < %{{.*}}, %{{.*}} = spatial %{{.*}} < %{{.*}}, %{{.*}} = reduce %{{.*}} < %k) reads(%in0, %in1 : memref<1x?xf32>, memref<?x4096xf32>) writes(%[[P]] : memref<4x1x4096xf32>)
// CHECK: tir.block "gemv_update" (
// CHECK: tir.block "gemv_sum" (%{{.*}} = spatial %{{.*}} < %{{.*}}, %{{.*}} = spatial %{{.*}} < %{{.*}}) reads(%[[P]] : memref<4x1x4096xf32>) writes(%out0 : memref<1x4096xf32>)
func.func @gemv(%a: !graph.tensor<[1, k], f32>, %b: !graph.tensor<[k, 4096], f32>) -> !graph.tensor<[1, 4096], f32> {
  %c = graph.matmul %a, %b : !graph.tensor<[1, k], f32>, !graph.tensor<[k, 4096], f32> -> !graph.tensor<[1, 4096], f32>
  func.return %c : !graph.tensor<[1, 4096], f32>
}

// -----

// A prepacked rhs: no B packing, no packed-B buffer and no GEMV; each
// micro-kernel reads its panel of the rhs itself, at (column block * 42 +
// panel, depth block * 256, 0), the depth block being the outer loop's plus
// the task's own (one of the two loops runs once).
// CHECK-LABEL: func.func private @graph_packed_matmul_0
// CHECK-NOT: gemv
// CHECK-NOT: gemm_pack_b
// CHECK-NOT: memref<?x?x48xf32>
// CHECK: tir.for %[[JC:.*]] = %{{.*}} to %{{.*}} step %{{.*}} serial {
// CHECK: tir.for %[[PO:.*]] = %{{.*}} to %{{.*}} step %{{.*}} serial {
// CHECK: tir.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} parallel {
// CHECK: tir.for %[[PI:.*]] = %{{.*}} to %{{.*}} step %{{.*}} serial {
// CHECK-NEXT: %[[PC:.*]] = arith.addi %[[PO]], %[[PI]] : index
// CHECK: tir.block "gemm_pack_a_full"
// CHECK: %[[FIRST:.*]] = arith.muli %[[JC]], %{{.*}} : index
// CHECK: %[[PANEL:.*]] = arith.addi %[[FIRST]], %{{.*}} : index
// CHECK: %[[B:.*]] = tir.access_ptr %in1[%[[PANEL]], %[[DEPTH:.*]], %{{.*}}] : memref<3x64x48xf32>
// CHECK: cpu.gemm_microkernel %{{.*}}, %[[B]][%{{.*}}], {{.*}} mr = 8 nr = 48 : f32
func.func @packed(%a: !graph.tensor<[n, 64], f32>, %p: !graph.tensor<[3, 64, 48], f32>) -> !graph.tensor<[n, 100], f32> {
  %c = graph.packed_matmul %a, %p columns = 100 : !graph.tensor<[n, 64], f32>, !graph.tensor<[3, 64, 48], f32> -> !graph.tensor<[n, 100], f32>
  func.return %c : !graph.tensor<[n, 100], f32>
}
