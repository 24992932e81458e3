// RUN: xunity-opt %s --split-input-file -p graph-legalize | filecheck %s

// The generic attention kernel (f16/bf16, or a value head dim not known at
// compile time; f32 with a constant one takes the micro-kernel path of
// graph_legalize_attention_gemm.mlir): f32 scratch for scores and row
// max/sum, then five steps.
// CHECK-LABEL: func.func private @graph_attention_0
// CHECK-SAME: %b: index {tir.shape_var = "b"}, %e: index {tir.shape_var = "e"}, %m: index {tir.shape_var = "m"}, %n: index {tir.shape_var = "n"}
// CHECK: %[[SCORES:.*]] = tir.alloc_buffer(%b, %n, %m) : memref<?x4x?x?xf32>
// CHECK-NEXT: %[[MAX:.*]] = tir.alloc_buffer(%b, %n) : memref<?x4x?xf32>
// CHECK-NEXT: %[[SUM:.*]] = tir.alloc_buffer(%b, %n) : memref<?x4x?xf32>
// One loop nest over the rows (b, h, i), parallel over the outermost:
// CHECK: tir.for %{{.*}} = %{{.*}} to %b step %{{.*}} parallel {
// CHECK-NEXT: tir.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} serial {
// CHECK-NEXT: tir.for %{{.*}} = %{{.*}} to %n step %{{.*}} serial {
// CHECK-NOT: parallel
// CHECK: tir.block "qk_update2" (%[[QB:[0-9]+]] = spatial %{{[^,]*}}, %[[QH:[0-9]+]] = spatial %{{[^,]*}}, %[[QI:[0-9]+]] = spatial %{{[^,]*}}, %[[QJ:[0-9]+]] = spatial %{{[^,]*}}, %[[QD:[0-9]+]] = reduce
// CHECK-NEXT: %[[ACC:.*]] = tir.load %[[SCORES]][%[[QB]], %[[QH]], %[[QI]], %[[QJ]]]
// CHECK-NEXT: %[[QQ:.*]] = tir.load %in0[%[[QB]], %[[QI]], %[[QH]], %[[QD]]]
// CHECK-NEXT: %[[KK:.*]] = tir.load %in1[%[[QB]], %[[QJ]], %[[QH]], %[[QD]]]
// CHECK-NEXT: %[[QK:.*]] = arith.mulf %[[QQ]], %[[KK]] : f32
// CHECK-NEXT: arith.addf %[[ACC]], %[[QK]] fastmath<reassoc> : f32
// The default scale is 1/sqrt(16).
// CHECK: tir.block "mask3"
// CHECK-NEXT: %[[SS:.*]] = tir.load %[[SCORES]]
// CHECK-NEXT: %[[SCALE:.*]] = arith.constant 2.500000e-01 : f32
// CHECK-NEXT: %[[SCALED:.*]] = arith.mulf %[[SS]], %[[SCALE]] : f32
// CHECK-NEXT: tir.store %[[SCALED]], %[[SCORES]]
// CHECK: tir.block "row_max_init4"
// CHECK-NEXT: arith.constant 0xff800000 : f32
// CHECK: tir.block "row_max_update5"
// CHECK: arith.maxnumf
// A row whose maximum is -inf (all keys masked) subtracts 0 instead: exp gives 0, not NaN.
// CHECK: tir.block "exp6"
// CHECK-NEXT: %[[TOP:.*]] = tir.load %[[MAX]]
// CHECK-NEXT: %[[NEG_INF:.*]] = arith.constant 0xff800000 : f32
// CHECK-NEXT: %[[ALL_MASKED:.*]] = arith.cmpf oeq, %[[TOP]], %[[NEG_INF]] : f32
// CHECK-NEXT: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[SAFE_TOP:.*]] = arith.select %[[ALL_MASKED]], %[[ZERO]], %[[TOP]] : f32
// CHECK-NEXT: %[[SV:.*]] = tir.load %[[SCORES]]
// CHECK-NEXT: %[[SHIFTED:.*]] = arith.subf %[[SV]], %[[SAFE_TOP]] : f32
// CHECK-NEXT: %[[EE:.*]] = math.exp %[[SHIFTED]] : f32
// CHECK-NEXT: tir.store %[[EE]], %[[SCORES]]
// CHECK: tir.block "row_sum_update8"
// CHECK: arith.addf
// A zero row sum gets reciprocal 0, so a fully masked row outputs zeros.
// CHECK: tir.block "inverse_sum9"
// CHECK-NEXT: %[[TOTAL:.*]] = tir.load %[[SUM]]
// CHECK-NEXT: arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[EMPTY:.*]] = arith.cmpf oeq, %[[TOTAL]]
// CHECK: %[[RECIP:.*]] = arith.divf
// CHECK-NEXT: arith.select %[[EMPTY]], %{{.*}}, %[[RECIP]] : f32
// CHECK: tir.block "pv_update11" (%[[OB:[0-9]+]] = spatial %{{[^,]*}}, %[[OI:[0-9]+]] = spatial %{{[^,]*}}, %[[OH:[0-9]+]] = spatial %{{[^,]*}}, %[[OE:[0-9]+]] = spatial %{{[^,]*}}, %[[OJ:[0-9]+]] = reduce
// CHECK-NEXT: %[[OACC:.*]] = tir.load %out0[%[[OB]], %[[OI]], %[[OH]], %[[OE]]]
// CHECK-NEXT: %[[PP:.*]] = tir.load %[[SCORES]][%[[OB]], %[[OH]], %[[OI]], %[[OJ]]]
// CHECK-NEXT: %[[INV:.*]] = tir.load %[[SUM]][%[[OB]], %[[OH]], %[[OI]]]
// CHECK-NEXT: %[[PROB:.*]] = arith.mulf %[[PP]], %[[INV]] : f32
// CHECK-NEXT: %[[VV:.*]] = tir.load %in2[%[[OB]], %[[OJ]], %[[OH]], %[[OE]]]
// CHECK-NEXT: %[[PV:.*]] = arith.mulf %[[PROB]], %[[VV]] : f32
// CHECK-NEXT: %[[NEW:.*]] = arith.addf %[[OACC]], %[[PV]] : f32
// CHECK-NEXT: tir.store %[[NEW]], %out0[%[[OB]], %[[OI]], %[[OH]], %[[OE]]]
func.func @attention_plain(%q: !graph.tensor<[b, n, 4, 16], f32>, %k: !graph.tensor<[b, m, 4, 16], f32>, %v: !graph.tensor<[b, m, 4, e], f32>) -> !graph.tensor<[b, n, 4, e], f32> {
  %o = graph.attention %q, %k, %v : !graph.tensor<[b, n, 4, 16], f32>, !graph.tensor<[b, m, 4, 16], f32>, !graph.tensor<[b, m, 4, e], f32> -> !graph.tensor<[b, n, 4, e], f32>
  func.return %o : !graph.tensor<[b, n, 4, e], f32>
}

