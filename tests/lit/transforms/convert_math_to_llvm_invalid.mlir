// RUN: xunity-opt %s --split-input-file --verify-diagnostics -p convert-math-to-llvm | filecheck %s

// The expansions need a vector llvm.select, which xDSL lacks.
// CHECK: convert_math_to_llvm_invalid.mlir:6:3: error: convert-math-to-llvm: math.exp: vector math is not supported (xDSL's llvm.select is scalar)
func.func @vector_exp(%x: vector<16xf32>) -> vector<16xf32> {
  %0 = math.exp %x : vector<16xf32>
  func.return %0 : vector<16xf32>
}

// -----

// CHECK: error: convert-math-to-llvm: math.ctlz: no lowering to llvm
func.func @count_leading_zeros(%x: i32) -> i32 {
  %0 = math.ctlz %x : i32
  func.return %0 : i32
}
