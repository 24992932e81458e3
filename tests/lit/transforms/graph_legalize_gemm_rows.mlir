// RUN: xunity-opt %s -p graph-legalize | filecheck %s
// RUN: xunity-opt %s -p graph-legalize,graph-fuse-ops,tir-fuse-kernels | filecheck %s --check-prefix=FUSED

// A symbolic row count chooses the kernel's path when it is called.
// At most 2 rows (FEWEST_ROWS): a loop of one trip runs the GEMV (its
// partial sums allocated inside, [4 tasks, n, 100]), whose gemv_sum writes
// out0; the GEMM's loops then run only their epilogue: no B packing (0
// panels), no depth blocks in the tasks, one slice.  At most 8 row panels
// (64 rows): B is not packed either (an empty packed-B buffer) but read in
// place, rows 100 floats apart; more rows: the packed panels, rows 48 apart
// (two loops of micro-kernels, one of them with no trips).
// Whatever the path, gemm_epilogue is the last block to store out0.
// CHECK-LABEL: func.func private @graph_matmul_0
// CHECK: %[[SMALL:.*]] = arith.cmpi sle, %n, %{{.*}} : index
// CHECK-NEXT: %[[ONCE:.*]] = arith.select %[[SMALL]], %{{.*}}, %{{.*}} : index
// CHECK-NEXT: tir.for %{{.*}} = %{{.*}} to %[[ONCE]] step %{{.*}} serial {
// CHECK-NEXT: %[[PARTIAL:.*]] = tir.alloc_buffer(%n) : memref<4x?x100xf32>
// CHECK: tir.block "gemv_init"
// CHECK: tir.block "gemv_update4"
// CHECK: tir.block "gemv_sum"
// CHECK-SAME: reads(%[[PARTIAL]] : memref<4x?x100xf32>) writes(%out0 : memref<?x100xf32>)
// CHECK: %[[FEW:.*]] = arith.cmpi sle, %[[ROW_PANELS:.*]], %{{.*}} : index
// CHECK: %[[ONE_SLICE:.*]] = arith.select %[[SMALL]], %{{.*}}, %{{.*}} : index
// CHECK-NEXT: %[[NO_DEPTH:.*]] = arith.select %[[SMALL]], %{{.*}}, %{{.*}} : index
// CHECK: %[[PANELS:.*]] = arith.select %[[FEW]], %{{.*}}, %{{.*}} : index
// CHECK: tir.alloc_buffer(%[[PANELS]], %{{.*}}) : memref<?x?x48xf32>
// CHECK: %[[PACKED:.*]] = arith.select %[[FEW]], %{{.*}}, %{{.*}} : index
// CHECK-NEXT: tir.for %{{.*}} = %{{.*}} to %[[PACKED]] step %{{.*}} parallel {
// CHECK: tir.block "gemm_pack_b"
// CHECK: arith.minsi %[[ONE_SLICE]], %{{.*}} : index
// CHECK: tir.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} parallel {
// CHECK: tir.for %{{.*}} = %{{.*}} to %[[NO_DEPTH]] step %{{.*}} serial {
// CHECK: %[[PACKED_PANELS:.*]] = arith.select %[[FEW]], %{{.*}}, %[[FULL:.*]] : index
// CHECK-NEXT: %[[IN_PLACE_PANELS:.*]] = arith.select %[[FEW]], %[[FULL]], %{{.*}} : index
// CHECK-NEXT: tir.for %{{.*}} = %{{.*}} to %[[PACKED_PANELS]] step %{{.*}} serial {
// CHECK: %[[NR:.*]] = arith.constant 48 : index
// CHECK-NEXT: %[[B:.*]] = tir.access_ptr %{{.*}}[%{{.*}}, %{{.*}}, %{{.*}}] : memref<?x?x48xf32>
// CHECK: cpu.gemm_microkernel %{{.*}}, %[[B]][%[[NR]]], {{.*}} mr = 8 nr = 48 : f32
// CHECK: tir.for %{{.*}} = %{{.*}} to %[[IN_PLACE_PANELS]] step %{{.*}} serial {
// CHECK: %[[IN_PLACE:.*]] = tir.access_ptr %in1[%{{.*}}, %{{.*}}] : memref<64x100xf32>
// CHECK: cpu.gemm_microkernel %{{.*}}, %[[IN_PLACE]][%[[N:.*]]], {{.*}} mr = 8 nr = 48 : f32
// CHECK: tir.block "gemm_epilogue"
// CHECK: tir.store %{{.*}}, %out0
// CHECK-NOT: tir.store
// CHECK: func.return
func.func @rows(%a: !graph.tensor<[n, 64], f32>, %w: !graph.tensor<[64, 100], f32>) -> !graph.tensor<[n, 100], f32> {
  %c = graph.matmul %a, %w : !graph.tensor<[n, 64], f32>, !graph.tensor<[64, 100], f32> -> !graph.tensor<[n, 100], f32>
  func.return %c : !graph.tensor<[n, 100], f32>
}

