// RUN: xunity-opt %s --split-input-file -p graph-legalize | filecheck %s

// f32 attention with a constant value head dim runs both products on the GEMM
// micro-kernel, one parallel task per (batch, head): q scaled and packed with
// zero rows up to a multiple of 8, k transposed and v packed (zero columns),
// scores = q k^T (kc = head dim), a masked row softmax in place, then
// out = p v (kc = seq_kv) written straight into [b, n, h, e].
// The query length n is symbolic: at most 4 rows at run time (decode) run the
// row kernel instead, under a 0/1-trip loop, with its scratch buffers
// allocated inside it (and declared only by its blocks); the GEMM tasks then
// number 0.
// CHECK-LABEL: func.func private @graph_attention_0
// CHECK: %[[SCALE:.*]] = arith.constant 1.250000e-01 : f32
// CHECK: %[[FEW:.*]] = arith.cmpi sle, %n, %{{.*}} : index
// CHECK-NEXT: %[[ONCE:.*]] = arith.select %[[FEW]], %{{.*}}, %{{.*}} : index
// CHECK-NEXT: tir.for %{{.*}} = %{{.*}} to %[[ONCE]] step %{{.*}} serial {
// CHECK-NEXT: %[[SCORES:.*]] = tir.alloc_buffer(%n, %n) : memref<1x4x?x?xf32>
// CHECK: tir.block "qk_init{{[0-9]+}}" ({{.*}}) reads({{.*}}) writes({{.*}}%[[SCORES]]
// CHECK: tir.block "pv_update{{[0-9]+}}"
// CHECK: %[[TASKS:.*]] = arith.select %[[FEW]], %{{.*}}, %{{.*}} : index
// CHECK-NOT: %[[SCORES]]
// CHECK: tir.for %[[T:.*]] = %{{.*}} to %[[TASKS]] step %{{.*}} parallel {
// CHECK-NEXT: %[[TILE:.*]] = tir.alloc_buffer() : memref<256xf32>
// CHECK: tir.block "att_pack_q"
// CHECK: arith.mulf %{{.*}}, %[[SCALE]] : f32
// CHECK: tir.block "att_pack_kt"
// CHECK: tir.block "att_pack_v"
// CHECK: cpu.gemm_microkernel %{{.*}}[%{{.*}}, %{{.*}}], %{{.*}}[%{{.*}}], %{{.*}}[%{{.*}}] k %{{.*}} rows %{{.*}} cols %{{.*}} accumulate %{{.*}} scratch %{{.*}} mr = 8 nr = 48 : f32
// Causal: each row visits its visible prefix min(n, max(i + 1, 0)) and zeroes
// the rest.
// CHECK: %[[VISIBLE:.*]] = arith.minsi %{{.*}}, %{{.*}} : index
// CHECK: tir.block "att_causal_zero"
// CHECK: tir.for %{{.*}} = %{{.*}} to %[[VISIBLE]] step
// CHECK-NEXT: tir.block "att_max"
// CHECK-NOT: arith.cmpi
// CHECK: arith.maxnumf
// CHECK: tir.block "att_exp"
// CHECK: math.exp
// CHECK: tir.block "att_sum"
// CHECK: arith.addf %{{.*}}, %{{.*}} fastmath<reassoc> : f32
// CHECK: tir.block "att_inverse"
// CHECK: tir.block "att_normalise"
// CHECK: %[[OUT:.*]] = tir.access_ptr %out0[%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}] : memref<1x?x4x32xf32>
// CHECK: cpu.gemm_microkernel %{{.*}}[%{{.*}}, %{{.*}}], %{{.*}}[%{{.*}}], %[[OUT]][%{{.*}}] k %{{.*}} rows %{{.*}} cols %{{.*}} accumulate %{{.*}} scratch %{{.*}} mr = 8 nr = 32 : f32
func.func @attention_causal(%q: !graph.tensor<[1, n, 4, 64], f32>, %k: !graph.tensor<[1, n, 4, 64], f32>, %v: !graph.tensor<[1, n, 4, 32], f32>) -> !graph.tensor<[1, n, 4, 32], f32> {
  %o = graph.attention %q, %k, %v causal : !graph.tensor<[1, n, 4, 64], f32>, !graph.tensor<[1, n, 4, 64], f32>, !graph.tensor<[1, n, 4, 32], f32> -> !graph.tensor<[1, n, 4, 32], f32>
  func.return %o : !graph.tensor<[1, n, 4, 32], f32>
}

// -----

// A mask is its own elementwise pass before the row max; the batch and head
// of the fused task index are computed once per row and bound to the block.
// CHECK-LABEL: func.func private @graph_attention_0
// CHECK: cpu.gemm_microkernel
// CHECK: %[[B:[0-9]+]] = arith.floordivsi %{{.*}}, %{{.*}} : index
// CHECK-NEXT: %[[H:[0-9]+]] = arith.remsi %{{.*}}, %{{.*}} : index
// CHECK-NEXT: tir.for
// CHECK: tir.block "att_mask" (%{{[0-9]+}} = spatial %{{[0-9]+}} < %{{[0-9]+}}, %[[VB:[0-9]+]] = spatial %[[B]] < %b, %[[VH:[0-9]+]] = spatial %[[H]] < %{{[0-9]+}}, %{{[0-9]+}} = spatial %{{[0-9]+}} < %n, %[[VJ:[0-9]+]] = spatial
// CHECK: %[[KEEP:.*]] = tir.load %in3[%[[VB]], %{{.*}}, %{{.*}}, %[[VJ]]] : memref<?x1x1x?xi1>
// CHECK-NEXT: %[[NEG_INF:.*]] = arith.constant 0xff800000 : f32
// CHECK-NEXT: arith.select %[[KEEP]], %{{.*}}, %[[NEG_INF]] : f32
// CHECK: tir.block "att_max"
func.func @attention_bool_mask(%q: !graph.tensor<[b, n, 12, 32], f32>, %k: !graph.tensor<[b, n, 12, 32], f32>, %v: !graph.tensor<[b, n, 12, 32], f32>, %m: !graph.tensor<[b, 1, 1, n], i1>) -> !graph.tensor<[b, n, 12, 32], f32> {
  %o = graph.attention %q, %k, %v mask %m : !graph.tensor<[b, n, 12, 32], f32>, !graph.tensor<[b, n, 12, 32], f32>, !graph.tensor<[b, n, 12, 32], f32>, !graph.tensor<[b, 1, 1, n], i1> -> !graph.tensor<[b, n, 12, 32], f32>
  func.return %o : !graph.tensor<[b, n, 12, 32], f32>
}
