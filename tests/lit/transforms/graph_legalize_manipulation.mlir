// RUN: xunity-opt %s --split-input-file -p graph-legalize | filecheck %s

// A shared leading dim keeps its index; the merged dims are unravelled.
// CHECK-LABEL: func.func @reshape_merges_trailing_dims
// CHECK-NEXT: graph.call_tir @graph_reshape_0(%x)
// CHECK-LABEL: func.func private @graph_reshape_0
// CHECK: %[[C64:.*]] = arith.constant 64 : index
// CHECK: tir.block "reshape1" (%[[I:.*]] = spatial %{{.*}} < %n, %[[J:.*]] = spatial
// CHECK-NEXT: %[[LO:.*]] = arith.remsi %[[J]], %[[C64]] : index
// CHECK-NEXT: %[[HI:.*]] = arith.floordivsi %[[J]], %[[C64]] : index
// CHECK-NEXT: %[[V:.*]] = tir.load %in0[%[[I]], %[[HI]], %[[LO]]] : memref<?x12x64xf32>
// CHECK-NEXT: tir.store %[[V]], %out0[%[[I]], %[[J]]] : memref<?x768xf32>
func.func @reshape_merges_trailing_dims(%x: !graph.tensor<[n, 12, 64], f32>) -> !graph.tensor<[n, 768], f32> {
  %y = graph.reshape %x : !graph.tensor<[n, 12, 64], f32> -> !graph.tensor<[n, 768], f32>
  func.return %y : !graph.tensor<[n, 768], f32>
}

// -----

// Split dims are linearized into the input's one dim: no division.
// CHECK-LABEL: func.func private @graph_reshape_0
// CHECK: %[[C64:.*]] = arith.constant 64 : index
// CHECK: tir.block "reshape1" (%[[I:.*]] = spatial %{{.*}} < %n, %[[J:.*]] = spatial %{{.*}}, %[[K:.*]] = spatial
// CHECK-NEXT: %[[M:.*]] = arith.muli %[[J]], %[[C64]] : index
// CHECK-NEXT: %[[L:.*]] = arith.addi %[[M]], %[[K]] : index
// CHECK-NEXT: %[[V:.*]] = tir.load %in0[%[[I]], %[[L]]] : memref<?x768xf32>
// CHECK-NEXT: tir.store %[[V]], %out0[%[[I]], %[[J]], %[[K]]]
func.func @reshape_splits_dim(%x: !graph.tensor<[n, 768], f32>) -> !graph.tensor<[n, 12, 64], f32> {
  %y = graph.reshape %x : !graph.tensor<[n, 768], f32> -> !graph.tensor<[n, 12, 64], f32>
  func.return %y : !graph.tensor<[n, 12, 64], f32>
}

// -----

// No shared dims: linearize the output index, unravel it into the input's.
// CHECK-LABEL: func.func private @graph_reshape_0
// CHECK-DAG: %[[C3:.*]] = arith.constant 3 : index
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : index
// CHECK: tir.block "reshape1" (%[[I:.*]] = spatial %{{.*}}, %[[J:.*]] = spatial
// CHECK-NEXT: %[[M:.*]] = arith.muli %[[I]], %[[C2]] : index
// CHECK-NEXT: %[[L:.*]] = arith.addi %[[M]], %[[J]] : index
// CHECK-NEXT: %[[LO:.*]] = arith.remsi %[[L]], %[[C3]] : index
// CHECK-NEXT: %[[HI:.*]] = arith.floordivsi %[[L]], %[[C3]] : index
// CHECK-NEXT: %[[V:.*]] = tir.load %in0[%[[HI]], %[[LO]]] : memref<2x3xi32>
func.func @reshape_relinearizes(%x: !graph.tensor<[2, 3], i32>) -> !graph.tensor<[3, 2], i32> {
  %y = graph.reshape %x : !graph.tensor<[2, 3], i32> -> !graph.tensor<[3, 2], i32>
  func.return %y : !graph.tensor<[3, 2], i32>
}

// -----

