// RUN: xunity-opt %s --split-input-file -p graph-legalize | filecheck %s

// quant_take: one parallel row loop over the ids; each element wraps and
// clamps its id into [0, 100), splits the row into (panel, row in panel) and
// the column into (block, element), loads the code byte and takes its low or
// high nibble, then d * q + m * 1 from the f16 scale and min.
// CHECK-LABEL: func.func private @graph_quant_take_0
// CHECK-NOT: tir.scheduled
// CHECK: tir.for %{{.*}} = %{{.*}} to %n step %{{.*}} parallel {
// CHECK: tir.block "quant_take1"
// CHECK: %[[ID:.*]] = tir.load %in0
// CHECK: arith.minsi
// CHECK: arith.maxsi
// CHECK: %[[BYTE:.*]] = tir.load %in1[{{.*}}] : memref<3x2x16x48xi8>
// CHECK: arith.andi %[[BYTE]]
// CHECK: arith.shrui %[[BYTE]]
// CHECK: arith.select
// CHECK: tir.load %in2[{{.*}}] : memref<3x2x48xf16>
// CHECK: tir.load %in3[{{.*}}] : memref<3x2x48xf16>
// CHECK: tir.store %{{.*}}, %out0
func.func @take(%ids: !graph.tensor<[n], i64>, %c: !graph.tensor<[3, 2, 16, 48], i8>, %s: !graph.tensor<[3, 2, 48], f16>, %m: !graph.tensor<[3, 2, 48], f16>) -> !graph.tensor<[n, 64], f32> {
  %y = graph.quant_take %ids, %c, %s, %m format = "q4_1" rows = 100 : !graph.tensor<[n], i64>, !graph.tensor<[3, 2, 16, 48], i8>, !graph.tensor<[3, 2, 48], f16>, !graph.tensor<[3, 2, 48], f16> -> !graph.tensor<[n, 64], f32>
  func.return %y : !graph.tensor<[n, 64], f32>
}
