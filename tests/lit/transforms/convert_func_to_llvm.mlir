// RUN: xunity-opt %s --split-input-file -p convert-func-to-llvm | filecheck %s

// Index arguments and results become i64; discardable attributes stay,
// argument attributes only when they are llvm ones.
// CHECK-LABEL: llvm.func @kernel
// CHECK-SAME: (%[[N:.*]]: i64, %{{.*}}: !llvm.ptr {llvm.noalias}) -> i64 attributes {tir.kernel} {
func.func @kernel(%n: index {tir.shape_var = "n"}, %p: !llvm.ptr {llvm.noalias}) -> index attributes {tir.kernel} {
  // CHECK-NEXT: llvm.return %[[N]] : i64
  func.return %n : index
}

// -----

// A private function with a body is internal: LLVM may inline and drop it.
// CHECK-LABEL: llvm.func internal @private_helper
func.func private @private_helper(%x: f32) -> f32 {
  // CHECK-NEXT: llvm.return %{{.*}} : f32
  func.return %x : f32
}

// -----

// A private declaration is an external symbol.
// CHECK: llvm.func @declaration(f32) -> f32
// CHECK-NOT: internal
func.func private @declaration(f32) -> f32

// -----

// CHECK-LABEL: llvm.func @no_results
func.func @no_results() {
  // CHECK-NEXT: llvm.return
  // CHECK-NEXT: }
  func.return
}

// -----

func.func private @callee(%x: f32, %i: index) -> index

// CHECK-LABEL: llvm.func @calls
// CHECK-SAME: (%[[X:.*]]: f32, %[[I:.*]]: i64) -> i64
func.func @calls(%x: f32, %i: index) -> index {
  // CHECK-NEXT: %[[R:.*]] = llvm.call @callee(%[[X]], %[[I]]) : (f32, i64) -> i64
  // CHECK-NEXT: llvm.call @no_result() : () -> ()
  // CHECK-NEXT: llvm.return %[[R]] : i64
  %r = func.call @callee(%x, %i) : (f32, index) -> index
  func.call @no_result() : () -> ()
  func.return %r : index
}

func.func private @no_result()

// -----

// Index values used by not-yet-converted ops inside the body see a cast of the argument.
// CHECK-LABEL: llvm.func @body_still_on_index
// CHECK-SAME: (%[[N:.*]]: i64)
func.func @body_still_on_index(%n: index) -> index {
  // CHECK-NEXT: %[[NX:.*]] = builtin.unrealized_conversion_cast %[[N]] : i64 to index
  // CHECK-NEXT: %[[S:.*]] = arith.addi %[[NX]], %[[NX]] : index
  // CHECK-NEXT: %[[SI:.*]] = builtin.unrealized_conversion_cast %[[S]] : index to i64
  // CHECK-NEXT: llvm.return %[[SI]] : i64
  %s = arith.addi %n, %n : index
  func.return %s : index
}
