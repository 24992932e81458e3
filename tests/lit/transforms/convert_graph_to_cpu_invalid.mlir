// RUN: xunity-opt %s --split-input-file --verify-diagnostics -p graph-legalize,convert-tir-to-cpu,convert-graph-to-cpu 2>&1 | filecheck %s

// CHECK: convert-graph-to-cpu: @only_in_an_expression: every shape variable must be a whole dim of some argument (e.g. [n, 4], not only [2 * n]) so that calls can bind it
func.func @only_in_an_expression(%x: !graph.tensor<[2 * n], f32>) -> !graph.tensor<[2 * n], f32> {
  %y = graph.neg %x : !graph.tensor<[2 * n], f32>
  func.return %y : !graph.tensor<[2 * n], f32>
}

// -----

// CHECK: convert-graph-to-cpu: graph.call_packed "xunity.kv_append": calls into runtime functions are not lowered yet
func.func @packed_call(%x: !graph.tensor<[n], f32>) -> !graph.tensor<[n], f32> {
  %y = graph.call_packed "xunity.kv_append"(%x) : (!graph.tensor<[n], f32>) -> !graph.tensor<[n], f32>
  func.return %y : !graph.tensor<[n], f32>
}

// -----

// CHECK: convert-graph-to-cpu: weight "w" is not bound; bind weights (xunity.compile(..., params=...)) first
func.func @unbound_weight() -> !graph.tensor<[2], f32> {
  %w = graph.weight "w" : !graph.tensor<[2], f32>
  func.return %w : !graph.tensor<[2], f32>
}

// -----

// CHECK: convert-graph-to-cpu: @f needs the symbol @f_out for its destination-passing entry, but the module already defines it
func.func @f(%x: !graph.tensor<[n], f32>) -> !graph.tensor<[n], f32> {
  func.return %x : !graph.tensor<[n], f32>
}
func.func @f_out(%x: !graph.tensor<[n], f32>) -> !graph.tensor<[n], f32> {
  func.return %x : !graph.tensor<[n], f32>
}
