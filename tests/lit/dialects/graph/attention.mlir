// RUN: xunity-opt %s | xunity-opt | filecheck %s
// RUN: xunity-opt %s --print-op-generic | xunity-opt | filecheck %s

// CHECK-LABEL: func.func @attention_plain
func.func @attention_plain(%q: !graph.tensor<[b, n, 12, 64], f32>, %k: !graph.tensor<[b, m, 12, 64], f32>, %v: !graph.tensor<[b, m, 12, 64], f32>) -> !graph.tensor<[b, n, 12, 64], f32> {
  // CHECK-NEXT: %[[O:.*]] = graph.attention %{{.*}}, %{{.*}}, %{{.*}} : !graph.tensor<[b, n, 12, 64], f32>, !graph.tensor<[b, m, 12, 64], f32>, !graph.tensor<[b, m, 12, 64], f32> -> !graph.tensor<[b, n, 12, 64], f32>
  %0 = graph.attention %q, %k, %v : !graph.tensor<[b, n, 12, 64], f32>, !graph.tensor<[b, m, 12, 64], f32>, !graph.tensor<[b, m, 12, 64], f32> -> !graph.tensor<[b, n, 12, 64], f32>
  // CHECK-NEXT: func.return %[[O]]
  func.return %0 : !graph.tensor<[b, n, 12, 64], f32>
}

// CHECK-LABEL: func.func @attention_grouped_query_causal_scaled
func.func @attention_grouped_query_causal_scaled(%q: !graph.tensor<[1, n, 32, 128], f16>, %k: !graph.tensor<[1, m, 8, 128], f16>, %v: !graph.tensor<[1, m, 8, 96], f16>) {
  // CHECK-NEXT: graph.attention %{{.*}}, %{{.*}}, %{{.*}} causal scale = 1.250000e-01 : !graph.tensor<[1, n, 32, 128], f16>, !graph.tensor<[1, m, 8, 128], f16>, !graph.tensor<[1, m, 8, 96], f16> -> !graph.tensor<[1, n, 32, 96], f16>
  %0 = graph.attention %q, %k, %v causal scale = 0.125 : !graph.tensor<[1, n, 32, 128], f16>, !graph.tensor<[1, m, 8, 128], f16>, !graph.tensor<[1, m, 8, 96], f16> -> !graph.tensor<[1, n, 32, 96], f16>
  func.return
}

// CHECK-LABEL: func.func @attention_symbolic_heads
func.func @attention_symbolic_heads(%q: !graph.tensor<[b, n, 4 * h, d], f32>, %kv: !graph.tensor<[b, m, h, d], f32>, %q2: !graph.tensor<[b, n, 2 * h, d], f32>, %kv2: !graph.tensor<[b, m, 2, d], f32>) {
  // CHECK-NEXT: graph.attention {{.*}} -> !graph.tensor<[b, n, 4 * h, d], f32>
  %0 = graph.attention %q, %kv, %kv : !graph.tensor<[b, n, 4 * h, d], f32>, !graph.tensor<[b, m, h, d], f32>, !graph.tensor<[b, m, h, d], f32> -> !graph.tensor<[b, n, 4 * h, d], f32>
  // CHECK-NEXT: graph.attention {{.*}} -> !graph.tensor<[b, n, 2 * h, d], f32>
  %1 = graph.attention %q2, %kv2, %kv2 : !graph.tensor<[b, n, 2 * h, d], f32>, !graph.tensor<[b, m, 2, d], f32>, !graph.tensor<[b, m, 2, d], f32> -> !graph.tensor<[b, n, 2 * h, d], f32>
  func.return
}

// CHECK-LABEL: func.func @attention_masks
func.func @attention_masks(%q: !graph.tensor<[b, n, 8, 64], f32>, %kv: !graph.tensor<[b, m, 8, 64], f32>, %keep: !graph.tensor<[n, m], i1>, %bias: !graph.tensor<[b, 1, n, m], f32>) {
  // CHECK-NEXT: graph.attention %{{.*}}, %{{.*}}, %{{.*}} mask %{{.*}} : !graph.tensor<[b, n, 8, 64], f32>, !graph.tensor<[b, m, 8, 64], f32>, !graph.tensor<[b, m, 8, 64], f32>, !graph.tensor<[n, m], i1> -> !graph.tensor<[b, n, 8, 64], f32>
  %0 = graph.attention %q, %kv, %kv mask %keep : !graph.tensor<[b, n, 8, 64], f32>, !graph.tensor<[b, m, 8, 64], f32>, !graph.tensor<[b, m, 8, 64], f32>, !graph.tensor<[n, m], i1> -> !graph.tensor<[b, n, 8, 64], f32>
  // CHECK-NEXT: graph.attention %{{.*}}, %{{.*}}, %{{.*}} mask %{{.*}} causal : {{.*}}, !graph.tensor<[b, 1, n, m], f32> -> !graph.tensor<[b, n, 8, 64], f32>
  %1 = graph.attention %q, %kv, %kv mask %bias causal : !graph.tensor<[b, n, 8, 64], f32>, !graph.tensor<[b, m, 8, 64], f32>, !graph.tensor<[b, m, 8, 64], f32>, !graph.tensor<[b, 1, n, m], f32> -> !graph.tensor<[b, n, 8, 64], f32>
  func.return
}

// CHECK-LABEL: func.func @rotary
func.func @rotary(%x: !graph.tensor<[b, n, 32, 128], f32>, %cos: !graph.tensor<[n, 128], f32>, %sin: !graph.tensor<[n, 128], f32>, %cos4: !graph.tensor<[1, n, 1, 128], f32>) {
  // CHECK-NEXT: graph.rotary %{{.*}}, %{{.*}}, %{{.*}} : !graph.tensor<[b, n, 32, 128], f32>, !graph.tensor<[n, 128], f32>, !graph.tensor<[n, 128], f32>
  %0 = graph.rotary %x, %cos, %sin : !graph.tensor<[b, n, 32, 128], f32>, !graph.tensor<[n, 128], f32>, !graph.tensor<[n, 128], f32>
  // CHECK-NEXT: graph.rotary {{.*}} : !graph.tensor<[b, n, 32, 128], f32>, !graph.tensor<[1, n, 1, 128], f32>, !graph.tensor<[1, n, 1, 128], f32>
  %1 = graph.rotary %0, %cos4, %cos4 : !graph.tensor<[b, n, 32, 128], f32>, !graph.tensor<[1, n, 1, 128], f32>, !graph.tensor<[1, n, 1, 128], f32>
  func.return
}

// CHECK-LABEL: func.func @rotary_symbolic_even_head_dim
func.func @rotary_symbolic_even_head_dim(%x: !graph.tensor<[b, n, h, 2 * d], f16>, %t: !graph.tensor<[n, 2 * d], f16>) {
  // CHECK-NEXT: graph.rotary {{.*}} : !graph.tensor<[b, n, h, 2 * d], f16>, !graph.tensor<[n, 2 * d], f16>, !graph.tensor<[n, 2 * d], f16>
  %0 = graph.rotary %x, %t, %t : !graph.tensor<[b, n, h, 2 * d], f16>, !graph.tensor<[n, 2 * d], f16>, !graph.tensor<[n, 2 * d], f16>
  func.return
}