// Fused with bias + gelu, the consumer runs in gemm_epilogue, the one final
// block of every path: the GEMV's sums are stored plain and pass through it.
// FUSED-LABEL: func.func private @fused_matmul_0_add_1_gelu_2
// FUSED: tir.block "gemv_sum"
// FUSED-NOT: math.exp
// FUSED: tir.store %{{.*}}, %out0
// FUSED: tir.block "gemm_epilogue"
// FUSED-SAME: reads(%out0, %in1_1 : memref<?x100xf32>, memref<100xf32>)
// FUSED: %[[C:.*]] = tir.load %out0
// FUSED-NEXT: %[[BIAS:.*]] = tir.load %in1_1
// FUSED-NEXT: arith.addf %[[C]], %[[BIAS]] : f32
// FUSED: math.exp
// FUSED: tir.store %{{.*}}, %out0
func.func @fused(%a: !graph.tensor<[n, 64], f32>, %w: !graph.tensor<[64, 100], f32>, %bias: !graph.tensor<[100], f32>) -> !graph.tensor<[n, 100], f32> {
  %c = graph.matmul %a, %w : !graph.tensor<[n, 64], f32>, !graph.tensor<[64, 100], f32> -> !graph.tensor<[n, 100], f32>
  %d = graph.add %c, %bias : !graph.tensor<[n, 100], f32>, !graph.tensor<[100], f32> -> !graph.tensor<[n, 100], f32>
  %y = graph.gelu %d : !graph.tensor<[n, 100], f32>
  func.return %y : !graph.tensor<[n, 100], f32>
}

// A prepacked rhs has no GEMV: at most 2 rows, the packed-A loops get no
// trips and each lhs row %r runs one-row micro-kernels on lhs in place (row
// stride 64, k stride 1) and the panels of the rhs, writing row %r of out0.
// CHECK-LABEL: func.func private @graph_packed_matmul_3
// CHECK-NOT: gemv
// CHECK: %[[TINY:.*]] = arith.cmpi sle, %n, %{{.*}} : index
// CHECK: %[[NO_PANELS:.*]] = arith.select %[[TINY]], %{{.*}}, %{{.*}} : index
// CHECK-NEXT: %[[LHS_ROWS:.*]] = arith.select %[[TINY]], %n, %{{.*}} : index
// CHECK: tir.for %{{.*}} = %{{.*}} to %[[NO_PANELS]] step %{{.*}} serial {
// CHECK: tir.block "gemm_pack_a_full"
// CHECK: cpu.gemm_microkernel {{.*}} mr = 8 nr = 48 : f32
// CHECK: cpu.gemm_microkernel {{.*}} mr = 8 nr = 16 : f32
// CHECK: cpu.gemm_microkernel {{.*}} mr = 8 nr = 32 : f32
// CHECK: cpu.gemm_microkernel {{.*}} mr = 8 nr = 48 : f32
// CHECK: tir.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} serial {
// CHECK-NEXT: tir.for %[[R:.*]] = %{{.*}} to %[[LHS_ROWS]] step %{{.*}} serial {
// CHECK: %[[B:.*]] = tir.access_ptr %in1[%{{.*}}, %{{.*}}, %{{.*}}] : memref<3x64x48xf32>
// CHECK-NEXT: %[[A:.*]] = tir.access_ptr %in0[%[[R]], %{{.*}}] : memref<?x64xf32>
// CHECK: %[[C:.*]] = tir.access_ptr %out0[%[[R]], %{{.*}}] : memref<?x100xf32>
// CHECK-NEXT: cpu.gemm_microkernel %[[A]][%{{.*}}, %{{.*}}], %[[B]][%{{.*}}], %[[C]][%{{.*}}] {{.*}} mr = 1 nr = 48 : f32
// CHECK: cpu.gemm_microkernel {{.*}} mr = 1 nr = 16 : f32
// CHECK: tir.block "gemm_epilogue"
func.func @packed(%a: !graph.tensor<[n, 64], f32>, %p: !graph.tensor<[3, 64, 48], f32>) -> !graph.tensor<[n, 100], f32> {
  %c = graph.packed_matmul %a, %p columns = 100 : !graph.tensor<[n, 64], f32>, !graph.tensor<[3, 64, 48], f32> -> !graph.tensor<[n, 100], f32>
  func.return %c : !graph.tensor<[n, 100], f32>
}
