// RUN: xunity-opt %s --split-input-file -p convert-arith-to-llvm | filecheck %s

// An index zero is the constant that made xDSL's TypeConversionPattern loop.
// CHECK-LABEL: func.func @index_constant_becomes_i64
func.func @index_constant_becomes_i64() -> index {
  // CHECK-NEXT: %[[C:.*]] = llvm.mlir.constant(0) : i64
  // CHECK-NEXT: %[[B:.*]] = builtin.unrealized_conversion_cast %[[C]] : i64 to index
  // CHECK-NEXT: func.return %[[B]] : index
  %c = arith.constant 0 : index
  func.return %c : index
}

// -----

// CHECK-LABEL: func.func @scalar_constants
func.func @scalar_constants() -> (f32, f16, i1, i8) {
  // CHECK-NEXT: llvm.mlir.constant(1.500000e+00 : f32) : f32
  // CHECK-NEXT: llvm.mlir.constant(2.500000e+00 : f16) : f16
  // CHECK-NEXT: llvm.mlir.constant(true) : i1
  // CHECK-NEXT: llvm.mlir.constant(-3 : i8) : i8
  %a = arith.constant 1.5 : f32
  %b = arith.constant 2.5 : f16
  %c = arith.constant true
  %d = arith.constant -3 : i8
  func.return %a, %b, %c, %d : f32, f16, i1, i8
}

// -----

// bf16 constants are their bit patterns (1.5 = 0x3FC0).
// CHECK-LABEL: func.func @bf16_constant_is_bits
func.func @bf16_constant_is_bits() -> bf16 {
  // CHECK-NEXT: %[[BITS:.*]] = llvm.mlir.constant(16320 : i16) : i16
  // CHECK-NEXT: %[[V:.*]] = llvm.bitcast %[[BITS]] : i16 to bf16
  // CHECK-NEXT: func.return %[[V]] : bf16
  %c = arith.constant 1.5 : bf16
  func.return %c : bf16
}

// -----

// CHECK-LABEL: func.func @vector_splat_constant
func.func @vector_splat_constant() -> vector<4xf32> {
  // CHECK-NEXT: llvm.mlir.constant(dense<2.000000e+00> : vector<4xf32>) : vector<4xf32>
  %c = arith.constant dense<2.0> : vector<4xf32>
  func.return %c : vector<4xf32>
}

// -----

// CHECK-LABEL: func.func @integer_binary_ops
func.func @integer_binary_ops(%a: i32, %b: i32) -> (i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32) {
  // CHECK-NEXT: llvm.add %{{.*}}, %{{.*}} : i32
  // CHECK-NEXT: llvm.sub
  // CHECK-NEXT: llvm.mul
  // CHECK-NEXT: llvm.sdiv
  // CHECK-NEXT: llvm.udiv
  // CHECK-NEXT: llvm.srem
  // CHECK-NEXT: llvm.urem
  // CHECK-NEXT: llvm.and
  // CHECK-NEXT: llvm.or
  // CHECK-NEXT: llvm.xor
  // CHECK-NEXT: llvm.shl
  // CHECK-NEXT: llvm.ashr
  // CHECK-NEXT: llvm.lshr
  %0 = arith.addi %a, %b : i32
  %1 = arith.subi %a, %b : i32
  %2 = arith.muli %a, %b : i32
  %3 = arith.divsi %a, %b : i32
  %4 = arith.divui %a, %b : i32
  %5 = arith.remsi %a, %b : i32
  %6 = arith.remui %a, %b : i32
  %7 = arith.andi %a, %b : i32
  %8 = arith.ori %a, %b : i32
  %9 = arith.xori %a, %b : i32
  %10 = arith.shli %a, %b : i32
  %11 = arith.shrsi %a, %b : i32
  %12 = arith.shrui %a, %b : i32
  func.return %0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12 : i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32
}

// -----

// CHECK-LABEL: func.func @overflow_flags_are_kept
func.func @overflow_flags_are_kept(%a: i64, %b: i64) -> i64 {
  // CHECK-NEXT: llvm.add %{{.*}}, %{{.*}} overflow<nsw> : i64
  %0 = arith.addi %a, %b overflow<nsw> : i64
  func.return %0 : i64
}

// -----

