// RUN: xunity-opt %s | xunity-opt | filecheck %s
// RUN: xunity-opt %s --print-op-generic | xunity-opt | filecheck %s

// CHECK-LABEL: func.func @float_to_signed
func.func @float_to_signed(%x: f32) -> i32 {
  // CHECK-NEXT: %{{.*}} = llvm_extra.fptosi %{{.*}} : f32 to i32
  %i = llvm_extra.fptosi %x : f32 to i32
  func.return %i : i32
}

// CHECK-LABEL: func.func @float_to_unsigned
func.func @float_to_unsigned(%x: f64) -> i64 {
  // CHECK-NEXT: %{{.*}} = llvm_extra.fptoui %{{.*}} : f64 to i64
  %i = llvm_extra.fptoui %x : f64 to i64
  func.return %i : i64
}

// CHECK-LABEL: func.func @unsigned_to_float
func.func @unsigned_to_float(%i: i8) -> f32 {
  // CHECK-NEXT: %{{.*}} = llvm_extra.uitofp %{{.*}} : i8 to f32
  %x = llvm_extra.uitofp %i : i8 to f32
  func.return %x : f32
}