// -----

// Grouped-query: query head h reads kv head h floordiv (heads / kv_heads).
// CHECK-LABEL: func.func private @graph_attention_0
// CHECK: %[[GROUP:.*]] = arith.constant 4 : index
// CHECK: tir.block "qk_update2" (%{{[0-9]+}} = spatial %{{[^,]*}}, %[[QH:[0-9]+]] = spatial
// CHECK: %[[KVH:.*]] = arith.floordivsi %[[QH]], %[[GROUP]] : index
// CHECK-NEXT: tir.load %in1[%{{.*}}, %{{.*}}, %[[KVH]], %{{.*}}]
// CHECK: tir.block "pv_update11" (%{{[0-9]+}} = spatial %{{[^,]*}}, %{{[0-9]+}} = spatial %{{[^,]*}}, %[[OH:[0-9]+]] = spatial
// CHECK: %[[VH:.*]] = arith.floordivsi %[[OH]], %[[GROUP]] : index
// CHECK-NEXT: tir.load %in2[%{{.*}}, %{{.*}}, %[[VH]], %{{.*}}]
func.func @attention_grouped_query_heads(%q: !graph.tensor<[1, n, 8, 4], f32>, %k: !graph.tensor<[1, n, 2, 4], f32>, %v: !graph.tensor<[1, n, 2, e], f32>) -> !graph.tensor<[1, n, 8, e], f32> {
  %o = graph.attention %q, %k, %v : !graph.tensor<[1, n, 8, 4], f32>, !graph.tensor<[1, n, 2, 4], f32>, !graph.tensor<[1, n, 2, e], f32> -> !graph.tensor<[1, n, 8, e], f32>
  func.return %o : !graph.tensor<[1, n, 8, e], f32>
}