// CHECK-LABEL: func.func @float_binary_ops
func.func @float_binary_ops(%a: f32, %b: f32) -> (f32, f32, f32, f32, f32) {
  // CHECK-NEXT: llvm.fadd %{{.*}}, %{{.*}} {fastmathFlags = #llvm.fastmath<contract>} : f32
  // CHECK-NEXT: llvm.fsub
  // CHECK-NEXT: llvm.fmul
  // CHECK-NEXT: llvm.fdiv
  // CHECK-NEXT: llvm.fneg %{{.*}} : f32
  %0 = arith.addf %a, %b fastmath<contract> : f32
  %1 = arith.subf %a, %b : f32
  %2 = arith.mulf %a, %b : f32
  %3 = arith.divf %a, %b : f32
  %4 = arith.negf %a : f32
  func.return %0, %1, %2, %3, %4 : f32, f32, f32, f32, f32
}

// -----

// CHECK-LABEL: func.func @vector_float_add
func.func @vector_float_add(%a: vector<16xf32>, %b: vector<16xf32>) -> vector<16xf32> {
  // CHECK-NEXT: llvm.fadd %{{.*}}, %{{.*}} : vector<16xf32>
  %0 = arith.addf %a, %b : vector<16xf32>
  func.return %0 : vector<16xf32>
}

// -----

// maximumf/minimumf propagate NaN (numpy maximum); maxnumf/minnumf ignore it (numpy fmax).
// CHECK-LABEL: func.func @float_min_max
func.func @float_min_max(%a: f32, %b: f32) -> (f32, f32, f32, f32) {
  // CHECK-NEXT: llvm.call_intrinsic "llvm.maximum.f32"(%{{.*}}, %{{.*}}) : (f32, f32) -> f32
  // CHECK-NEXT: llvm.call_intrinsic "llvm.minimum.f32"
  // CHECK-NEXT: llvm.intr.maxnum(%{{.*}}, %{{.*}}) : (f32, f32) -> f32
  // CHECK-NEXT: llvm.intr.minnum
  %0 = arith.maximumf %a, %b : f32
  %1 = arith.minimumf %a, %b : f32
  %2 = arith.maxnumf %a, %b : f32
  %3 = arith.minnumf %a, %b : f32
  func.return %0, %1, %2, %3 : f32, f32, f32, f32
}

// -----

// CHECK-LABEL: func.func @integer_min_max
// CHECK-SAME: (%[[A:.*]]: i32, %[[B:.*]]: i32)
func.func @integer_min_max(%a: i32, %b: i32) -> (i32, i32) {
  // CHECK-NEXT: %[[GT:.*]] = llvm.icmp "sgt" %[[A]], %[[B]] : i32
  // CHECK-NEXT: llvm.select %[[GT]], %[[A]], %[[B]] : i1, i32
  // CHECK-NEXT: %[[LT:.*]] = llvm.icmp "ult" %[[A]], %[[B]] : i32
  // CHECK-NEXT: llvm.select %[[LT]], %[[A]], %[[B]] : i1, i32
  %0 = arith.maxsi %a, %b : i32
  %1 = arith.minui %a, %b : i32
  func.return %0, %1 : i32, i32
}

// -----

// CHECK-LABEL: func.func @compares_and_select
func.func @compares_and_select(%a: i64, %b: i64, %x: f32, %y: f32) -> (i1, f32) {
  // CHECK-NEXT: %[[I:.*]] = llvm.icmp "sge" %{{.*}}, %{{.*}} : i64
  // CHECK-NEXT: %[[C:.*]] = llvm.fcmp "ult" %{{.*}}, %{{.*}} : f32
  // CHECK-NEXT: %[[S:.*]] = llvm.select %[[C]], %{{.*}}, %{{.*}} : i1, f32
  // CHECK-NEXT: func.return %[[I]], %[[S]] : i1, f32
  %0 = arith.cmpi sge, %a, %b : i64
  %1 = arith.cmpf ult, %x, %y : f32
  %2 = arith.select %1, %x, %y : f32
  func.return %0, %2 : i1, f32
}

// -----

// fptosi, fptoui and uitofp are llvm_extra ops: xDSL's llvm dialect lacks them.
// CHECK-LABEL: func.func @casts
func.func @casts(%f: f32, %i: i32, %h: f16, %d: f64) -> (i64, i8, f32, f32, i32, i32, f32, f16, i32) {
  // CHECK-NEXT: llvm.sext %{{.*}} : i32 to i64
  // CHECK-NEXT: llvm.trunc %{{.*}} : i32 to i8
  // CHECK-NEXT: llvm.sitofp %{{.*}} : i32 to f32
  // CHECK-NEXT: llvm_extra.uitofp %{{.*}} : i32 to f32
  // CHECK-NEXT: llvm_extra.fptosi %{{.*}} : f32 to i32
  // CHECK-NEXT: llvm_extra.fptoui %{{.*}} : f32 to i32
  // CHECK-NEXT: llvm.fpext %{{.*}} : f16 to f32
  // CHECK-NEXT: llvm.fptrunc %{{.*}} : f64 to f16
  // CHECK-NEXT: llvm.bitcast %{{.*}} : f32 to i32
  %0 = arith.extsi %i : i32 to i64
  %1 = arith.trunci %i : i32 to i8
  %2 = arith.sitofp %i : i32 to f32
  %3 = arith.uitofp %i : i32 to f32
  %4 = arith.fptosi %f : f32 to i32
  %5 = arith.fptoui %f : f32 to i32
  %6 = arith.extf %h : f16 to f32
  %7 = arith.truncf %d : f64 to f16
  %8 = arith.bitcast %f : f32 to i32
  func.return %0, %1, %2, %3, %4, %5, %6, %7, %8 : i64, i8, f32, f32, i32, i32, f32, f16, i32
}

