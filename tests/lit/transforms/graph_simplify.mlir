// RUN: xunity-opt %s --split-input-file -p graph-simplify | filecheck %s

// CHECK-LABEL: func.func @astype_to_same_type_is_removed
func.func @astype_to_same_type_is_removed(%x: !graph.tensor<[n], f32>) -> !graph.tensor<[n], f32> {
  // CHECK-NEXT: func.return %{{.*}} : !graph.tensor<[n], f32>
  %y = graph.astype %x : !graph.tensor<[n], f32> -> !graph.tensor<[n], f32>
  func.return %y : !graph.tensor<[n], f32>
}

// -----

// CHECK-LABEL: func.func @astype_to_other_type_stays
func.func @astype_to_other_type_stays(%x: !graph.tensor<[n], f32>) -> !graph.tensor<[n], f16> {
  // CHECK-NEXT: graph.astype
  %y = graph.astype %x : !graph.tensor<[n], f32> -> !graph.tensor<[n], f16>
  func.return %y : !graph.tensor<[n], f16>
}

// -----

// CHECK-LABEL: func.func @double_negation_cancels
// CHECK-SAME: (%[[X:.*]]: !graph.tensor<[n], f32>)
func.func @double_negation_cancels(%x: !graph.tensor<[n], f32>) -> !graph.tensor<[n], f32> {
  // CHECK-NEXT: func.return %[[X]]
  %a = graph.neg %x : !graph.tensor<[n], f32>
  %b = graph.neg %a : !graph.tensor<[n], f32>
  func.return %b : !graph.tensor<[n], f32>
}

// -----

// CHECK-LABEL: func.func @single_negation_stays
func.func @single_negation_stays(%x: !graph.tensor<[n], f32>) -> !graph.tensor<[n], f32> {
  // CHECK-NEXT: graph.neg
  // CHECK-NEXT: func.return
  %a = graph.neg %x : !graph.tensor<[n], f32>
  func.return %a : !graph.tensor<[n], f32>
}
