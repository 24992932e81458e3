// RUN: not xunity-opt %s 2>&1 | filecheck %s

// CHECK: operand_type_not_a_tensor_generic.mlir:6:3: error: graph.exp: operand 'input' at position 0 does not verify
func.func @generic_form(%a: memref<4xf32>) {
  // A comment keeps the op on line 6.
  %0 = "graph.exp"(%a) : (memref<4xf32>) -> memref<4xf32>
  func.return
}
