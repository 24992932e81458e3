// RUN: xunity-opt %s --split-input-file --verify-diagnostics | filecheck %s

func.func @query_rank(%q: !graph.tensor<[b, n, 512], f32>, %k: !graph.tensor<[b, m, 8, 64], f32>, %v: !graph.tensor<[b, m, 8, 64], f32>) {
  // CHECK: attention_invalid.mlir:5:3: error: graph.attention: query must have rank 4 [batch, seq_q, heads, head_dim], got rank 3
  %0 = graph.attention %q, %k, %v : !graph.tensor<[b, n, 512], f32>, !graph.tensor<[b, m, 8, 64], f32>, !graph.tensor<[b, m, 8, 64], f32> -> !graph.tensor<[b, n, 512], f32>
  func.return
}

// -----

func.func @key_rank(%q: !graph.tensor<[b, n, 8, 64], f32>, %k: !graph.tensor<[b, m, 512], f32>, %v: !graph.tensor<[b, m, 8, 64], f32>) {
  // CHECK: error: graph.attention: key must have rank 4 [batch, seq_kv, kv_heads, head_dim], got rank 3
  %0 = graph.attention %q, %k, %v : !graph.tensor<[b, n, 8, 64], f32>, !graph.tensor<[b, m, 512], f32>, !graph.tensor<[b, m, 8, 64], f32> -> !graph.tensor<[b, n, 8, 64], f32>
  func.return
}

// -----

func.func @value_rank(%q: !graph.tensor<[b, n, 8, 64], f32>, %k: !graph.tensor<[b, m, 8, 64], f32>, %v: !graph.tensor<[b, m, 512], f32>) {
  // CHECK: error: graph.attention: value must have rank 4 [batch, seq_kv, kv_heads, head_dim_v], got rank 3
  %0 = graph.attention %q, %k, %v : !graph.tensor<[b, n, 8, 64], f32>, !graph.tensor<[b, m, 8, 64], f32>, !graph.tensor<[b, m, 512], f32> -> !graph.tensor<[b, n, 8, 64], f32>
  func.return
}

// -----

func.func @integer_tensors(%q: !graph.tensor<[b, n, 8, 64], i32>, %k: !graph.tensor<[b, m, 8, 64], i32>, %v: !graph.tensor<[b, m, 8, 64], i32>) {
  // CHECK: error: graph.attention: expects floating-point tensors, got i32
  %0 = graph.attention %q, %k, %v : !graph.tensor<[b, n, 8, 64], i32>, !graph.tensor<[b, m, 8, 64], i32>, !graph.tensor<[b, m, 8, 64], i32> -> !graph.tensor<[b, n, 8, 64], i32>
  func.return
}

// -----

func.func @element_types_differ(%q: !graph.tensor<[b, n, 8, 64], f32>, %k: !graph.tensor<[b, m, 8, 64], f32>, %v: !graph.tensor<[b, m, 8, 64], f16>) {
  // CHECK: error: graph.attention: query, key and value element types f32, f32 and f16 must match
  %0 = graph.attention %q, %k, %v : !graph.tensor<[b, n, 8, 64], f32>, !graph.tensor<[b, m, 8, 64], f32>, !graph.tensor<[b, m, 8, 64], f16> -> !graph.tensor<[b, n, 8, 64], f32>
  func.return
}

// -----

func.func @key_batch(%q: !graph.tensor<[b, n, 8, 64], f32>, %k: !graph.tensor<[c, m, 8, 64], f32>, %v: !graph.tensor<[b, m, 8, 64], f32>) {
  // CHECK: error: graph.attention: batch (key vs query): cannot prove c == b
  %0 = graph.attention %q, %k, %v : !graph.tensor<[b, n, 8, 64], f32>, !graph.tensor<[c, m, 8, 64], f32>, !graph.tensor<[b, m, 8, 64], f32> -> !graph.tensor<[b, n, 8, 64], f32>
  func.return
}