// Unit dims read index 0 and need no index arithmetic.
// CHECK-LABEL: func.func private @graph_reshape_0
// CHECK: %[[ZERO:.*]] = arith.constant 0 : index
// CHECK: tir.block "reshape1" (%[[I:.*]] = spatial
// CHECK-NEXT: %[[V:.*]] = tir.load %in0[%[[ZERO]], %[[I]], %[[ZERO]]] : memref<1x?x1xf32>
// CHECK-NEXT: tir.store %[[V]], %out0[%[[I]]]
func.func @reshape_drops_unit_dims(%x: !graph.tensor<[1, n, 1], f32>) -> !graph.tensor<[n], f32> {
  %y = graph.reshape %x : !graph.tensor<[1, n, 1], f32> -> !graph.tensor<[n], f32>
  func.return %y : !graph.tensor<[n], f32>
}

// -----

// Output dim k reads input dim axes[k].
// CHECK-LABEL: func.func private @graph_permute_dims_0
// CHECK: tir.block "permute_dims1" (%[[A:.*]] = spatial %{{.*}} < %{{.*}}, %[[B:.*]] = spatial %{{.*}} < %n, %[[C:.*]] = spatial
// CHECK-NEXT: %[[V:.*]] = tir.load %in0[%[[B]], %[[C]], %[[A]]] : memref<?x4x8xf32>
// CHECK-NEXT: tir.store %[[V]], %out0[%[[A]], %[[B]], %[[C]]] : memref<8x?x4xf32>
func.func @permute_dims(%x: !graph.tensor<[n, 4, 8], f32>) -> !graph.tensor<[8, n, 4], f32> {
  %y = graph.permute_dims %x axes = [2, 0, 1] : !graph.tensor<[n, 4, 8], f32> -> !graph.tensor<[8, n, 4], f32>
  func.return %y : !graph.tensor<[8, n, 4], f32>
}

// -----

// One loop nest per input; the second writes at offset n on the (negative) axis.
// CHECK-LABEL: func.func private @graph_concat_0
// CHECK: tir.block "concat1" (%[[A:.*]] = spatial %{{.*}}, %[[B:.*]] = spatial %{{.*}} < %n)
// CHECK-NEXT: %[[V:.*]] = tir.load %in0[%[[A]], %[[B]]] : memref<4x?xf32>
// CHECK-NEXT: tir.store %[[V]], %out0[%[[A]], %[[B]]] : memref<4x?xf32>
// CHECK: tir.block "concat2" (%[[C:.*]] = spatial %{{.*}}, %[[D:.*]] = spatial
// CHECK-NEXT: %[[OFF:.*]] = arith.addi %[[D]], %n : index
// CHECK-NEXT: %[[W:.*]] = tir.load %in1[%[[C]], %[[D]]] : memref<4x1xf32>
// CHECK-NEXT: tir.store %[[W]], %out0[%[[C]], %[[OFF]]] : memref<4x?xf32>
// CHECK-NOT: arith.select
func.func @concat(%a: !graph.tensor<[4, n], f32>, %b: !graph.tensor<[4, 1], f32>) -> !graph.tensor<[4, n + 1], f32> {
  %y = graph.concat %a, %b axis = -1 : !graph.tensor<[4, n], f32>, !graph.tensor<[4, 1], f32> -> !graph.tensor<[4, n + 1], f32>
  func.return %y : !graph.tensor<[4, n + 1], f32>
}

// -----