// -----

// CHECK-LABEL: func.func @unsigned_extension
func.func @unsigned_extension(%b: i1) -> i32 {
  // CHECK-NEXT: llvm.zext %{{.*}} : i1 to i32
  %0 = arith.extui %b : i1 to i32
  func.return %0 : i32
}

// -----

// index_cast: sext from narrower, trunc to narrower, nothing for i64.
// CHECK-LABEL: func.func @index_casts
// CHECK-SAME: (%[[I:.*]]: i32, %[[L:.*]]: i64)
func.func @index_casts(%i: i32, %l: i64) -> (i32, i64) {
  // CHECK-NEXT: %[[WIDE:.*]] = llvm.sext %[[I]] : i32 to i64
  // CHECK-NEXT: %[[SUM:.*]] = llvm.add %[[WIDE]], %[[L]] : i64
  // CHECK-NEXT: %[[NARROW:.*]] = llvm.trunc %[[SUM]] : i64 to i32
  // CHECK-NEXT: func.return %[[NARROW]], %[[SUM]] : i32, i64
  %a = arith.index_cast %i : i32 to index
  %b = arith.index_cast %l : i64 to index
  %s = arith.addi %a, %b : index
  %t = arith.index_cast %s : index to i32
  %u = arith.index_cast %s : index to i64
  func.return %t, %u : i32, i64
}

// -----

// Index values from outside arith (here arguments) reach llvm ops through a cast.
// CHECK-LABEL: func.func @index_arguments_are_bridged
// CHECK-SAME: (%[[X:.*]]: index)
func.func @index_arguments_are_bridged(%x: index) -> index {
  // CHECK-NEXT: %[[C:.*]] = llvm.mlir.constant(4) : i64
  // CHECK-NEXT: %[[XI:.*]] = builtin.unrealized_conversion_cast %[[X]] : index to i64
  // CHECK-NEXT: %[[M:.*]] = llvm.mul %[[XI]], %[[C]] : i64
  // CHECK-NEXT: %[[R:.*]] = builtin.unrealized_conversion_cast %[[M]] : i64 to index
  // CHECK-NEXT: func.return %[[R]] : index
  %c = arith.constant 4 : index
  %0 = arith.muli %x, %c : index
  func.return %0 : index
}

// -----

// floordivsi(a, b) = a / b - (a % b != 0 && (a % b < 0) != (b < 0))
// CHECK-LABEL: func.func @floordivsi
// CHECK-SAME: (%[[A:.*]]: i32, %[[B:.*]]: i32)
func.func @floordivsi(%a: i32, %b: i32) -> i32 {
  // CHECK-NEXT: %[[ZERO:.*]] = llvm.mlir.constant(0 : i32) : i32
  // CHECK-NEXT: %[[Q:.*]] = llvm.sdiv %[[A]], %[[B]] : i32
  // CHECK-NEXT: %[[R:.*]] = llvm.srem %[[A]], %[[B]] : i32
  // CHECK-NEXT: %[[INEXACT:.*]] = llvm.icmp "ne" %[[R]], %[[ZERO]] : i32
  // CHECK-NEXT: %[[RNEG:.*]] = llvm.icmp "slt" %[[R]], %[[ZERO]] : i32
  // CHECK-NEXT: %[[BNEG:.*]] = llvm.icmp "slt" %[[B]], %[[ZERO]] : i32
  // CHECK-NEXT: %[[SIGNS:.*]] = llvm.icmp "ne" %[[RNEG]], %[[BNEG]] : i1
  // CHECK-NEXT: %[[ADJ:.*]] = llvm.and %[[INEXACT]], %[[SIGNS]] : i1
  // CHECK-NEXT: %[[STEP:.*]] = llvm.zext %[[ADJ]] : i1 to i32
  // CHECK-NEXT: llvm.sub %[[Q]], %[[STEP]] : i32
  %0 = arith.floordivsi %a, %b : i32
  func.return %0 : i32
}

