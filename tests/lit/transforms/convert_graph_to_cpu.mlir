// RUN: xunity-opt %s --split-input-file -p graph-legalize,convert-tir-to-cpu,convert-graph-to-cpu | filecheck %s

// Intermediates come from XUAlloc and are freed; the last result is written
// straight into the output buffer; the packed entry describes every tensor.
// CHECK-LABEL: func.func private @main_impl(%n: i64, %a: !llvm.ptr, %b: !llvm.ptr, %out0: !llvm.ptr)
// CHECK: %[[BYTES:.*]] = arith.muli %n, %{{.*}} : i64
// CHECK-NEXT: %[[T:.*]] = cpu.runtime_call "XUAlloc"(%[[BYTES]], %{{.*}}) : (i64, i64) -> !llvm.ptr
// CHECK-NEXT: func.call @graph_add_0_impl(%n, %a, %b, %[[T]])
// CHECK-NEXT: func.call @graph_exp_1_impl(%n, %[[T]], %out0)
// CHECK-NEXT: cpu.runtime_call "XUFree"(%[[T]])
// CHECK-NEXT: func.return
// CHECK: cpu.packed_func @main wraps @main_impl args = [#cpu.arg<"a", f32, [n, 8]>, #cpu.arg<"b", f32, [8]>, #cpu.arg<"out0", f32, [n, 8]>]
// CHECK: cpu.packed_func @graph_add_0 wraps @graph_add_0_impl
func.func @main(%a: !graph.tensor<[n, 8], f32>, %b: !graph.tensor<[8], f32>) -> !graph.tensor<[n, 8], f32> {
  %c = graph.add %a, %b : !graph.tensor<[n, 8], f32>, !graph.tensor<[8], f32> -> !graph.tensor<[n, 8], f32>
  %d = graph.exp %c : !graph.tensor<[n, 8], f32>
  func.return %d : !graph.tensor<[n, 8], f32>
}

// -----

// A returned input is copied into its output buffer.
// CHECK-LABEL: func.func private @identity_impl(%n: i64, %x: !llvm.ptr, %out0: !llvm.ptr)
// CHECK-NEXT: %[[FOUR:.*]] = arith.constant 4 : i64
// CHECK-NEXT: %[[BYTES:.*]] = arith.muli %n, %[[FOUR]] : i64
// CHECK-NEXT: cpu.runtime_call "XUCopy"(%out0, %x, %[[BYTES]])
func.func @identity(%x: !graph.tensor<[n], f32>) -> !graph.tensor<[n], f32> {
  func.return %x : !graph.tensor<[n], f32>
}

// -----

// Constants become private, 64-byte aligned globals holding their bytes.
// CHECK: llvm.mlir.global private constant @consts_const1("\00\00\C2\80?\00\00\00@") {addr_space = 0 : i32, alignment = 64 : i64} : !llvm.array<8 x i8>
// CHECK-LABEL: func.func private @consts_impl
// CHECK: llvm.mlir.addressof @consts_const1
func.func @consts() -> !graph.tensor<[2], f32> {
  %c = graph.constant dense<[1.0, 2.0]> : !graph.tensor<[2], f32>
  %d = graph.neg %c : !graph.tensor<[2], f32>
  func.return %d : !graph.tensor<[2], f32>
}
