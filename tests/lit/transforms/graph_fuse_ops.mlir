// RUN: xunity-opt %s --split-input-file -p graph-legalize,graph-fuse-ops | filecheck %s

// An elementwise chain: gelu absorbs the add (prologue).
// CHECK-LABEL: func.func @add_gelu
// CHECK: %[[C:.*]] = graph.call_tir @graph_add_0(%{{.*}}, %{{.*}}) :
// CHECK-NEXT: graph.call_tir @graph_gelu_1(%[[C]]) {graph.fuse = [0 : i64]}
func.func @add_gelu(%a: !graph.tensor<[n, 64], f32>, %b: !graph.tensor<[64], f32>) -> !graph.tensor<[n, 64], f32> {
  %c = graph.add %a, %b : !graph.tensor<[n, 64], f32>, !graph.tensor<[64], f32> -> !graph.tensor<[n, 64], f32>
  %d = graph.gelu %c : !graph.tensor<[n, 64], f32>
  func.return %d : !graph.tensor<[n, 64], f32>
}

// -----

// matmul + bias + gelu: the bias add is an epilogue of the GEMM (its final
// block), the gelu an epilogue of the add.
// CHECK-LABEL: func.func @matmul_bias_gelu
// CHECK: %[[MM:.*]] = graph.call_tir @graph_matmul_0(%{{.*}}, %{{.*}}) :
// CHECK-NEXT: %[[ADD:.*]] = graph.call_tir @graph_add_1(%[[MM]], %{{.*}}) {graph.fuse = [0 : i64]}
// CHECK-NEXT: graph.call_tir @graph_gelu_2(%[[ADD]]) {graph.fuse = [0 : i64]}
func.func @matmul_bias_gelu(%a: !graph.tensor<[n, 96], f32>, %w: !graph.tensor<[96, 128], f32>, %b: !graph.tensor<[128], f32>) -> !graph.tensor<[n, 128], f32> {
  %c = graph.matmul %a, %w : !graph.tensor<[n, 96], f32>, !graph.tensor<[96, 128], f32> -> !graph.tensor<[n, 128], f32>
  %d = graph.add %c, %b : !graph.tensor<[n, 128], f32>, !graph.tensor<[128], f32> -> !graph.tensor<[n, 128], f32>
  %e = graph.gelu %d : !graph.tensor<[n, 128], f32>
  func.return %e : !graph.tensor<[n, 128], f32>
}

// -----

// add + layer_norm: the add is inlined into the normalisation's loads.
// CHECK-LABEL: func.func @add_layer_norm
// CHECK: %[[S:.*]] = graph.call_tir @graph_add_0(
// CHECK-NEXT: graph.call_tir @graph_layer_norm_1(%[[S]], %{{.*}}, %{{.*}}) {graph.fuse = [0 : i64]}
func.func @add_layer_norm(%x: !graph.tensor<[n, 64], f32>, %r: !graph.tensor<[n, 64], f32>, %g: !graph.tensor<[64], f32>, %b: !graph.tensor<[64], f32>) -> !graph.tensor<[n, 64], f32> {
  %s = graph.add %x, %r : !graph.tensor<[n, 64], f32>, !graph.tensor<[n, 64], f32> -> !graph.tensor<[n, 64], f32>
  %y = graph.layer_norm %s, %g, %b axes = [-1] eps = 1.0e-5 : !graph.tensor<[n, 64], f32>, !graph.tensor<[64], f32>, !graph.tensor<[64], f32>
  func.return %y : !graph.tensor<[n, 64], f32>
}

// -----

// Not fused: a result used twice (the add feeds both the gelu and the return),
// and a broadcasting consumer that reads the producer at other indices than its own.
// CHECK-LABEL: func.func @not_fused
// CHECK-NOT: graph.fuse
// CHECK: func.return
func.func @not_fused(%a: !graph.tensor<[n, 64], f32>, %b: !graph.tensor<[n, 64], f32>, %v: !graph.tensor<[64], f32>) -> (!graph.tensor<[n, 64], f32>, !graph.tensor<[n, 64], f32>, !graph.tensor<[n, 64], f32>) {
  %c = graph.add %a, %b : !graph.tensor<[n, 64], f32>, !graph.tensor<[n, 64], f32> -> !graph.tensor<[n, 64], f32>
  %d = graph.gelu %c : !graph.tensor<[n, 64], f32>
  %s = graph.sum %a axes = [0] : !graph.tensor<[n, 64], f32> -> !graph.tensor<[64], f32>
  %e = graph.mul %b, %s : !graph.tensor<[n, 64], f32>, !graph.tensor<[64], f32> -> !graph.tensor<[n, 64], f32>
  func.return %c, %d, %e : !graph.tensor<[n, 64], f32>, !graph.tensor<[n, 64], f32>, !graph.tensor<[n, 64], f32>
}

// -----

// Two GEMM producers of one elementwise consumer (a gated MLP's gate * up):
// only one can host the consumer as its epilogue.
// CHECK-LABEL: func.func @two_epilogue_producers
// CHECK: graph.call_tir @graph_mul_1(%{{.*}}, %{{.*}}) {graph.fuse = [0 : i64]}
func.func @two_epilogue_producers(%x: !graph.tensor<[n, 8], f32>, %wg: !graph.tensor<[8, 16], f32>, %wu: !graph.tensor<[8, 16], f32>) -> !graph.tensor<[n, 16], f32> {
  %g = graph.matmul %x, %wg : !graph.tensor<[n, 8], f32>, !graph.tensor<[8, 16], f32> -> !graph.tensor<[n, 16], f32>
  %u = graph.matmul %x, %wu : !graph.tensor<[n, 8], f32>, !graph.tensor<[8, 16], f32> -> !graph.tensor<[n, 16], f32>
  %p = graph.mul %g, %u : !graph.tensor<[n, 16], f32>, !graph.tensor<[n, 16], f32> -> !graph.tensor<[n, 16], f32>
  func.return %p : !graph.tensor<[n, 16], f32>
}

// -----

// A size-1 batch dim reads index 0 (numpy broadcasting) and still counts as
// the element the consumer writes: the bias add is the GEMM's epilogue.
// CHECK-LABEL: func.func @batch_one_epilogue
// CHECK: graph.call_tir @graph_add_1(%{{.*}}, %{{.*}}) {graph.fuse = [0 : i64]}
func.func @batch_one_epilogue(%x: !graph.tensor<[1, n, 64], f32>, %w: !graph.tensor<[64, 128], f32>, %b: !graph.tensor<[128], f32>) -> !graph.tensor<[1, n, 128], f32> {
  %y = graph.matmul %x, %w : !graph.tensor<[1, n, 64], f32>, !graph.tensor<[64, 128], f32> -> !graph.tensor<[1, n, 128], f32>
  %z = graph.add %y, %b : !graph.tensor<[1, n, 128], f32>, !graph.tensor<[128], f32> -> !graph.tensor<[1, n, 128], f32>
  func.return %z : !graph.tensor<[1, n, 128], f32>
}
