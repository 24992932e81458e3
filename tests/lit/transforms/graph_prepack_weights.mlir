// RUN: xunity-opt %s --split-input-file -p graph-prepack-weights | filecheck %s

// A matmul by a constant [k, n] f32 matrix gets the constant packed into
// 48-column panels ([ceil(n / 48), k, 48], zero past n) and becomes a
// packed_matmul; the unpacked constant, now unused, is gone.
// CHECK-LABEL: func.func @constant_rhs
// CHECK-NEXT: %[[P:.*]] = graph.constant dense<{{.*}}> : !graph.tensor<[2, 2, 48], f32>
// CHECK-NEXT: %[[Y:.*]] = graph.packed_matmul %x, %[[P]] columns = 50 : !graph.tensor<[n, 2], f32>, !graph.tensor<[2, 2, 48], f32> -> !graph.tensor<[n, 50], f32>
// CHECK-NEXT: func.return %[[Y]]
func.func @constant_rhs(%x: !graph.tensor<[n, 2], f32>) -> !graph.tensor<[n, 50], f32> {
  %w = graph.constant dense<1.5> : !graph.tensor<[2, 50], f32>
  %y = graph.matmul %x, %w : !graph.tensor<[n, 2], f32>, !graph.tensor<[2, 50], f32> -> !graph.tensor<[n, 50], f32>
  func.return %y : !graph.tensor<[n, 50], f32>
}

// -----

// Left alone: decode shapes (a static row count <= 4 runs as GEMV, reading
// the rhs in place), a rhs that is an argument, and non-f32 products.  A
// constant with another user stays next to its packed copy.
// CHECK-LABEL: func.func @left_alone
// CHECK: graph.matmul %x1, %w
// CHECK: graph.matmul %x, %b
// CHECK: graph.matmul %h, %wh
// CHECK: graph.packed_matmul %x, %{{.*}} columns = 50
// CHECK: graph.add %w, %w
func.func @left_alone(%x1: !graph.tensor<[1, 2], f32>, %x: !graph.tensor<[n, 2], f32>, %b: !graph.tensor<[2, 50], f32>, %h: !graph.tensor<[n, 2], f16>) -> (!graph.tensor<[1, 50], f32>, !graph.tensor<[n, 50], f32>, !graph.tensor<[n, 3], f16>, !graph.tensor<[n, 50], f32>, !graph.tensor<[2, 50], f32>) {
  %w = graph.constant dense<1.5> : !graph.tensor<[2, 50], f32>
  %wh = graph.constant dense<1.5> : !graph.tensor<[2, 3], f16>
  %0 = graph.matmul %x1, %w : !graph.tensor<[1, 2], f32>, !graph.tensor<[2, 50], f32> -> !graph.tensor<[1, 50], f32>
  %1 = graph.matmul %x, %b : !graph.tensor<[n, 2], f32>, !graph.tensor<[2, 50], f32> -> !graph.tensor<[n, 50], f32>
  %2 = graph.matmul %h, %wh : !graph.tensor<[n, 2], f16>, !graph.tensor<[2, 3], f16> -> !graph.tensor<[n, 3], f16>
  %3 = graph.matmul %x, %w : !graph.tensor<[n, 2], f32>, !graph.tensor<[2, 50], f32> -> !graph.tensor<[n, 50], f32>
  %4 = graph.add %w, %w : !graph.tensor<[2, 50], f32>, !graph.tensor<[2, 50], f32> -> !graph.tensor<[2, 50], f32>
  func.return %0, %1, %2, %3, %4 : !graph.tensor<[1, 50], f32>, !graph.tensor<[n, 50], f32>, !graph.tensor<[n, 3], f16>, !graph.tensor<[n, 50], f32>, !graph.tensor<[2, 50], f32>
}
