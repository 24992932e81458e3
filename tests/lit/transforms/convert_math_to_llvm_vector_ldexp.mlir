// RUN: xunity-opt %s -p "convert-math-to-llvm{vector-ldexp=true}" | filecheck %s

// With vector-ldexp (hosts with AVX-512), exp's 2^n is one llvm.ldexp
// (vscalefps once vectorised) instead of two exponent-field factors.
// CHECK-LABEL: func.func @exp_scales_with_ldexp
func.func @exp_scales_with_ldexp(%x: f32) -> f32 {
  // CHECK:      %[[N:.*]] = llvm.call_intrinsic "llvm.roundeven.f32"
  // CHECK:      %[[NI:.*]] = arith.fptosi %[[N]] : f32 to i32
  // CHECK-NOT:  arith.shli
  // CHECK:      llvm.call_intrinsic "llvm.ldexp.f32.i32"(%{{.*}}, %[[NI]]) : (f32, i32) -> f32
  // CHECK:      arith.cmpf uno
  // CHECK:      func.return
  %0 = math.exp %x : f32
  func.return %0 : f32
}
