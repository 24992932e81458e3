// RUN: xunity-opt %s --split-input-file -p "convert-math-to-llvm{vector-ldexp=true}" | filecheck %s

// With vector-ldexp (hosts with AVX-512), exp clamps with ordered compares
// (NaN passes), rounds with llvm.lrint (an integer, never poison, for NaN)
// and scales by one llvm.ldexp (vscalefps once vectorised): no exponent-field
// arithmetic and no final NaN select.
// CHECK-LABEL: func.func @exp_scales_with_ldexp
func.func @exp_scales_with_ldexp(%x: f32) -> f32 {
  // CHECK:      %[[HI:.*]] = arith.cmpf ogt, %x, %{{.*}} : f32
  // CHECK:      %[[LO:.*]] = arith.cmpf olt
  // CHECK:      %[[N:.*]] = llvm.call_intrinsic "llvm.lrint.i32.f32"(%{{.*}}) : (f32) -> i32
  // CHECK-NEXT: arith.sitofp %[[N]] : i32 to f32
  // CHECK-NOT:  arith.shli
  // CHECK:      %[[E:.*]] = llvm.call_intrinsic "llvm.ldexp.f32.i32"(%{{.*}}, %[[N]]) : (f32, i32) -> f32
  // CHECK-NEXT: func.return %[[E]]
  %0 = math.exp %x : f32
  func.return %0 : f32
}

// -----

// exp2: the same scheme without the ln2 scaling of n.
// CHECK-LABEL: func.func @exp2_scales_with_ldexp
func.func @exp2_scales_with_ldexp(%x: f32) -> f32 {
  // CHECK:      %[[N:.*]] = llvm.call_intrinsic "llvm.lrint.i32.f32"(%{{.*}}) : (f32) -> i32
  // CHECK:      %[[E:.*]] = llvm.call_intrinsic "llvm.ldexp.f32.i32"(%{{.*}}, %[[N]]) : (f32, i32) -> f32
  // CHECK-NEXT: func.return %[[E]]
  %0 = math.exp2 %x : f32
  func.return %0 : f32
}