// -----

// Causal (bottom-right aligned) and an i1 mask combine into one keep flag;
// the mask [n, m] broadcasts against [batch, heads, seq_q, seq_kv].
// CHECK-LABEL: func.func private @graph_attention_0
// CHECK: %[[OFFSET:.*]] = arith.subi %m, %n : index
// CHECK: tir.block "mask3" (%{{[0-9]+}} = spatial %{{[^,]*}}, %{{[0-9]+}} = spatial %{{[^,]*}}, %[[MI:[0-9]+]] = spatial %{{[^,]*}}, %[[MJ:[0-9]+]] = spatial
// CHECK: %[[SCALED:.*]] = arith.mulf
// CHECK-NEXT: %[[KEEP:.*]] = tir.load %in3[%[[MI]], %[[MJ]]] : memref<?x?xi1>
// CHECK-NEXT: %[[LAST:.*]] = arith.addi %[[MI]], %[[OFFSET]] : index
// CHECK-NEXT: %[[VISIBLE:.*]] = arith.cmpi sle, %[[MJ]], %[[LAST]] : index
// CHECK-NEXT: %[[BOTH:.*]] = arith.andi %[[KEEP]], %[[VISIBLE]] : i1
// CHECK-NEXT: %[[NEG_INF:.*]] = arith.constant 0xff800000 : f32
// CHECK-NEXT: %[[MASKED:.*]] = arith.select %[[BOTH]], %[[SCALED]], %[[NEG_INF]] : f32
// CHECK-NEXT: tir.store %[[MASKED]]
func.func @attention_causal_and_bool_mask(%q: !graph.tensor<[1, n, 2, 4], f32>, %k: !graph.tensor<[1, m, 2, 4], f32>, %v: !graph.tensor<[1, m, 2, e], f32>, %mask: !graph.tensor<[n, m], i1>) -> !graph.tensor<[1, n, 2, e], f32> {
  %o = graph.attention %q, %k, %v mask %mask causal : !graph.tensor<[1, n, 2, 4], f32>, !graph.tensor<[1, m, 2, 4], f32>, !graph.tensor<[1, m, 2, e], f32>, !graph.tensor<[n, m], i1> -> !graph.tensor<[1, n, 2, e], f32>
  func.return %o : !graph.tensor<[1, n, 2, e], f32>
}

// -----

// An additive mask is added after scaling; an explicit scale is used as is.
// CHECK-LABEL: func.func private @graph_attention_0
// CHECK: tir.block "mask3" (%{{[0-9]+}} = spatial %{{[^,]*}}, %{{[0-9]+}} = spatial %{{[^,]*}}, %[[AI:[0-9]+]] = spatial %{{[^,]*}}, %[[AJ:[0-9]+]] = spatial
// CHECK-NEXT: %[[SS:.*]] = tir.load
// CHECK-NEXT: %[[SCALE:.*]] = arith.constant 1.250000e-01 : f32
// CHECK-NEXT: %[[SCALED:.*]] = arith.mulf %[[SS]], %[[SCALE]] : f32
// CHECK-NEXT: %[[BIAS:.*]] = tir.load %in3[%[[UNIT:[0-9]+]], %[[UNIT]], %[[AI]], %[[AJ]]] : memref<1x1x?x?xf32>
// CHECK-NEXT: %[[BIASED:.*]] = arith.addf %[[SCALED]], %[[BIAS]] : f32
// CHECK-NEXT: tir.store %[[BIASED]]
func.func @attention_additive_mask_and_scale(%q: !graph.tensor<[1, n, 2, 4], f32>, %k: !graph.tensor<[1, m, 2, 4], f32>, %v: !graph.tensor<[1, m, 2, e], f32>, %mask: !graph.tensor<[1, 1, n, m], f32>) -> !graph.tensor<[1, n, 2, e], f32> {
  %o = graph.attention %q, %k, %v mask %mask scale = 1.250000e-01 : !graph.tensor<[1, n, 2, 4], f32>, !graph.tensor<[1, m, 2, 4], f32>, !graph.tensor<[1, m, 2, e], f32>, !graph.tensor<[1, 1, n, m], f32> -> !graph.tensor<[1, n, 2, e], f32>
  func.return %o : !graph.tensor<[1, n, 2, e], f32>
}