// Equal sections: output k reads the input at offset k * n.
// CHECK-LABEL: func.func @split_sections
// CHECK-NEXT: %{{.*}}, %{{.*}} = graph.call_tir @graph_split_0(%x)
// CHECK-LABEL: func.func private @graph_split_0
// CHECK-SAME: %in0: memref<?x4xf32> {tir.dims = #graph.dims<[2 * n, 4]>}, %out0: memref<?x4xf32> {tir.dims = #graph.dims<[n, 4]>}, %out1: memref<?x4xf32>
// CHECK: tir.block "split1" (%[[A:.*]] = spatial %{{.*}}, %[[B:.*]] = spatial
// CHECK-NEXT: %[[V:.*]] = tir.load %in0[%[[A]], %[[B]]]
// CHECK-NEXT: tir.store %[[V]], %out0[%[[A]], %[[B]]]
// CHECK: tir.block "split2" (%[[C:.*]] = spatial %{{.*}}, %[[D:.*]] = spatial
// CHECK-NEXT: %[[OFF:.*]] = arith.addi %[[C]], %n : index
// CHECK-NEXT: %[[W:.*]] = tir.load %in0[%[[OFF]], %[[D]]]
// CHECK-NEXT: tir.store %[[W]], %out1[%[[C]], %[[D]]]
func.func @split_sections(%x: !graph.tensor<[2 * n, 4], f32>) -> (!graph.tensor<[n, 4], f32>, !graph.tensor<[n, 4], f32>) {
  %a, %b = graph.split %x sections = 2 axis = 0 : !graph.tensor<[2 * n, 4], f32> -> !graph.tensor<[n, 4], f32>, !graph.tensor<[n, 4], f32>
  func.return %a, %b : !graph.tensor<[n, 4], f32>, !graph.tensor<[n, 4], f32>
}

// -----

// Split points: the second output starts at index 3 and has n - 3 elements.
// CHECK-LABEL: func.func private @graph_split_0
// CHECK: %[[C3:.*]] = arith.constant 3 : index
// CHECK: %[[REST:.*]] = arith.subi %n, %[[C3]] : index
// CHECK: tir.block "split1"
// CHECK: tir.for %[[L:.*]] = %{{.*}} to %[[REST]]
// CHECK-NEXT: tir.block "split2" (%[[I:.*]] = spatial %[[L]] < %[[REST]])
// CHECK-NEXT: %[[OFF:.*]] = arith.addi %[[I]], %[[C3]] : index
// CHECK-NEXT: %[[V:.*]] = tir.load %in0[%[[OFF]]]
// CHECK-NEXT: tir.store %[[V]], %out1[%[[I]]]
func.func @split_indices(%x: !graph.tensor<[n], f32>) -> (!graph.tensor<[3], f32>, !graph.tensor<[n - 3], f32>) {
  %a, %b = graph.split %x indices = [3] axis = 0 : !graph.tensor<[n], f32> -> !graph.tensor<[3], f32>, !graph.tensor<[n - 3], f32>
  func.return %a, %b : !graph.tensor<[3], f32>, !graph.tensor<[n - 3], f32>
}

// -----

// Bounds provably inside [0, n]: begin + i * stride, no clamp and no guard.
// CHECK-LABEL: func.func private @graph_strided_slice_0
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[TWO:.*]] = arith.constant 2 : index
// CHECK: %[[EXT:.*]] = arith.ceildivsi %{{.*}}, %[[TWO]] : index
// CHECK: tir.for %{{.*}} = %{{.*}} to %[[EXT]]
// CHECK: tir.block "strided_slice1" (%[[I:.*]] = spatial %{{.*}} < %[[EXT]], %[[J:.*]] = spatial
// CHECK-NEXT: %[[S:.*]] = arith.muli %[[I]], %[[TWO]] : index
// CHECK-NEXT: %[[B:.*]] = arith.addi %[[S]], %[[ONE]] : index
// CHECK-NEXT: %[[V:.*]] = tir.load %in0[%[[B]], %[[J]]]
// CHECK-NEXT: tir.store %[[V]], %out0[%[[I]], %[[J]]]
// CHECK-NOT: arith.minsi
func.func @strided_slice_in_bounds(%x: !graph.tensor<[n, 64], f32>) -> !graph.tensor<[(n - 1) ceildiv 2, 64], f32> {
  %y = graph.strided_slice %x axes = [0] begin = #graph.dims<[1]> end = #graph.dims<[n]> strides = [2] : !graph.tensor<[n, 64], f32> -> !graph.tensor<[(n - 1) ceildiv 2, 64], f32>
  func.return %y : !graph.tensor<[(n - 1) ceildiv 2, 64], f32>
}

// -----

