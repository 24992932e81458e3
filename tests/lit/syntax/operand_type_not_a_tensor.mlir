// RUN: not xunity-opt %s --split-input-file 2>&1 | filecheck %s
// A wrong operand type is reported at the op, naming it, in both forms.

// CHECK: operand_type_not_a_tensor.mlir:7:3: error: graph.exp: memref<4xf32> should be of base attribute graph.tensor
func.func @custom_form(%a: memref<4xf32>) {
  // A comment keeps the op on line 7.
  %0 = graph.exp %a : memref<4xf32>
  func.return
}
