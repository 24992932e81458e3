// RUN: xunity-opt %s --split-input-file --verify-diagnostics -p convert-arith-to-llvm | filecheck %s

// A vector min/max would need a vector llvm.select, which xDSL lacks.
// CHECK: convert_arith_to_llvm_invalid.mlir:6:3: error: convert-arith-to-llvm: arith.maxsi: no lowering for vectors (xDSL's llvm.select is scalar)
func.func @vector_maxsi(%a: vector<4xi32>, %b: vector<4xi32>) -> vector<4xi32> {
  %0 = arith.maxsi %a, %b : vector<4xi32>
  func.return %0 : vector<4xi32>
}

// -----

// CHECK: error: convert-arith-to-llvm: arith.floordivsi: no lowering for vectors (xDSL's llvm.select is scalar)
func.func @vector_floordivsi(%a: vector<4xi32>, %b: vector<4xi32>) -> vector<4xi32> {
  %0 = arith.floordivsi %a, %b : vector<4xi32>
  func.return %0 : vector<4xi32>
}

// -----

// CHECK: error: convert-arith-to-llvm: arith.addui_extended: no lowering to llvm
func.func @no_lowering(%a: i32, %b: i32) -> (i32, i1) {
  %0, %1 = arith.addui_extended %a, %b : i32, i1
  func.return %0, %1 : i32, i1
}