// end = n may exceed the cache's m rows: the row index is clamped to m - 1,
// and the copy runs only when m >= 1 (else the result is zeros).
// CHECK-LABEL: func.func private @graph_strided_slice_0
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1 : index
// CHECK: %[[LAST:.*]] = arith.subi %m, %{{.*}} : index
// CHECK: %[[POS:.*]] = arith.maxsi %m, %[[ZERO]] : index
// CHECK-NEXT: %[[TRIPS:.*]] = arith.minsi %[[POS]], %[[ONE]] : index
// CHECK-NEXT: tir.for %{{.*}} = %[[ZERO]] to %[[TRIPS]] step %[[ONE]] serial
// CHECK: tir.block "strided_slice1" (%[[I:.*]] = spatial %{{.*}} < %n, %[[J:.*]] = spatial
// CHECK-NEXT: %[[LO:.*]] = arith.minsi %[[I]], %[[LAST]] : index
// CHECK-NEXT: %[[ROW:.*]] = arith.maxsi %[[LO]], %[[ZERO]] : index
// CHECK-NEXT: %[[V:.*]] = tir.load %in0[%[[ROW]], %[[J]]]
// CHECK: %[[ELSE:.*]] = arith.subi %[[ONE]], %{{.*}} : index
// CHECK-NEXT: tir.for %{{.*}} = %[[ZERO]] to %[[ELSE]] step %[[ONE]] serial
// CHECK: tir.block "strided_slice_empty2"
// CHECK-NEXT: %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: tir.store %[[Z]], %out0
func.func @strided_slice_clamps(%cache: !graph.tensor<[m, 64], f32>, %x: !graph.tensor<[n], f32>) -> !graph.tensor<[n, 64], f32> {
  %y = graph.strided_slice %cache axes = [0] begin = #graph.dims<[0]> end = #graph.dims<[n]> strides = [1] : !graph.tensor<[m, 64], f32> -> !graph.tensor<[n, 64], f32>
  func.return %y : !graph.tensor<[n, 64], f32>
}

// -----

// A constant table needs no guard: negative ids wrap, then clamp into [0, 99].
// CHECK-LABEL: func.func private @graph_take_0
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[DIM:.*]] = arith.constant 100 : index
// CHECK-DAG: %[[LAST:.*]] = arith.constant 99 : index
// CHECK: tir.block "take1" (%[[I:.*]] = spatial %{{.*}} < %n, %[[J:.*]] = spatial
// CHECK-NEXT: %[[ID:.*]] = tir.load %in1[%[[I]]] : memref<?xi64>
// CHECK-NEXT: %[[X:.*]] = arith.index_cast %[[ID]] : i64 to index
// CHECK-NEXT: %[[NEG:.*]] = arith.cmpi slt, %[[X]], %[[ZERO]] : index
// CHECK-NEXT: %[[UP:.*]] = arith.addi %[[X]], %[[DIM]] : index
// CHECK-NEXT: %[[W:.*]] = arith.select %[[NEG]], %[[UP]], %[[X]] : index
// CHECK-NEXT: %[[HI:.*]] = arith.minsi %[[W]], %[[LAST]] : index
// CHECK-NEXT: %[[ROW:.*]] = arith.maxsi %[[HI]], %[[ZERO]] : index
// CHECK-NEXT: %[[V:.*]] = tir.load %in0[%[[ROW]], %[[J]]] : memref<100x8xf32>
// CHECK-NEXT: tir.store %[[V]], %out0[%[[I]], %[[J]]]
// CHECK-NOT: take_empty
func.func @take_constant_table(%t: !graph.tensor<[100, 8], f32>, %i: !graph.tensor<[n], i64>) -> !graph.tensor<[n, 8], f32> {
  %y = graph.take %t, %i axis = 0 : !graph.tensor<[100, 8], f32>, !graph.tensor<[n], i64> -> !graph.tensor<[n, 8], f32>
  func.return %y : !graph.tensor<[n, 8], f32>
}

// -----

