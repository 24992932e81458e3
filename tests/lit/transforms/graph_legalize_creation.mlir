// RUN: xunity-opt %s --split-input-file -p graph-legalize | filecheck %s

// full has no input: the kernel only writes; an f16 fill is rounded from f32.
// CHECK-LABEL: func.func @full_float
// CHECK-NEXT: %[[Y:.*]] = graph.call_tir @graph_full_0() : () -> !graph.tensor<[n, 4], f16>
// CHECK-LABEL: func.func private @graph_full_0(%n: index {tir.shape_var = "n"}, %out0: memref<?x4xf16> {tir.dims = #graph.dims<[n, 4]>}) attributes {tir.kernel}
// CHECK: tir.block "full1" (%[[I:.*]] = spatial %{{.*}} < %n, %[[J:.*]] = spatial %{{.*}}) writes(%out0 : memref<?x4xf16>)
// CHECK-NEXT: %[[C:.*]] = arith.constant -1.500000e+00 : f32
// CHECK-NEXT: %[[H:.*]] = arith.truncf %[[C]] : f32 to f16
// CHECK-NEXT: tir.store %[[H]], %out0[%[[I]], %[[J]]]
func.func @full_float(%x: !graph.tensor<[n], f32>) -> !graph.tensor<[n, 4], f16> {
  %y = graph.full -1.5 : !graph.tensor<[n, 4], f16>
  func.return %y : !graph.tensor<[n, 4], f16>
}

// -----

// CHECK-LABEL: func.func private @graph_full_0
// CHECK: tir.block "full1"
// CHECK-NEXT: %[[C:.*]] = arith.constant 7 : i32
// CHECK-NEXT: tir.store %[[C]], %out0
func.func @full_int() -> !graph.tensor<[3], i32> {
  %y = graph.full 7 : !graph.tensor<[3], i32>
  func.return %y : !graph.tensor<[3], i32>
}

// -----

// CHECK-LABEL: func.func private @graph_full_0
// CHECK: tir.block "full1"
// CHECK-NEXT: %[[C:.*]] = arith.constant true
// CHECK-NEXT: tir.store %[[C]], %out0{{.*}} : memref<3xi1>
func.func @full_bool() -> !graph.tensor<[3], i1> {
  %y = graph.full 1 : !graph.tensor<[3], i1>
  func.return %y : !graph.tensor<[3], i1>
}

// -----

// Fills of different values are different kernels.
// CHECK-LABEL: func.func @full_values_differ
// CHECK-NEXT: graph.call_tir @graph_full_0
// CHECK-NEXT: graph.call_tir @graph_full_1
func.func @full_values_differ() -> (!graph.tensor<[3], f32>, !graph.tensor<[3], f32>) {
  %a = graph.full 0.0 : !graph.tensor<[3], f32>
  %b = graph.full 1.0 : !graph.tensor<[3], f32>
  func.return %a, %b : !graph.tensor<[3], f32>, !graph.tensor<[3], f32>
}

// -----

// arange in f32: start + i * step computed in the result dtype.
// CHECK-LABEL: func.func private @graph_arange_0
// CHECK: tir.block "arange1" (%[[I:.*]] = spatial
// CHECK-NEXT: %[[W:.*]] = arith.index_cast %[[I]] : index to i64
// CHECK-NEXT: %[[F:.*]] = arith.sitofp %[[W]] : i64 to f32
// CHECK-NEXT: %[[STEP:.*]] = arith.constant 3.000000e+00 : f32
// CHECK-NEXT: %[[M:.*]] = arith.mulf %[[F]], %[[STEP]] : f32
// CHECK-NEXT: %[[START:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT: %[[V:.*]] = arith.addf %[[M]], %[[START]] : f32
// CHECK-NEXT: tir.store %[[V]], %out0[%[[I]]] : memref<3xf32>
func.func @arange_f32() -> !graph.tensor<[3], f32> {
  %r = graph.arange start = 1 end = 10 step = 3 : !graph.tensor<[3], f32>
  func.return %r : !graph.tensor<[3], f32>
}

// -----

