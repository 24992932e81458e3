// RUN: xunity-opt %s --split-input-file -p convert-math-to-llvm | filecheck %s

// CHECK-LABEL: func.func @intrinsics
// CHECK-SAME: (%[[X:.*]]: f32, %[[Y:.*]]: f32, %[[Z:.*]]: f32)
func.func @intrinsics(%x: f32, %y: f32, %z: f32) -> (f32, f32, f32, f32, f32, f32, f32, f32, f32) {
  // CHECK-NEXT: llvm.intr.sqrt(%[[X]]) : (f32) -> f32
  // CHECK-NEXT: llvm.intr.fabs(%[[X]]) : (f32) -> f32
  // CHECK-NEXT: llvm.intr.floor(%[[X]]) : (f32) -> f32
  // CHECK-NEXT: llvm.intr.ceil(%[[X]]) : (f32) -> f32
  // CHECK-NEXT: llvm.intr.copysign(%[[X]], %[[Y]]) : (f32, f32) -> f32
  // CHECK-NEXT: llvm.intr.fma(%[[X]], %[[Y]], %[[Z]]) : (f32, f32, f32) -> f32
  // CHECK-NEXT: llvm.call_intrinsic "llvm.roundeven.f32"(%[[X]]) : (f32) -> f32
  // CHECK-NEXT: llvm.call_intrinsic "llvm.round.f32"(%[[X]]) : (f32) -> f32
  // CHECK-NEXT: llvm.call_intrinsic "llvm.trunc.f32"(%[[X]]) : (f32) -> f32
  %0 = math.sqrt %x : f32
  %1 = math.absf %x : f32
  %2 = math.floor %x : f32
  %3 = math.ceil %x : f32
  %4 = math.copysign %x, %y : f32
  %5 = math.fma %x, %y, %z : f32
  %6 = math.roundeven %x : f32
  %7 = math.round %x : f32
  %8 = math.trunc %x : f32
  func.return %0, %1, %2, %3, %4, %5, %6, %7, %8 : f32, f32, f32, f32, f32, f32, f32, f32, f32
}

// -----

// CHECK-LABEL: func.func @vector_intrinsic
func.func @vector_intrinsic(%x: vector<16xf32>) -> vector<16xf32> {
  // CHECK-NEXT: llvm.call_intrinsic "llvm.roundeven.v16f32"(%{{.*}}) : (vector<16xf32>) -> vector<16xf32>
  %0 = math.roundeven %x : vector<16xf32>
  func.return %0 : vector<16xf32>
}

// -----

// exp: n = roundeven(x log2 e), r = x - n ln2 (two parts), polynomial, 2^n as two
// exponent-field factors; no call to libm.
// CHECK-LABEL: func.func @exp_is_expanded
func.func @exp_is_expanded(%x: f32) -> f32 {
  // CHECK-NOT:  math.exp
  // CHECK-NOT:  llvm.call @
  // CHECK:      %[[N:.*]] = llvm.call_intrinsic "llvm.roundeven.f32"
  // CHECK:      arith.fptosi %[[N]] : f32 to i32
  // CHECK:      arith.shrsi
  // CHECK:      arith.shli
  // CHECK:      arith.bitcast %{{.*}} : i32 to f32
  // CHECK:      arith.cmpf uno
  // CHECK:      func.return
  %0 = math.exp %x : f32
  func.return %0 : f32
}

// -----

// log: exponent and mantissa from the bits (subnormals scaled first), polynomial.
// CHECK-LABEL: func.func @log_is_expanded
func.func @log_is_expanded(%x: f32) -> f32 {
  // CHECK-NOT:  math.log
  // CHECK-NOT:  llvm.call @
  // CHECK:      arith.bitcast %{{.*}} : f32 to i32
  // CHECK:      arith.shrui
  // CHECK:      arith.sitofp %{{.*}} : i32 to f32
  // CHECK:      arith.cmpf ult
  // CHECK:      func.return
  %0 = math.log %x : f32
  func.return %0 : f32
}

// -----

// sin/cos: three-part pi/2 reduction with fma, quadrant by select.
// CHECK-LABEL: func.func @sin_is_expanded
func.func @sin_is_expanded(%x: f32) -> f32 {
  // CHECK-NOT:  math.sin
  // CHECK-NOT:  llvm.call @
  // CHECK-COUNT-8: llvm.intr.fma
  // CHECK:      arith.andi
  // CHECK:      arith.select
  // CHECK:      func.return
  %0 = math.sin %x : f32
  func.return %0 : f32
}

// -----

