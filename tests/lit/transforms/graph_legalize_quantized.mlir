// RUN: xunity-opt %s --split-input-file -p graph-legalize | filecheck %s

// quant_take: one parallel row loop over the ids; each element wraps and
// clamps its id into [0, 100), splits the row into (panel, row in panel) and
// the column into (block, element), loads the code byte and takes its low or
// high nibble, then d * q + m * 1 from the f16 scale and min.
// CHECK-LABEL: func.func private @graph_quant_take_0
// CHECK-NOT: tir.scheduled
// CHECK: tir.for %{{.*}} = %{{.*}} to %n step %{{.*}} parallel {
// CHECK: tir.block "quant_take1"
// CHECK: %[[ID:.*]] = tir.load %in0
// CHECK: arith.minsi
// CHECK: arith.maxsi
// CHECK: %[[BYTE:.*]] = tir.load %in1[{{.*}}] : memref<3x2x16x48xi8>
// CHECK: arith.andi %[[BYTE]]
// CHECK: arith.shrui %[[BYTE]]
// CHECK: arith.select
// CHECK: tir.load %in2[{{.*}}] : memref<3x2x48xf16>
// CHECK: tir.load %in3[{{.*}}] : memref<3x2x48xf16>
// CHECK: tir.store %{{.*}}, %out0
func.func @take(%ids: !graph.tensor<[n], i64>, %c: !graph.tensor<[3, 2, 16, 48], i8>, %s: !graph.tensor<[3, 2, 48], f16>, %m: !graph.tensor<[3, 2, 48], f16>) -> !graph.tensor<[n, 64], f32> {
  %y = graph.quant_take %ids, %c, %s, %m format = "q4_1" rows = 100 : !graph.tensor<[n], i64>, !graph.tensor<[3, 2, 16, 48], i8>, !graph.tensor<[3, 2, 48], f16>, !graph.tensor<[3, 2, 48], f16> -> !graph.tensor<[n, 64], f32>
  func.return %y : !graph.tensor<[n, 64], f32>
}

// -----

// One static row (decode): quant-gemv, on int16 activations for q4.  The
// per-block sums of x first (q4_1's mins multiply them), then x quantised
// per block by one micro-kernel per row (pairs of elements (j, j + 16)
// rounded to int16 and packed in an i32, the scales and offsets); then
// parallel tasks over runs of 48-row panels, one micro-kernel per panel
// into a 48-float tile, whose rows (100: the last panel has 4) a block
// copies to out.
// CHECK-LABEL: func.func private @graph_quant_matmul_0
// CHECK-SAME: tir.scheduled = "quant-gemv"
// CHECK: %[[XSUM:.*]] = tir.alloc_buffer() : memref<1x2xf32>
// CHECK: tir.block "quant_xsum_init"
// CHECK: tir.block "quant_xsum"
// CHECK: %[[SCALES:.*]] = tir.alloc_buffer() : memref<1x2xf32>
// CHECK-NEXT: %[[OFFSETS:.*]] = tir.alloc_buffer() : memref<1x2xf32>
// CHECK-NEXT: %[[PAIRS:.*]] = tir.alloc_buffer() : memref<1x2x16xi32>
// CHECK: %[[X:.*]] = tir.access_ptr %in0[{{.*}}] : memref<1x64xf32>
// CHECK-NEXT: %[[SUMS:.*]] = tir.access_ptr %[[XSUM]][{{.*}}] : memref<1x2xf32>
// CHECK-NEXT: %[[P:.*]] = tir.access_ptr %[[PAIRS]][{{.*}}] : memref<1x2x16xi32>
// CHECK-NEXT: %[[SC:.*]] = tir.access_ptr %[[SCALES]][{{.*}}] : memref<1x2xf32>
// CHECK-NEXT: %[[OFF:.*]] = tir.access_ptr %[[OFFSETS]][{{.*}}] : memref<1x2xf32>
// CHECK-NEXT: cpu.quantize_pairs_microkernel %[[X]], %[[SUMS]], %[[P]], %[[SC]], %[[OFF]] blocks %{{.*}} format = "q4_1"
// CHECK: tir.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} parallel {
// CHECK: %[[TILE:.*]] = tir.alloc_buffer() : memref<48xf32>
// CHECK: %[[CODES:.*]] = tir.access_ptr %in1[{{.*}}] : memref<3x2x16x48xi8>
// CHECK: cpu.quant_dot_microkernel %[[CODES]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} blocks %{{.*}} format = "q4_1" mins %{{.*}} sums %{{.*}}
// CHECK: tir.block "quant_dot_out" ({{.*}}) reads(%[[TILE]] : memref<48xf32>) writes(%out0 : memref<1x100xf32>)
func.func @decode(%x: !graph.tensor<[1, 64], f32>, %c: !graph.tensor<[3, 2, 16, 48], i8>, %s: !graph.tensor<[3, 2, 48], f16>, %m: !graph.tensor<[3, 2, 48], f16>) -> !graph.tensor<[1, 100], f32> {
  %y = graph.quant_matmul %x, %c, %s, %m format = "q4_1" rows = 100 : !graph.tensor<[1, 64], f32>, !graph.tensor<[3, 2, 16, 48], i8>, !graph.tensor<[3, 2, 48], f16>, !graph.tensor<[3, 2, 48], f16> -> !graph.tensor<[1, 100], f32>
  func.return %y : !graph.tensor<[1, 100], f32>
}