// A negative step counts down, in i32.
// CHECK-LABEL: func.func private @graph_arange_0
// CHECK: tir.block "arange1" (%[[I:.*]] = spatial
// CHECK-NEXT: %[[W:.*]] = arith.index_cast %[[I]] : index to i64
// CHECK-NEXT: %[[N:.*]] = arith.trunci %[[W]] : i64 to i32
// CHECK-NEXT: %[[STEP:.*]] = arith.constant -1 : i32
// CHECK-NEXT: %[[M:.*]] = arith.muli %[[N]], %[[STEP]] : i32
// CHECK-NEXT: %[[START:.*]] = arith.constant 5 : i32
// CHECK-NEXT: %[[V:.*]] = arith.addi %[[M]], %[[START]] : i32
func.func @arange_i32_counts_down() -> !graph.tensor<[5], i32> {
  %r = graph.arange start = 5 end = 0 step = -1 : !graph.tensor<[5], i32>
  func.return %r : !graph.tensor<[5], i32>
}

// -----

// triu keeps j - i >= k on the last two dims, zero elsewhere.
// CHECK-LABEL: func.func private @graph_triu_0
// CHECK: %[[K:.*]] = arith.constant 1 : index
// CHECK: tir.block "triu1" (%[[B:.*]] = spatial %{{.*}} < %b, %[[I:.*]] = spatial %{{.*}} < %n, %[[J:.*]] = spatial %{{.*}} < %n)
// CHECK-NEXT: %[[D:.*]] = arith.addi %[[I]], %[[K]] : index
// CHECK-NEXT: %[[IN:.*]] = arith.cmpi sge, %[[J]], %[[D]] : index
// CHECK-NEXT: %[[V:.*]] = tir.load %in0[%[[B]], %[[I]], %[[J]]]
// CHECK-NEXT: %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[S:.*]] = arith.select %[[IN]], %[[V]], %[[Z]] : f32
// CHECK-NEXT: tir.store %[[S]], %out0[%[[B]], %[[I]], %[[J]]]
func.func @triu(%x: !graph.tensor<[b, n, n], f32>) -> !graph.tensor<[b, n, n], f32> {
  %y = graph.triu %x k = 1 : !graph.tensor<[b, n, n], f32>
  func.return %y : !graph.tensor<[b, n, n], f32>
}

// -----

// tril keeps j - i <= k (k = 0 needs no add); f16 is selected as stored.
// CHECK-LABEL: func.func private @graph_tril_0
// CHECK: tir.block "tril1" (%[[I:.*]] = spatial %{{.*}} < %n, %[[J:.*]] = spatial %{{.*}} < %m)
// CHECK-NEXT: %[[IN:.*]] = arith.cmpi sle, %[[J]], %[[I]] : index
// CHECK-NEXT: %[[V:.*]] = tir.load %in0[%[[I]], %[[J]]] : memref<?x?xf16>
// CHECK-NEXT: %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[ZH:.*]] = arith.truncf %[[Z]] : f32 to f16
// CHECK-NEXT: %[[S:.*]] = arith.select %[[IN]], %[[V]], %[[ZH]] : f16
// CHECK-NEXT: tir.store %[[S]], %out0[%[[I]], %[[J]]] : memref<?x?xf16>
func.func @tril(%x: !graph.tensor<[n, m], f16>) -> !graph.tensor<[n, m], f16> {
  %y = graph.tril %x : !graph.tensor<[n, m], f16>
  func.return %y : !graph.tensor<[n, m], f16>
}

// -----

// A negative k shifts the diagonal down.
// CHECK-LABEL: func.func private @graph_tril_0
// CHECK: %[[K:.*]] = arith.constant -2 : index
// CHECK: tir.block "tril1" (%[[I:.*]] = spatial %{{.*}}, %[[J:.*]] = spatial
// CHECK-NEXT: %[[D:.*]] = arith.addi %[[I]], %[[K]] : index
// CHECK-NEXT: arith.cmpi sle, %[[J]], %[[D]] : index
func.func @tril_negative_k(%x: !graph.tensor<[4, 4], i32>) -> !graph.tensor<[4, 4], i32> {
  %y = graph.tril %x k = -2 : !graph.tensor<[4, 4], i32>
  func.return %y : !graph.tensor<[4, 4], i32>
}