// Gather on axis 1 with 2-D i32 ids from a table whose axis may be empty:
// guarded, f16 copied without widening, zeros when m == 0.
// CHECK-LABEL: func.func private @graph_take_0
// CHECK: tir.block "take1" (%[[A:.*]] = spatial %{{.*}}, %[[B:.*]] = spatial %{{.*}}, %[[C:.*]] = spatial %{{.*}} < %n)
// CHECK-NEXT: %[[ID:.*]] = tir.load %in1[%[[B]], %[[C]]] : memref<2x?xi32>
// CHECK-NEXT: arith.index_cast %[[ID]] : i32 to index
// CHECK: %[[COL:.*]] = arith.maxsi
// CHECK-NEXT: %[[V:.*]] = tir.load %in0[%[[A]], %[[COL]]] : memref<4x?xf16>
// CHECK-NEXT: tir.store %[[V]], %out0[%[[A]], %[[B]], %[[C]]] : memref<4x2x?xf16>
// CHECK: tir.block "take_empty2"
// CHECK-NOT: arith.extf
func.func @take_symbolic_table(%t: !graph.tensor<[4, m], f16>, %i: !graph.tensor<[2, n], i32>) -> !graph.tensor<[4, 2, n], f16> {
  %y = graph.take %t, %i axis = 1 : !graph.tensor<[4, m], f16>, !graph.tensor<[2, n], i32> -> !graph.tensor<[4, 2, n], f16>
  func.return %y : !graph.tensor<[4, 2, n], f16>
}

// -----

// Missing leading dims and unit dims of the input read nothing / index 0.
// CHECK-LABEL: func.func private @graph_broadcast_to_0
// CHECK: %[[ZERO:.*]] = arith.constant 0 : index
// CHECK: tir.block "broadcast_to1" (%{{.*}} = spatial %{{.*}} < %n, %{{.*}} = spatial %{{.*}}, %[[K:.*]] = spatial
// CHECK-NEXT: %[[V:.*]] = tir.load %in0[%[[ZERO]], %[[K]]] : memref<1x4xf32>
func.func @broadcast_to(%x: !graph.tensor<[1, 4], f32>) -> !graph.tensor<[n, 3, 4], f32> {
  %y = graph.broadcast_to %x : !graph.tensor<[1, 4], f32> -> !graph.tensor<[n, 3, 4], f32>
  func.return %y : !graph.tensor<[n, 3, 4], f32>
}

// -----

// The inserted axes (0 and -1 of the result) are not input axes.
// CHECK-LABEL: func.func private @graph_expand_dims_0
// CHECK: tir.block "expand_dims1" (%[[A:.*]] = spatial %{{.*}}, %[[B:.*]] = spatial %{{.*}} < %n, %[[C:.*]] = spatial %{{.*}}, %[[D:.*]] = spatial
// CHECK-NEXT: %[[V:.*]] = tir.load %in0[%[[B]], %[[C]]] : memref<?x4xf32>
// CHECK-NEXT: tir.store %[[V]], %out0[%[[A]], %[[B]], %[[C]], %[[D]]] : memref<1x?x4x1xf32>
func.func @expand_dims(%x: !graph.tensor<[n, 4], f32>) -> !graph.tensor<[1, n, 4, 1], f32> {
  %y = graph.expand_dims %x axes = [0, -1] : !graph.tensor<[n, 4], f32> -> !graph.tensor<[1, n, 4, 1], f32>
  func.return %y : !graph.tensor<[1, n, 4, 1], f32>
}

// -----

// The removed unit axis is read at index 0.
// CHECK-LABEL: func.func private @graph_squeeze_0
// CHECK: %[[ZERO:.*]] = arith.constant 0 : index
// CHECK: tir.block "squeeze1" (%[[A:.*]] = spatial %{{.*}} < %n, %[[B:.*]] = spatial
// CHECK-NEXT: %[[V:.*]] = tir.load %in0[%[[A]], %[[ZERO]], %[[B]]] : memref<?x1x4xf32>
// CHECK-NEXT: tir.store %[[V]], %out0[%[[A]], %[[B]]] : memref<?x4xf32>
func.func @squeeze(%x: !graph.tensor<[n, 1, 4], f32>) -> !graph.tensor<[n, 4], f32> {
  %y = graph.squeeze %x axes = [1] : !graph.tensor<[n, 1, 4], f32> -> !graph.tensor<[n, 4], f32>
  func.return %y : !graph.tensor<[n, 4], f32>
}