// -----

// A symbolic row count: quant-gemm.  At most 5 rows (at run time) run the
// GEMV above under a 0/1-trip loop; otherwise the f32 GEMM of the gemm
// strategy, whose B panels are made by dequantising: per block of 32 and
// code byte row, a loop over the panel's 48 rows stores elements j and
// j + 16 (d * q + m).  Over 1024 rows, the panels of each (column, depth)
// block are dequantised once, in parallel, into a shared buffer; up to 1024
// rows, each task (a column slice) dequantises its own panels per depth
// block into its own buffer, and its micro-kernels read those.  B is never
// read in place (the last panel, 4 rows of W, runs the 16-column tile).
// CHECK-LABEL: func.func private @graph_quant_matmul_0
// CHECK-SAME: tir.scheduled = "quant-gemm"
// CHECK: %[[SMALL:.*]] = arith.cmpi sle, %n, %{{.*}} : index
// CHECK: %[[ONCE:.*]] = arith.select %[[SMALL]]
// CHECK: tir.for %{{.*}} = %{{.*}} to %[[ONCE]] step %{{.*}} serial {
// CHECK: tir.block "quant_xsum"
// CHECK: cpu.quant_dot_microkernel
// CHECK: %[[SHARED:.*]] = tir.alloc_buffer(%{{.*}}, %{{.*}}) : memref<?x?x48xf32>
// CHECK: tir.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} parallel {
// CHECK: tir.block "quant_pack_b" {{.*}} reads(%in1, %in2, %in3 : {{.*}}) writes(%[[SHARED]] : memref<?x?x48xf32>) {
// CHECK: %[[BYTE:.*]] = tir.load %in1[{{.*}}] : memref<3x2x16x48xi8>
// CHECK: arith.andi %[[BYTE]]
// CHECK: arith.shrui %[[BYTE]]
// CHECK: tir.store %{{.*}}, %[[SHARED]]
// CHECK: tir.store %{{.*}}, %[[SHARED]]
// CHECK-NOT: gemm_pack_b
// CHECK: tir.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} parallel {
// CHECK: %[[OWN:.*]] = tir.alloc_buffer(%{{.*}}) : memref<?x256x48xf32>
// CHECK: tir.block "gemm_pack_a_full"
// CHECK: tir.block "quant_pack_b" {{.*}} writes(%[[OWN]] : memref<?x256x48xf32>) {
// CHECK: %[[B_SHARED:.*]] = tir.access_ptr %[[SHARED]][%{{.*}}, %{{.*}}, %{{.*}}] : memref<?x?x48xf32>
// CHECK: %[[B_OWN:.*]] = tir.access_ptr %[[OWN]][%{{.*}}, %{{.*}}, %{{.*}}] : memref<?x256x48xf32>
// CHECK: %[[B:.*]] = arith.select %{{.*}}, %[[B_OWN]], %[[B_SHARED]] : !llvm.ptr
// CHECK: cpu.gemm_microkernel %{{.*}}[%{{.*}}, %{{.*}}], %[[B]][%{{.*}}], {{.*}} mr = 8 nr = 48 : f32
// CHECK: cpu.gemm_microkernel {{.*}} mr = 8 nr = 16 : f32
// CHECK: tir.block "gemm_epilogue"
func.func @rows(%x: !graph.tensor<[n, 64], f32>, %c: !graph.tensor<[3, 2, 16, 48], i8>, %s: !graph.tensor<[3, 2, 48], f16>, %m: !graph.tensor<[3, 2, 48], f16>) -> !graph.tensor<[n, 100], f32> {
  %y = graph.quant_matmul %x, %c, %s, %m format = "q4_1" rows = 100 : !graph.tensor<[n, 64], f32>, !graph.tensor<[3, 2, 16, 48], i8>, !graph.tensor<[3, 2, 48], f16>, !graph.tensor<[3, 2, 48], f16> -> !graph.tensor<[n, 100], f32>
  func.return %y : !graph.tensor<[n, 100], f32>
}
