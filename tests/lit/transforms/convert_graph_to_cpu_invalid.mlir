// RUN: not xunity-opt %s -p graph-legalize,convert-tir-to-cpu,convert-graph-to-cpu 2>&1 | filecheck %s

// CHECK: convert-graph-to-cpu: @only_in_an_expression: every shape variable must be a whole dim of some argument (e.g. [n, 4], not only [2 * n]) so that calls can bind it
func.func @only_in_an_expression(%x: !graph.tensor<[2 * n], f32>) -> !graph.tensor<[2 * n], f32> {
  %y = graph.neg %x : !graph.tensor<[2 * n], f32>
  func.return %y : !graph.tensor<[2 * n], f32>
}
