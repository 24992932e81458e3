// RUN: xdsl-opt %s | filecheck %s
// RUN: xdsl-opt %s -p 'graph-specialize-shapes{bindings="n=3"}' | filecheck %s --check-prefix=PASS
// Plain xdsl-opt finds the graph dialect and xunity's passes via the xdsl.universe entry point.

// CHECK: graph.exp %{{.*}} : !graph.tensor<[n, 4], f32>
// PASS: graph.exp %{{.*}} : !graph.tensor<[3, 4], f32>
func.func @f(%x: !graph.tensor<[n, 4], f32>) -> !graph.tensor<[n, 4], f32> {
  %y = graph.exp %x : !graph.tensor<[n, 4], f32>
  func.return %y : !graph.tensor<[n, 4], f32>
}
