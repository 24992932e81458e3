// RUN: xunity-opt %s --split-input-file --verify-diagnostics -p convert-cf-to-llvm | filecheck %s

// CHECK: convert_cf_to_llvm_invalid.mlir:5:3: error: convert-cf-to-llvm: cf.switch: no lowering to llvm
func.func @switch(%flag: i32) {
  cf.switch %flag : i32, [
    default: ^exit,
    1: ^exit
  ]
^exit:
  func.return
}
