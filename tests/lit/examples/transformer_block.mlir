// RUN: xunity check %S/../../../examples/transformer_block.mlir | filecheck %s --check-prefix=CHECK-SUMMARY
// RUN: xunity-opt %S/../../../examples/transformer_block.mlir -p 'graph-specialize-shapes{bindings="n=128"}' | filecheck %s --check-prefix=STATIC
// The bundled example of the README stays valid and specialises cleanly.

// CHECK-SUMMARY: @encoder_layer: 30 ops, shape variables: n
// CHECK-SUMMARY-NEXT: result 0: !graph.tensor<[1, n, 384], f32>
// CHECK-SUMMARY-NEXT: transformer_block.mlir: ok

// STATIC: func.func @encoder_layer(%{{.*}}: !graph.tensor<[1, 128, 384], f32>) -> !graph.tensor<[1, 128, 384], f32>
// STATIC: graph.attention {{.*}} -> !graph.tensor<[1, 128, 12, 32], f32>
// RUN: xunity run %S/../../../examples/transformer_block.mlir --bind n=5 --repeat 2 | filecheck %s --check-prefix=EXEC

// EXEC: @encoder_layer([1, 5, 384] float32) with 12 random weights
// EXEC-NEXT: result 0: [1, 5, 384] float32  first [
// EXEC-NEXT: compile: {{[0-9]+}} ms, then {{[0-9]+}} ms when compiled again (object cache)
// EXEC-NEXT: run: median {{[0-9.]+}} ms over 2 calls
