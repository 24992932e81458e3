// RUN: not xunity-opt %s -p 'graph-specialize-shapes{bindings="n=seven"}' 2>&1 | filecheck %s --check-prefix=NOT-INT
// RUN: not xunity-opt %s -p 'graph-specialize-shapes{bindings="n=-2"}' 2>&1 | filecheck %s --check-prefix=NEGATIVE

// NOT-INT: graph-specialize-shapes: bad binding 'n=seven', expected name=integer
// NEGATIVE: graph-specialize-shapes: n = -2 is negative
func.func @f(%a: !graph.tensor<[n], f32>) {
  func.return
}