// -----

// A symbolic head_dim gets its scale at run time: rsqrt(max(d, 1)).
// CHECK-LABEL: func.func private @graph_attention_0
// CHECK: tir.block "mask3"
// CHECK: %[[DI:.*]] = arith.index_cast %d : index to i64
// CHECK-NEXT: %[[DF:.*]] = arith.sitofp %[[DI]] : i64 to f32
// CHECK-NEXT: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT: %[[AT_LEAST_ONE:.*]] = arith.maximumf %[[DF]], %[[ONE]] : f32
// CHECK-NEXT: %[[SCALE:.*]] = math.rsqrt %[[AT_LEAST_ONE]] : f32
// CHECK-NEXT: arith.mulf %{{.*}}, %[[SCALE]] : f32
func.func @attention_symbolic_head_dim_scale(%q: !graph.tensor<[1, 3, 2, d], f32>, %k: !graph.tensor<[1, 3, 2, d], f32>, %v: !graph.tensor<[1, 3, 2, d], f32>) -> !graph.tensor<[1, 3, 2, d], f32> {
  %o = graph.attention %q, %k, %v : !graph.tensor<[1, 3, 2, d], f32>, !graph.tensor<[1, 3, 2, d], f32>, !graph.tensor<[1, 3, 2, d], f32> -> !graph.tensor<[1, 3, 2, d], f32>
  func.return %o : !graph.tensor<[1, 3, 2, d], f32>
}

// -----

// f16 computes in f32 scratch; the output is accumulated in f32 and narrowed once.
// CHECK-LABEL: func.func private @graph_attention_0
// CHECK: tir.alloc_buffer() : memref<1x2x3x3xf32>
// CHECK: %[[ACC:.*]] = tir.alloc_buffer() : memref<1x3x2x4xf32>
// CHECK: tir.block "qk_update2"
// CHECK: %[[QH:.*]] = tir.load %in0{{.*}} : memref<1x3x2x4xf16>
// CHECK-NEXT: arith.extf %[[QH]] : f16 to f32
// CHECK: tir.block "pv_update11"
// CHECK: tir.store %{{.*}}, %[[ACC]]
// CHECK: tir.block "pv_cast12"
// CHECK-NEXT: %[[RES:.*]] = tir.load %[[ACC]]
// CHECK-NEXT: %[[NARROW:.*]] = arith.truncf %[[RES]] : f32 to f16
// CHECK-NEXT: tir.store %[[NARROW]], %out0
func.func @attention_f16_computes_in_f32(%q: !graph.tensor<[1, 3, 2, 4], f16>, %k: !graph.tensor<[1, 3, 2, 4], f16>, %v: !graph.tensor<[1, 3, 2, 4], f16>) -> !graph.tensor<[1, 3, 2, 4], f16> {
  %o = graph.attention %q, %k, %v : !graph.tensor<[1, 3, 2, 4], f16>, !graph.tensor<[1, 3, 2, 4], f16>, !graph.tensor<[1, 3, 2, 4], f16> -> !graph.tensor<[1, 3, 2, 4], f16>
  func.return %o : !graph.tensor<[1, 3, 2, 4], f16>
}

// -----

