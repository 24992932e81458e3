// RUN: xunity-opt %s --split-input-file -p 'graph-specialize-shapes{bindings="n=7"}' | filecheck %s

// CHECK-LABEL: func.func @binds_signature_and_body
// CHECK-SAME: (%{{.*}}: !graph.tensor<[7, 1], f32>, %{{.*}}: !graph.tensor<[1, m], f32>) -> !graph.tensor<[7, m], f32>
func.func @binds_signature_and_body(%a: !graph.tensor<[n, 1], f32>, %b: !graph.tensor<[1, m], f32>) -> !graph.tensor<[n, m], f32> {
  // CHECK-NEXT: graph.add {{.*}} -> !graph.tensor<[7, m], f32>
  %c = graph.add %a, %b : !graph.tensor<[n, 1], f32>, !graph.tensor<[1, m], f32> -> !graph.tensor<[n, m], f32>
  func.return %c : !graph.tensor<[n, m], f32>
}

// -----

// CHECK-LABEL: func.func @expressions_fold_to_constants
// CHECK-SAME: !graph.tensor<[8, 14, 3], f32>
func.func @expressions_fold_to_constants(%a: !graph.tensor<[n + 1, 2 * n, (n - 1) floordiv 2], f32>) {
  func.return
}
