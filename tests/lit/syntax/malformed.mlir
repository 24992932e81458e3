// RUN: not xunity-opt %s 2>&1 | filecheck %s
// Malformed text: a file:line:col diagnostic, a non-zero exit, no traceback.

// CHECK-NOT: Traceback
// CHECK: malformed.mlir:7:36
// CHECK-SAME: error: expected a shape dimension
func.func @f(%a: !graph.tensor<[n, +], f32>) {
  func.return
}
