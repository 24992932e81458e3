// RUN: xunity-opt %s | xunity-opt | filecheck %s
// RUN: xunity-opt %s --print-op-generic | xunity-opt | filecheck %s

// A q4_1 projection of SmolLM2 (576 -> 1536: 32 panels of 48 rows, 18 blocks
// of 32 along K, 16 code bytes per block row) and a symbolic row count.
// CHECK-LABEL: func.func @quant_matmul_q4_1
func.func @quant_matmul_q4_1(%x: !graph.tensor<[n, 576], f32>, %c: !graph.tensor<[32, 18, 16, 48], i8>, %s: !graph.tensor<[32, 18, 48], f16>, %m: !graph.tensor<[32, 18, 48], f16>) -> !graph.tensor<[n, 1536], f32> {
  // CHECK-NEXT: %[[Y:.*]] = graph.quant_matmul %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} format = "q4_1" rows = 1536 : !graph.tensor<[n, 576], f32>, !graph.tensor<[32, 18, 16, 48], i8>, !graph.tensor<[32, 18, 48], f16>, !graph.tensor<[32, 18, 48], f16> -> !graph.tensor<[n, 1536], f32>
  %y = graph.quant_matmul %x, %c, %s, %m format = "q4_1" rows = 1536 : !graph.tensor<[n, 576], f32>, !graph.tensor<[32, 18, 16, 48], i8>, !graph.tensor<[32, 18, 48], f16>, !graph.tensor<[32, 18, 48], f16> -> !graph.tensor<[n, 1536], f32>
  // CHECK-NEXT: func.return %[[Y]]
  func.return %y : !graph.tensor<[n, 1536], f32>
}

// A tied q8_0 table (32 code bytes per block row, no mins): the embedding
// lookup and the LM head read the same parts; 100 rows leave 44 rows of
// padding in the last of 3 panels.  Batch dims come from the lhs.
// CHECK-LABEL: func.func @tied_q8_0
func.func @tied_q8_0(%ids: !graph.tensor<[b, n], i32>, %c: !graph.tensor<[3, 2, 32, 48], i8>, %s: !graph.tensor<[3, 2, 48], f16>) -> !graph.tensor<[b, n, 100], f32> {
  // CHECK-NEXT: %[[H:.*]] = graph.quant_take %{{.*}}, %{{.*}}, %{{.*}} format = "q8_0" rows = 100 : !graph.tensor<[b, n], i32>, !graph.tensor<[3, 2, 32, 48], i8>, !graph.tensor<[3, 2, 48], f16> -> !graph.tensor<[b, n, 64], f32>
  %h = graph.quant_take %ids, %c, %s format = "q8_0" rows = 100 : !graph.tensor<[b, n], i32>, !graph.tensor<[3, 2, 32, 48], i8>, !graph.tensor<[3, 2, 48], f16> -> !graph.tensor<[b, n, 64], f32>
  // CHECK-NEXT: graph.quant_matmul %[[H]], %{{.*}}, %{{.*}} format = "q8_0" rows = 100 : !graph.tensor<[b, n, 64], f32>, !graph.tensor<[3, 2, 32, 48], i8>, !graph.tensor<[3, 2, 48], f16> -> !graph.tensor<[b, n, 100], f32>
  %y = graph.quant_matmul %h, %c, %s format = "q8_0" rows = 100 : !graph.tensor<[b, n, 64], f32>, !graph.tensor<[3, 2, 32, 48], i8>, !graph.tensor<[3, 2, 48], f16> -> !graph.tensor<[b, n, 100], f32>
  func.return %y : !graph.tensor<[b, n, 100], f32>
}

// q4_0 and q4_1 share the nibble layout; a q4_1 lookup takes the mins too.
// CHECK-LABEL: func.func @q4_forms
func.func @q4_forms(%x: !graph.tensor<[2, 32], f32>, %ids: !graph.tensor<[k], i64>, %c: !graph.tensor<[1, 1, 16, 48], i8>, %s: !graph.tensor<[1, 1, 48], f16>) {
  // CHECK-NEXT: graph.quant_matmul {{.*}} format = "q4_0" rows = 48 : {{.*}} -> !graph.tensor<[2, 48], f32>
  %0 = graph.quant_matmul %x, %c, %s format = "q4_0" rows = 48 : !graph.tensor<[2, 32], f32>, !graph.tensor<[1, 1, 16, 48], i8>, !graph.tensor<[1, 1, 48], f16> -> !graph.tensor<[2, 48], f32>
  // CHECK-NEXT: graph.quant_take {{.*}} format = "q4_1" rows = 7 : {{.*}} -> !graph.tensor<[k, 32], f32>
  %1 = graph.quant_take %ids, %c, %s, %s format = "q4_1" rows = 7 : !graph.tensor<[k], i64>, !graph.tensor<[1, 1, 16, 48], i8>, !graph.tensor<[1, 1, 48], f16>, !graph.tensor<[1, 1, 48], f16> -> !graph.tensor<[k, 32], f32>
  func.return
}
