// RUN: xunity-opt %s --split-input-file --verify-diagnostics -p graph-legalize | filecheck %s

// numpy's boolean matmul (or of ands) has no kernel: cast to an integer first.
// CHECK: graph.matmul: i1 operands are not supported; cast first
func.func @matmul_bool(%a: !graph.tensor<[4, 8], i1>, %b: !graph.tensor<[8, 2], i1>) -> !graph.tensor<[4, 2], i1> {
  %c = graph.matmul %a, %b : !graph.tensor<[4, 8], i1>, !graph.tensor<[8, 2], i1> -> !graph.tensor<[4, 2], i1>
  func.return %c : !graph.tensor<[4, 2], i1>
}
