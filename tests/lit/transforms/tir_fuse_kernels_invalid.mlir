// RUN: xunity-opt %s -p graph-legalize,tir-fuse-kernels --verify-diagnostics 2>&1 | filecheck %s

// A hand-written mark on an edge that cannot merge (a reduction producer whose
// result the elementwise consumer broadcasts) fails, naming the call.
// CHECK: tir-fuse-kernels: call of @graph_mul_1: the producer of operand 1 cannot be merged
func.func @bad_mark(%a: !graph.tensor<[n, 64], f32>) -> !graph.tensor<[n, 64], f32> {
  %s = graph.sum %a axes = [0] : !graph.tensor<[n, 64], f32> -> !graph.tensor<[64], f32>
  %e = graph.mul %a, %s {graph.fuse = [1]} : !graph.tensor<[n, 64], f32>, !graph.tensor<[64], f32> -> !graph.tensor<[n, 64], f32>
  func.return %e : !graph.tensor<[n, 64], f32>
}
