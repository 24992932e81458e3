// RUN: not xunity-opt %s -p graph-legalize 2>&1 | filecheck %s
// 4-bit tensors are weight storage: every op computing on them is listed at once.

// CHECK: graph-legalize: 4-bit tensors are storage for quantised weights; dequantize (graph.astype) before computing with them:
// CHECK-NEXT: graph_legalize_invalid.mlir:8:3: graph.add
// CHECK-NEXT: graph_legalize_invalid.mlir:9:3: graph.neg
func.func @packed(%a: !graph.tensor<[8], i4>, %b: !graph.tensor<[8], ui4>) {
  %0 = graph.add %a, %a : !graph.tensor<[8], i4>, !graph.tensor<[8], i4> -> !graph.tensor<[8], i4>
  %1 = graph.neg %b : !graph.tensor<[8], ui4>
  func.return
}
