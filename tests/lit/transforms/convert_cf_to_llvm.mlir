// RUN: xunity-opt %s --split-input-file -p convert-cf-to-llvm | filecheck %s

// CHECK-LABEL: func.func @branch_with_float_argument
func.func @branch_with_float_argument(%x: f32) -> f32 {
  // CHECK-NEXT: llvm.br ^[[BB:.*]](%{{.*}} : f32)
  // CHECK-NEXT: ^[[BB]](%[[Y:.*]]: f32):
  // CHECK-NEXT: func.return %[[Y]] : f32
  cf.br ^next(%x : f32)
^next(%y: f32):
  func.return %y : f32
}

// -----

// Index block arguments become i64; users still on index see a cast.
// CHECK-LABEL: func.func @index_loop_arguments_become_i64
// CHECK-SAME: (%[[N:.*]]: index)
func.func @index_loop_arguments_become_i64(%n: index) -> index {
  // CHECK-NEXT: %[[C0:.*]] = arith.constant 0 : index
  // CHECK-NEXT: %[[C0I:.*]] = builtin.unrealized_conversion_cast %[[C0]] : index to i64
  // CHECK-NEXT: llvm.br ^[[HEAD:.*]](%[[C0I]] : i64)
  // CHECK-NEXT: ^[[HEAD]](%[[I:.*]]: i64):
  // CHECK-NEXT: %[[IX:.*]] = builtin.unrealized_conversion_cast %[[I]] : i64 to index
  // CHECK-NEXT: %[[C:.*]] = arith.cmpi slt, %[[IX]], %[[N]] : index
  // CHECK-NEXT: llvm.cond_br %[[C]], ^[[BODY:.*]](%[[I]] : i64), ^[[EXIT:.*]]
  // CHECK-NEXT: ^[[BODY]](%[[J:.*]]: i64):
  // CHECK-NEXT: llvm.br ^[[HEAD]](%[[J]] : i64)
  // CHECK-NEXT: ^[[EXIT]]:
  // CHECK-NEXT: func.return %[[IX]] : index
  %c0 = arith.constant 0 : index
  cf.br ^head(%c0 : index)
^head(%i: index):
  %c = arith.cmpi slt, %i, %n : index
  cf.cond_br %c, ^body(%i : index), ^exit
^body(%j: index):
  cf.br ^head(%j : index)
^exit:
  func.return %i : index
}

// -----

// CHECK-LABEL: func.func @cond_branch_arguments_on_both_sides
func.func @cond_branch_arguments_on_both_sides(%c: i1, %a: i32, %b: i32) -> i32 {
  // CHECK-NEXT: llvm.cond_br %{{.*}}, ^[[T:.*]](%{{.*}} : i32), ^[[E:.*]](%{{.*}} : i32)
  cf.cond_br %c, ^then(%a : i32), ^else(%b : i32)
^then(%x: i32):
  // CHECK-NEXT: ^[[T]](%{{.*}}: i32):
  // CHECK-NEXT: func.return
  func.return %x : i32
^else(%y: i32):
  // CHECK-NEXT: ^[[E]](%{{.*}}: i32):
  // CHECK-NEXT: func.return
  func.return %y : i32
}