// -----

// CHECK-LABEL: func.func @ceildivsi
func.func @ceildivsi(%a: i32, %b: i32) -> i32 {
  // CHECK:      llvm.icmp "eq" %{{.*}}, %{{.*}} : i1
  // CHECK:      llvm.add
  %0 = arith.ceildivsi %a, %b : i32
  func.return %0 : i32
}

// -----

// CHECK-LABEL: func.func @ceildivui
func.func @ceildivui(%a: i32, %b: i32) -> i32 {
  // CHECK:      llvm.udiv
  // CHECK-NEXT: llvm.urem
  // CHECK-NEXT: %[[INEXACT:.*]] = llvm.icmp "ne"
  // CHECK-NEXT: %[[STEP:.*]] = llvm.zext %[[INEXACT]] : i1 to i32
  // CHECK-NEXT: llvm.add %{{.*}}, %[[STEP]] : i32
  %0 = arith.ceildivui %a, %b : i32
  func.return %0 : i32
}

// -----

// bf16 arithmetic runs in f32: widen (exact), compute, round to nearest even.
// CHECK-LABEL: func.func @bf16_arithmetic_in_f32
func.func @bf16_arithmetic_in_f32(%a: bf16, %b: bf16) -> bf16 {
  // CHECK:      %[[A:.*]] = llvm.bitcast %{{.*}} : i32 to f32
  // CHECK:      %[[B:.*]] = llvm.bitcast %{{.*}} : i32 to f32
  // CHECK-NEXT: %[[S:.*]] = llvm.fadd %[[A]], %[[B]] : f32
  // CHECK-NEXT: llvm.bitcast %[[S]] : f32 to i32
  // CHECK:      %[[H:.*]] = llvm.trunc %{{.*}} : i32 to i16
  // CHECK-NEXT: %[[R:.*]] = llvm.bitcast %[[H]] : i16 to bf16
  // CHECK-NEXT: func.return %[[R]] : bf16
  %0 = arith.addf %a, %b : bf16
  func.return %0 : bf16
}

// -----

// CHECK-LABEL: func.func @bf16_widening
// CHECK-SAME: (%[[X:.*]]: bf16)
func.func @bf16_widening(%x: bf16) -> f32 {
  // CHECK-NEXT: %[[BITS:.*]] = llvm.bitcast %[[X]] : bf16 to i16
  // CHECK-NEXT: %[[WIDE:.*]] = llvm.zext %[[BITS]] : i16 to i32
  // CHECK-NEXT: %[[SIXTEEN:.*]] = llvm.mlir.constant(16 : i32) : i32
  // CHECK-NEXT: %[[HIGH:.*]] = llvm.shl %[[WIDE]], %[[SIXTEEN]] : i32
  // CHECK-NEXT: %[[F:.*]] = llvm.bitcast %[[HIGH]] : i32 to f32
  // CHECK-NEXT: func.return %[[F]] : f32
  %0 = arith.extf %x : bf16 to f32
  func.return %0 : f32
}

// -----

// A NaN must stay a (quiet) NaN: rounding its bits could carry into infinity.
// CHECK-LABEL: func.func @bf16_narrowing
func.func @bf16_narrowing(%x: f32) -> bf16 {
  // CHECK:      llvm.mlir.constant(32767 : i32)
  // CHECK:      llvm.mlir.constant(64 : i32)
  // CHECK:      llvm.mlir.constant(2139095040 : i32)
  // CHECK-NEXT: %[[NAN:.*]] = llvm.icmp "ugt"
  // CHECK-NEXT: llvm.sext %[[NAN]] : i1 to i32
  // CHECK:      llvm.trunc %{{.*}} : i32 to i16
  // CHECK-NEXT: llvm.bitcast %{{.*}} : i16 to bf16
  %0 = arith.truncf %x : f32 to bf16
  func.return %0 : bf16
}

// -----

// bf16 <-> other types go through f32.
// CHECK-LABEL: func.func @bf16_conversions_via_f32
func.func @bf16_conversions_via_f32(%x: bf16, %i: i32) -> (i32, bf16) {
  // CHECK:      %[[F:.*]] = llvm.bitcast %{{.*}} : i32 to f32
  // CHECK-NEXT: llvm_extra.fptosi %[[F]] : f32 to i32
  // CHECK-NEXT: %[[G:.*]] = llvm.sitofp %{{.*}} : i32 to f32
  // CHECK-NEXT: llvm.bitcast %[[G]] : f32 to i32
  %0 = arith.fptosi %x : bf16 to i32
  %1 = arith.sitofp %i : i32 to bf16
  func.return %0, %1 : i32, bf16
}