// -----

func.func @value_batch(%q: !graph.tensor<[2, n, 8, 64], f32>, %k: !graph.tensor<[2, m, 8, 64], f32>, %v: !graph.tensor<[3, m, 8, 64], f32>) {
  // CHECK: error: graph.attention: batch (value vs query): 3 and 2 differ
  %0 = graph.attention %q, %k, %v : !graph.tensor<[2, n, 8, 64], f32>, !graph.tensor<[2, m, 8, 64], f32>, !graph.tensor<[3, m, 8, 64], f32> -> !graph.tensor<[2, n, 8, 64], f32>
  func.return
}

// -----

func.func @key_head_dim(%q: !graph.tensor<[b, n, 8, 64], f32>, %k: !graph.tensor<[b, m, 8, 128], f32>, %v: !graph.tensor<[b, m, 8, 64], f32>) {
  // CHECK: error: graph.attention: head_dim (key vs query): 128 and 64 differ
  %0 = graph.attention %q, %k, %v : !graph.tensor<[b, n, 8, 64], f32>, !graph.tensor<[b, m, 8, 128], f32>, !graph.tensor<[b, m, 8, 64], f32> -> !graph.tensor<[b, n, 8, 64], f32>
  func.return
}

// -----

func.func @value_seq_kv(%q: !graph.tensor<[b, n, 8, 64], f32>, %k: !graph.tensor<[b, m, 8, 64], f32>, %v: !graph.tensor<[b, m + 1, 8, 64], f32>) {
  // CHECK: error: graph.attention: seq_kv (value vs key): m + 1 and m differ
  %0 = graph.attention %q, %k, %v : !graph.tensor<[b, n, 8, 64], f32>, !graph.tensor<[b, m, 8, 64], f32>, !graph.tensor<[b, m + 1, 8, 64], f32> -> !graph.tensor<[b, n, 8, 64], f32>
  func.return
}

// -----

func.func @value_kv_heads(%q: !graph.tensor<[b, n, 8, 64], f32>, %k: !graph.tensor<[b, m, 4, 64], f32>, %v: !graph.tensor<[b, m, 8, 64], f32>) {
  // CHECK: error: graph.attention: kv_heads (value vs key): 8 and 4 differ
  %0 = graph.attention %q, %k, %v : !graph.tensor<[b, n, 8, 64], f32>, !graph.tensor<[b, m, 4, 64], f32>, !graph.tensor<[b, m, 8, 64], f32> -> !graph.tensor<[b, n, 8, 64], f32>
  func.return
}

// -----

func.func @heads_not_multiple(%q: !graph.tensor<[b, n, 12, 64], f32>, %k: !graph.tensor<[b, m, 8, 64], f32>, %v: !graph.tensor<[b, m, 8, 64], f32>) {
  // CHECK: error: graph.attention: heads 12 is not a multiple of kv_heads 8
  %0 = graph.attention %q, %k, %v : !graph.tensor<[b, n, 12, 64], f32>, !graph.tensor<[b, m, 8, 64], f32>, !graph.tensor<[b, m, 8, 64], f32> -> !graph.tensor<[b, n, 12, 64], f32>
  func.return
}

// -----

func.func @heads_multiple_unprovable(%q: !graph.tensor<[b, n, h, 64], f32>, %k: !graph.tensor<[b, m, 2, 64], f32>, %v: !graph.tensor<[b, m, 2, 64], f32>) {
  // CHECK: error: graph.attention: cannot prove heads h is a multiple of kv_heads 2
  %0 = graph.attention %q, %k, %v : !graph.tensor<[b, n, h, 64], f32>, !graph.tensor<[b, m, 2, 64], f32>, !graph.tensor<[b, m, 2, 64], f32> -> !graph.tensor<[b, n, h, 64], f32>
  func.return
}

// -----

