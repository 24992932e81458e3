// RUN: xunity-opt %s --split-input-file -p 'graph-specialize-shapes{bindings="n=2"},graph-specialize-shapes{bindings="m=5"}' --print-between-passes | filecheck %s

// CHECK: IR after graph-specialize-shapes:
// CHECK: func.func @first(%{{.*}}: !graph.tensor<[2, m], f32>)
// CHECK: func.func @first(%{{.*}}: !graph.tensor<[2, 5], f32>)
// CHECK: {{^// -+$}}
// CHECK: func.func @second(%{{.*}}: !graph.tensor<[5], f32>)
func.func @first(%x: !graph.tensor<[n, m], f32>) {
  func.return
}

// -----

func.func @second(%x: !graph.tensor<[m], f32>) {
  func.return
}
