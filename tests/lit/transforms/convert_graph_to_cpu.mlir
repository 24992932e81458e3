// RUN: xunity-opt %s --split-input-file -p graph-legalize,convert-tir-to-cpu,convert-graph-to-cpu | filecheck %s

// Intermediates live in one arena taken from XUAlloc at entry (its size
// rounded up to 64 bytes) and freed before returning; the last result is
// written straight into the output buffer.  Two packed entries describe every
// tensor: @main returns its results (the last `returns` arguments), @main_out takes
// them from the caller.
// CHECK-LABEL: func.func private @main_impl(%n: i64, %a: !llvm.ptr, %b: !llvm.ptr, %out0: !llvm.ptr)
// CHECK-NEXT: %[[ALIGN:.*]] = arith.constant 64 : i64
// CHECK-NEXT: %[[ROW:.*]] = arith.constant 32 : i64
// CHECK-NEXT: %[[BYTES:.*]] = arith.muli %n, %[[ROW]] : i64
// CHECK-NEXT: %[[BLOCKS:.*]] = arith.ceildivsi %[[BYTES]], %[[ALIGN]] : i64
// CHECK-NEXT: %[[SIZE:.*]] = arith.muli %[[BLOCKS]], %[[ALIGN]] : i64
// CHECK-NEXT: %arena = cpu.runtime_call "XUAlloc"(%[[SIZE]], %[[ALIGN]]) : (i64, i64) -> !llvm.ptr
// CHECK-NEXT: func.call @graph_add_0_impl(%n, %a, %b, %arena)
// CHECK-NEXT: func.call @graph_exp_1_impl(%n, %arena, %out0)
// CHECK-NEXT: cpu.runtime_call "XUFree"(%arena)
// CHECK-NEXT: func.return
// CHECK: cpu.packed_func @main wraps @main_impl args = [#cpu.arg<"a", f32, [n, 8]>, #cpu.arg<"b", f32, [8]>, #cpu.arg<"out0", f32, [n, 8]>] returns 1
// CHECK-NEXT: cpu.packed_func @main_out wraps @main_impl args = [#cpu.arg<"a", f32, [n, 8]>, #cpu.arg<"b", f32, [8]>, #cpu.arg<"out0", f32, [n, 8]>]
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

// -----

// Intermediates whose lifetimes are disjoint share storage: %t1 and %t3 both
// sit at offset 0, %t2 (live with each of them) at 64 * n bytes; the arena
// holds two buffers, not three.  Every use of an intermediate is one pointer.
// CHECK-LABEL: func.func private @disjoint_lifetimes_share_an_offset_impl(%n: i64, %a: !llvm.ptr, %out0: !llvm.ptr)
// CHECK-NEXT: %[[ALIGN:.*]] = arith.constant 64 : i64
// CHECK-NEXT: %[[TWO_ROWS:.*]] = arith.constant 128 : i64
// CHECK-NEXT: %[[SIZE:.*]] = arith.muli %n, %[[TWO_ROWS]] : i64
// CHECK-NEXT: %arena = cpu.runtime_call "XUAlloc"(%[[SIZE]], %[[ALIGN]])
// CHECK-NEXT: func.call @graph_exp_0_impl(%n, %a, %arena)
// CHECK-NEXT: %[[OFFSET:.*]] = arith.muli %n, %[[ALIGN]] : i64
// CHECK-NEXT: %[[T2:.*]] = llvm.getelementptr %arena[%[[OFFSET]]] : (!llvm.ptr, i64) -> !llvm.ptr, i8
// CHECK-NEXT: func.call @graph_neg_1_impl(%n, %arena, %[[T2]])
// CHECK-NEXT: func.call @graph_abs_2_impl(%n, %[[T2]], %arena)
// CHECK-NEXT: func.call @graph_tanh_3_impl(%n, %arena, %out0)
// CHECK-NEXT: cpu.runtime_call "XUFree"(%arena)
// CHECK-NEXT: func.return
// CHECK-NOT: XUAlloc
func.func @disjoint_lifetimes_share_an_offset(%a: !graph.tensor<[n, 16], f32>) -> !graph.tensor<[n, 16], f32> {
  %t1 = graph.exp %a : !graph.tensor<[n, 16], f32>
  %t2 = graph.neg %t1 : !graph.tensor<[n, 16], f32>
  %t3 = graph.abs %t2 : !graph.tensor<[n, 16], f32>
  %t4 = graph.tanh %t3 : !graph.tensor<[n, 16], f32>
  func.return %t4 : !graph.tensor<[n, 16], f32>
}

// -----

// Intermediates live at the same time (%t1 and %t2 both feed the add) get
// different offsets.
// CHECK-LABEL: func.func private @overlapping_lifetimes_do_not_share_impl(%n: i64, %a: !llvm.ptr, %out0: !llvm.ptr)
// CHECK: %arena = cpu.runtime_call "XUAlloc"
// CHECK-NEXT: func.call @graph_exp_0_impl(%n, %a, %arena)
// CHECK-NEXT: %[[OFFSET:.*]] = arith.muli %n, %{{.*}} : i64
// CHECK-NEXT: %[[T2:.*]] = llvm.getelementptr %arena[%[[OFFSET]]] : (!llvm.ptr, i64) -> !llvm.ptr, i8
// CHECK-NEXT: func.call @graph_neg_1_impl(%n, %a, %[[T2]])
// CHECK-NEXT: func.call @graph_add_2_impl(%n, %arena, %[[T2]], %out0)
// CHECK-NEXT: cpu.runtime_call "XUFree"(%arena)
func.func @overlapping_lifetimes_do_not_share(%a: !graph.tensor<[n, 16], f32>) -> !graph.tensor<[n, 16], f32> {
  %t1 = graph.exp %a : !graph.tensor<[n, 16], f32>
  %t2 = graph.neg %a : !graph.tensor<[n, 16], f32>
  %t3 = graph.add %t1, %t2 : !graph.tensor<[n, 16], f32>, !graph.tensor<[n, 16], f32> -> !graph.tensor<[n, 16], f32>
  func.return %t3 : !graph.tensor<[n, 16], f32>
}

// -----

// A function without intermediates allocates nothing.
// CHECK-LABEL: func.func private @no_intermediates_impl(%n: i64, %a: !llvm.ptr, %out0: !llvm.ptr)
// CHECK-NEXT: func.call @graph_exp_0_impl(%n, %a, %out0)
// CHECK-NEXT: func.return
func.func @no_intermediates(%a: !graph.tensor<[n, 16], f32>) -> !graph.tensor<[n, 16], f32> {
  %t1 = graph.exp %a : !graph.tensor<[n, 16], f32>
  func.return %t1 : !graph.tensor<[n, 16], f32>
}