func.func @heads_symbolic_ratio_unprovable(%q: !graph.tensor<[b, n, h, 64], f32>, %k: !graph.tensor<[b, m, g, 64], f32>, %v: !graph.tensor<[b, m, g, 64], f32>) {
  // CHECK: error: graph.attention: cannot prove heads h is a multiple of kv_heads g
  %0 = graph.attention %q, %k, %v : !graph.tensor<[b, n, h, 64], f32>, !graph.tensor<[b, m, g, 64], f32>, !graph.tensor<[b, m, g, 64], f32> -> !graph.tensor<[b, n, h, 64], f32>
  func.return
}

// -----

func.func @mask_element_type(%q: !graph.tensor<[b, n, 8, 64], f32>, %k: !graph.tensor<[b, m, 8, 64], f32>, %v: !graph.tensor<[b, m, 8, 64], f32>, %m: !graph.tensor<[n, m], f16>) {
  // CHECK: error: graph.attention: mask must hold i1 or the query element type f32, got f16
  %0 = graph.attention %q, %k, %v mask %m : !graph.tensor<[b, n, 8, 64], f32>, !graph.tensor<[b, m, 8, 64], f32>, !graph.tensor<[b, m, 8, 64], f32>, !graph.tensor<[n, m], f16> -> !graph.tensor<[b, n, 8, 64], f32>
  func.return
}

// -----

func.func @mask_rank(%q: !graph.tensor<[b, n, 8, 64], f32>, %k: !graph.tensor<[b, m, 8, 64], f32>, %v: !graph.tensor<[b, m, 8, 64], f32>, %m: !graph.tensor<[1, b, 8, n, m], i1>) {
  // CHECK: error: graph.attention: mask has rank 5, more than the 4 of [batch, heads, seq_q, seq_kv]
  %0 = graph.attention %q, %k, %v mask %m : !graph.tensor<[b, n, 8, 64], f32>, !graph.tensor<[b, m, 8, 64], f32>, !graph.tensor<[b, m, 8, 64], f32>, !graph.tensor<[1, b, 8, n, m], i1> -> !graph.tensor<[b, n, 8, 64], f32>
  func.return
}

// -----

func.func @mask_does_not_broadcast(%q: !graph.tensor<[b, n, 8, 64], f32>, %k: !graph.tensor<[b, m, 8, 64], f32>, %v: !graph.tensor<[b, m, 8, 64], f32>, %m: !graph.tensor<[n, n], i1>) {
  // CHECK: error: graph.attention: mask dim 1 (n) must be 1 or seq_kv (m)
  %0 = graph.attention %q, %k, %v mask %m : !graph.tensor<[b, n, 8, 64], f32>, !graph.tensor<[b, m, 8, 64], f32>, !graph.tensor<[b, m, 8, 64], f32>, !graph.tensor<[n, n], i1> -> !graph.tensor<[b, n, 8, 64], f32>
  func.return
}

// -----

func.func @declared_result_disagrees(%q: !graph.tensor<[b, n, 8, 64], f32>, %k: !graph.tensor<[b, m, 8, 64], f32>, %v: !graph.tensor<[b, m, 8, 32], f32>) {
  // CHECK: error: graph.attention: result 0 has type !graph.tensor<[b, n, 8, 64], f32>, but the operands imply !graph.tensor<[b, n, 8, 32], f32>
  %0 = graph.attention %q, %k, %v : !graph.tensor<[b, n, 8, 64], f32>, !graph.tensor<[b, m, 8, 64], f32>, !graph.tensor<[b, m, 8, 32], f32> -> !graph.tensor<[b, n, 8, 64], f32>
  func.return
}

// -----

func.func @rotary_rank(%x: !graph.tensor<[n, 8, 64], f32>, %c: !graph.tensor<[n, 64], f32>, %s: !graph.tensor<[n, 64], f32>) {
  // CHECK: error: graph.rotary: input must have rank 4 [batch, seq, heads, head_dim], got rank 3
  %0 = graph.rotary %x, %c, %s : !graph.tensor<[n, 8, 64], f32>, !graph.tensor<[n, 64], f32>, !graph.tensor<[n, 64], f32>
  func.return
}