// CHECK-LABEL: func.func @other_expansions_call_nothing
func.func @other_expansions_call_nothing(%x: f32, %y: f32) -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32) {
  // CHECK-NOT: math.
  // CHECK-NOT: llvm.call @
  // CHECK:     func.return
  %0 = math.tanh %x : f32
  %1 = math.erf %x : f32
  %2 = math.cos %x : f32
  %3 = math.exp2 %x : f32
  %4 = math.expm1 %x : f32
  %5 = math.log1p %x : f32
  %6 = math.log2 %x : f32
  %7 = math.log10 %x : f32
  %8 = math.rsqrt %x : f32
  %9 = math.powf %x, %y : f32
  %10 = math.absf %x : f32
  func.return %0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10 : f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32
}

// -----

// f16 and bf16 compute in f32.
// CHECK-LABEL: func.func @half_precision_computes_in_f32
// CHECK-SAME: (%[[X:.*]]: f16)
func.func @half_precision_computes_in_f32(%x: f16) -> f16 {
  // CHECK-NEXT: %[[W:.*]] = arith.extf %[[X]] : f16 to f32
  // CHECK-NEXT: %[[R:.*]] = llvm.intr.sqrt(%[[W]]) : (f32) -> f32
  // CHECK-NEXT: %[[N:.*]] = arith.truncf %[[R]] : f32 to f16
  // CHECK-NEXT: func.return %[[N]] : f16
  %0 = math.sqrt %x : f16
  func.return %0 : f16
}

// -----

// CHECK-LABEL: func.func @bf16_exp_computes_in_f32
func.func @bf16_exp_computes_in_f32(%x: bf16) -> bf16 {
  // CHECK-NEXT: arith.extf %{{.*}} : bf16 to f32
  // CHECK:      llvm.call_intrinsic "llvm.roundeven.f32"
  // CHECK:      arith.truncf %{{.*}} : f32 to bf16
  %0 = math.exp %x : bf16
  func.return %0 : bf16
}

// -----

// f64 transcendentals call libm, declared once per module.
// CHECK-LABEL: func.func @f64_calls_libm
// CHECK-SAME: (%[[X:.*]]: f64)
func.func @f64_calls_libm(%x: f64) -> f64 {
  // CHECK-NEXT: %[[A:.*]] = llvm.call @exp(%[[X]]) : (f64) -> f64
  // CHECK-NEXT: %[[B:.*]] = llvm.call @exp(%[[A]]) : (f64) -> f64
  %0 = math.exp %x : f64
  %1 = math.exp %0 : f64
  func.return %1 : f64
}
// CHECK:     llvm.func @exp(f64) -> f64
// CHECK-NOT: llvm.func @exp

// -----

// f32 functions without an expansion call the float libm function.
// CHECK-LABEL: func.func @f32_without_expansion_calls_libm
func.func @f32_without_expansion_calls_libm(%x: f32, %y: f32) -> (f32, f32) {
  // CHECK-NEXT: llvm.call @atanf(%{{.*}}) : (f32) -> f32
  // CHECK-NEXT: llvm.call @atan2f(%{{.*}}, %{{.*}}) : (f32, f32) -> f32
  %0 = math.atan %x : f32
  %1 = math.atan2 %x, %y : f32
  func.return %0, %1 : f32, f32
}
// CHECK-DAG: llvm.func @atanf(f32) -> f32
// CHECK-DAG: llvm.func @atan2f(f32, f32) -> f32

// -----

// CHECK-LABEL: func.func @f64_rsqrt
// CHECK-SAME: (%[[X:.*]]: f64)
func.func @f64_rsqrt(%x: f64) -> f64 {
  // CHECK-NEXT: %[[ONE:.*]] = arith.constant 1.000000e+00 : f64
  // CHECK-NEXT: %[[ROOT:.*]] = llvm.intr.sqrt(%[[X]]) : (f64) -> f64
  // CHECK-NEXT: arith.divf %[[ONE]], %[[ROOT]] : f64
  %0 = math.rsqrt %x : f64
  func.return %0 : f64
}

// -----

// CHECK-LABEL: func.func @absi
// CHECK-SAME: (%[[X:.*]]: i32)
func.func @absi(%x: i32) -> i32 {
  // CHECK-NEXT: %[[ZERO:.*]] = arith.constant 0 : i32
  // CHECK-NEXT: %[[NEG:.*]] = arith.subi %[[ZERO]], %[[X]] : i32
  // CHECK-NEXT: %[[LT:.*]] = arith.cmpi slt, %[[X]], %[[ZERO]] : i32
  // CHECK-NEXT: arith.select %[[LT]], %[[NEG]], %[[X]] : i32
  %0 = math.absi %x : i32
  func.return %0 : i32
}
