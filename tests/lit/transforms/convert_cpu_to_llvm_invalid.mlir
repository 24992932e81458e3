// RUN: xunity-opt %s --split-input-file --verify-diagnostics -p convert-cpu-to-llvm | filecheck %s

// bf16 vectors are i16 bits in LLVM IR; arithmetic on them needs f32.
// CHECK: convert_cpu_to_llvm_invalid.mlir:6:3: error: convert-cpu-to-llvm: cpu.vreduce: bf16 vector arithmetic is not supported; convert to f32 first
func.func @bf16_reduce(%v: vector<16xbf16>) -> bf16 {
  %s = cpu.vreduce add %v : vector<16xbf16> -> bf16
  func.return %s : bf16
}

// -----

// CHECK: error: convert-cpu-to-llvm: cpu.vfma: bf16 vector arithmetic is not supported; convert to f32 first
func.func @bf16_fma(%v: vector<16xbf16>) -> vector<16xbf16> {
  %r = cpu.vfma %v, %v, %v : vector<16xbf16>
  func.return %r : vector<16xbf16>
}
