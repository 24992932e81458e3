// RUN: xunity-opt %s --split-input-file --verify-diagnostics -p convert-func-to-llvm | filecheck %s

// CHECK: convert_func_to_llvm_invalid.mlir:4:1: error: convert-func-to-llvm: func.func: llvm functions return at most one value
func.func @two_results(%x: f32) -> (f32, f32) {
  func.return %x, %x : f32, f32
}