// -----

func.func @rotary_integers(%x: !graph.tensor<[b, n, 8, 64], i32>, %c: !graph.tensor<[n, 64], i32>, %s: !graph.tensor<[n, 64], i32>) {
  // CHECK: error: graph.rotary: expects a floating-point tensor, got i32
  %0 = graph.rotary %x, %c, %s : !graph.tensor<[b, n, 8, 64], i32>, !graph.tensor<[n, 64], i32>, !graph.tensor<[n, 64], i32>
  func.return
}

// -----

func.func @rotary_odd_head_dim(%x: !graph.tensor<[b, n, 8, 63], f32>, %c: !graph.tensor<[n, 63], f32>, %s: !graph.tensor<[n, 63], f32>) {
  // CHECK: error: graph.rotary: head_dim 63 is not even
  %0 = graph.rotary %x, %c, %s : !graph.tensor<[b, n, 8, 63], f32>, !graph.tensor<[n, 63], f32>, !graph.tensor<[n, 63], f32>
  func.return
}

// -----

func.func @rotary_head_dim_unprovably_even(%x: !graph.tensor<[b, n, 8, d], f32>, %c: !graph.tensor<[n, d], f32>, %s: !graph.tensor<[n, d], f32>) {
  // CHECK: error: graph.rotary: head_dim d cannot be proven even
  %0 = graph.rotary %x, %c, %s : !graph.tensor<[b, n, 8, d], f32>, !graph.tensor<[n, d], f32>, !graph.tensor<[n, d], f32>
  func.return
}

// -----

func.func @rotary_table_element_type(%x: !graph.tensor<[b, n, 8, 64], f32>, %c: !graph.tensor<[n, 64], f32>, %s: !graph.tensor<[n, 64], f16>) {
  // CHECK: error: graph.rotary: sin element type f16 differs from the input's f32
  %0 = graph.rotary %x, %c, %s : !graph.tensor<[b, n, 8, 64], f32>, !graph.tensor<[n, 64], f32>, !graph.tensor<[n, 64], f16>
  func.return
}

// -----

func.func @rotary_table_rank(%x: !graph.tensor<[b, n, 8, 64], f32>, %c: !graph.tensor<[64], f32>, %s: !graph.tensor<[n, 64], f32>) {
  // CHECK: error: graph.rotary: cos must have rank 2 [seq, head_dim] or 4, got rank 1
  %0 = graph.rotary %x, %c, %s : !graph.tensor<[b, n, 8, 64], f32>, !graph.tensor<[64], f32>, !graph.tensor<[n, 64], f32>
  func.return
}

// -----

func.func @rotary_table_seq(%x: !graph.tensor<[b, n, 8, 64], f32>, %c: !graph.tensor<[m, 64], f32>, %s: !graph.tensor<[n, 64], f32>) {
  // CHECK: error: graph.rotary: cos dim 0 (m) must be 1 or seq (n)
  %0 = graph.rotary %x, %c, %s : !graph.tensor<[b, n, 8, 64], f32>, !graph.tensor<[m, 64], f32>, !graph.tensor<[n, 64], f32>
  func.return
}

// -----

func.func @rotary_table_rank4(%x: !graph.tensor<[b, n, 8, 64], f32>, %c: !graph.tensor<[n, 64], f32>, %s: !graph.tensor<[1, n, 8, 32], f32>) {
  // CHECK: error: graph.rotary: sin dim 3 (32) must be 1 or head_dim (64)
  %0 = graph.rotary %x, %c, %s : !graph.tensor<[b, n, 8, 64], f32>, !graph.tensor<[n, 64], f32>, !graph.tensor<[1, n, 8, 32], f32>
  func.return
}
