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

// -----

// CHECK-LABEL: func.func @reshape_and_broadcast_to_same_type_are_removed
// CHECK-SAME: (%[[X:.*]]: !graph.tensor<[n, 4], f32>)
func.func @reshape_and_broadcast_to_same_type_are_removed(%x: !graph.tensor<[n, 4], f32>) -> !graph.tensor<[n, 4], f32> {
  // CHECK-NEXT: func.return %[[X]]
  %a = graph.reshape %x : !graph.tensor<[n, 4], f32> -> !graph.tensor<[n, 4], f32>
  %b = graph.broadcast_to %a : !graph.tensor<[n, 4], f32> -> !graph.tensor<[n, 4], f32>
  func.return %b : !graph.tensor<[n, 4], f32>
}

// -----

// CHECK-LABEL: func.func @reshape_of_reshape_folds
// CHECK-SAME: (%[[X:.*]]: !graph.tensor<[n, 12, 64], f32>)
func.func @reshape_of_reshape_folds(%x: !graph.tensor<[n, 12, 64], f32>) -> !graph.tensor<[n, 3, 256], f32> {
  // CHECK-NEXT: %[[R:.*]] = graph.reshape %[[X]] : !graph.tensor<[n, 12, 64], f32> -> !graph.tensor<[n, 3, 256], f32>
  // CHECK-NEXT: func.return %[[R]]
  %a = graph.reshape %x : !graph.tensor<[n, 12, 64], f32> -> !graph.tensor<[n, 768], f32>
  %b = graph.reshape %a : !graph.tensor<[n, 768], f32> -> !graph.tensor<[n, 3, 256], f32>
  func.return %b : !graph.tensor<[n, 3, 256], f32>
}

// -----

// CHECK-LABEL: func.func @permutations_compose
// CHECK-SAME: (%[[X:.*]]: !graph.tensor<[b, n, h, d], f32>)
func.func @permutations_compose(%x: !graph.tensor<[b, n, h, d], f32>) -> !graph.tensor<[b, d, n, h], f32> {
  // CHECK-NEXT: %[[P:.*]] = graph.permute_dims %[[X]] axes = [0, 3, 1, 2] : !graph.tensor<[b, n, h, d], f32> -> !graph.tensor<[b, d, n, h], f32>
  // CHECK-NEXT: func.return %[[P]]
  %a = graph.permute_dims %x axes = [0, 2, 1, 3] : !graph.tensor<[b, n, h, d], f32> -> !graph.tensor<[b, h, n, d], f32>
  %b = graph.permute_dims %a axes = [0, 3, 2, 1] : !graph.tensor<[b, h, n, d], f32> -> !graph.tensor<[b, d, n, h], f32>
  func.return %b : !graph.tensor<[b, d, n, h], f32>
}

// -----

// CHECK-LABEL: func.func @inverse_permutations_cancel
// CHECK-SAME: (%[[X:.*]]: !graph.tensor<[n, n], f32>)
func.func @inverse_permutations_cancel(%x: !graph.tensor<[n, n], f32>) -> !graph.tensor<[n, n], f32> {
  // CHECK-NEXT: func.return %[[X]]
  %a = graph.permute_dims %x axes = [1, 0] : !graph.tensor<[n, n], f32> -> !graph.tensor<[n, n], f32>
  %b = graph.permute_dims %a axes = [1, 0] : !graph.tensor<[n, n], f32> -> !graph.tensor<[n, n], f32>
  func.return %b : !graph.tensor<[n, n], f32>
}

// -----

// A square transpose keeps its type but is not an identity.
// CHECK-LABEL: func.func @square_transpose_stays
func.func @square_transpose_stays(%x: !graph.tensor<[n, n], f32>) -> !graph.tensor<[n, n], f32> {
  // CHECK-NEXT: graph.permute_dims
  %a = graph.permute_dims %x axes = [1, 0] : !graph.tensor<[n, n], f32> -> !graph.tensor<[n, n], f32>
  func.return %a : !graph.tensor<[n, n], f32>
}

// -----

// CHECK-LABEL: func.func @identity_permutation_is_removed
func.func @identity_permutation_is_removed(%x: !graph.tensor<[n, 4], f32>) -> !graph.tensor<[n, 4], f32> {
  // CHECK-NEXT: func.return
  %a = graph.permute_dims %x axes = [0, -1] : !graph.tensor<[n, 4], f32> -> !graph.tensor<[n, 4], f32>
  func.return %a : !graph.tensor<[n, 4], f32>
}