// rotary: x * cos + rotate_half(x) * sin; the partner index d +- D/2 is
// selected (never out of range) and negated in the first half.
// CHECK-LABEL: func.func private @graph_rotary_0
// CHECK: %[[HALF:.*]] = arith.constant 4 : index
// CHECK: tir.block "rotary1" (%[[RB:[0-9]+]] = spatial %{{[^,]*}}, %[[RS:[0-9]+]] = spatial %{{[^,]*}}, %[[RH:[0-9]+]] = spatial %{{[^,]*}}, %[[RD:[0-9]+]] = spatial
// CHECK-NEXT: %[[FIRST:.*]] = arith.cmpi slt, %[[RD]], %[[HALF]] : index
// CHECK-NEXT: %[[UP:.*]] = arith.addi %[[RD]], %[[HALF]] : index
// CHECK-NEXT: %[[DOWN:.*]] = arith.subi %[[RD]], %[[HALF]] : index
// CHECK-NEXT: %[[PARTNER:.*]] = arith.select %[[FIRST]], %[[UP]], %[[DOWN]] : index
// CHECK-NEXT: %[[XP:.*]] = tir.load %in0[%[[RB]], %[[RS]], %[[RH]], %[[PARTNER]]]
// CHECK-NEXT: %[[NEG:.*]] = arith.negf %[[XP]] : f32
// CHECK-NEXT: %[[ROT:.*]] = arith.select %[[FIRST]], %[[NEG]], %[[XP]] : f32
// CHECK-NEXT: %[[COS:.*]] = tir.load %in1[%[[RS]], %[[RD]]] : memref<?x8xf32>
// CHECK-NEXT: %[[SIN:.*]] = tir.load %in2[%[[RS]], %[[RD]]] : memref<?x8xf32>
// CHECK-NEXT: %[[XX:.*]] = tir.load %in0[%[[RB]], %[[RS]], %[[RH]], %[[RD]]]
// CHECK-NEXT: %[[XC:.*]] = arith.mulf %[[XX]], %[[COS]] : f32
// CHECK-NEXT: %[[RSN:.*]] = arith.mulf %[[ROT]], %[[SIN]] : f32
// CHECK-NEXT: %[[YY:.*]] = arith.addf %[[XC]], %[[RSN]] : f32
// CHECK-NEXT: tir.store %[[YY]], %out0[%[[RB]], %[[RS]], %[[RH]], %[[RD]]]
func.func @rotary_rank2_tables(%x: !graph.tensor<[b, n, 2, 8], f32>, %cos: !graph.tensor<[n, 8], f32>, %sin: !graph.tensor<[n, 8], f32>) -> !graph.tensor<[b, n, 2, 8], f32> {
  %y = graph.rotary %x, %cos, %sin : !graph.tensor<[b, n, 2, 8], f32>, !graph.tensor<[n, 8], f32>, !graph.tensor<[n, 8], f32>
  func.return %y : !graph.tensor<[b, n, 2, 8], f32>
}

// -----

// Rank-4 tables broadcast against x: unit dims read index 0.
// CHECK-LABEL: func.func private @graph_rotary_0
// CHECK: %[[ZERO:.*]] = arith.constant 0 : index
// CHECK: tir.block "rotary1" (%{{[0-9]+}} = spatial %{{[^,]*}}, %[[RS:[0-9]+]] = spatial %{{[^,]*}}, %{{[0-9]+}} = spatial %{{[^,]*}}, %[[RD:[0-9]+]] = spatial
// CHECK: tir.load %in1[%[[ZERO]], %[[RS]], %[[ZERO]], %[[RD]]] : memref<1x?x1x8xf16>
// CHECK-NEXT: arith.extf
// CHECK-NEXT: tir.load %in2[%[[ZERO]], %[[RS]], %[[ZERO]], %[[RD]]] : memref<1x?x1x8xf16>
// CHECK: arith.truncf %{{.*}} : f32 to f16
func.func @rotary_rank4_tables_broadcast(%x: !graph.tensor<[b, n, 2, 8], f16>, %cos: !graph.tensor<[1, n, 1, 8], f16>, %sin: !graph.tensor<[1, n, 1, 8], f16>) -> !graph.tensor<[b, n, 2, 8], f16> {
  %y = graph.rotary %x, %cos, %sin : !graph.tensor<[b, n, 2, 8], f16>, !graph.tensor<[1, n, 1, 8], f16>, !graph.tensor<[1, n, 1, 8], f16>
  func.return %y : !graph.tensor<[b, n, 2, 8], f16>
}
