// RUN: xunity-opt %s -p graph-legalize,convert-tir-to-cpu,convert-graph-to-cpu,cpu-profile-kernels | filecheck %s

// Each kernel call is bracketed by two clock reads; calls and nanoseconds go
// to two i64 slots per kernel, readable through exported accessors.
// CHECK-LABEL: func.func private @main_impl
// CHECK: %[[TS:.*]] = llvm.alloca %{{.*}} x i64 {alignment = 8 : i64}
// CHECK: func.call @clock_gettime(%{{.*}}, %[[TS]])
// CHECK: %[[START:.*]] = arith.addi
// CHECK-NEXT: func.call @graph_exp_0_impl
// CHECK-NEXT: %{{.*}} = arith.constant 1 : i32
// CHECK-NEXT: func.call @clock_gettime(%{{.*}}, %[[TS]])
// CHECK: %[[END:.*]] = arith.addi
// CHECK-NEXT: %[[ELAPSED:.*]] = arith.subi %[[END]], %[[START]] : i64
// CHECK: llvm.getelementptr %{{.*}}[0] : (!llvm.ptr) -> !llvm.ptr, i64
// CHECK: llvm.getelementptr %{{.*}}[1] : (!llvm.ptr) -> !llvm.ptr, i64
// CHECK: func.call @graph_neg_1_impl
// CHECK: llvm.getelementptr %{{.*}}[2] : (!llvm.ptr) -> !llvm.ptr, i64
// CHECK: llvm.getelementptr %{{.*}}[3] : (!llvm.ptr) -> !llvm.ptr, i64
// CHECK: llvm.mlir.global internal @__xunity_profile_counts
// CHECK: llvm.mlir.global internal constant @__xunity_profile_kernel_names("graph_exp_0\0Agraph_neg_1\00")
// CHECK: func.func @__xunity_profile_counters() -> !llvm.ptr
// CHECK: func.func @__xunity_profile_names() -> !llvm.ptr
func.func @main(%x: !graph.tensor<[n], f32>) -> !graph.tensor<[n], f32> {
  %a = graph.exp %x : !graph.tensor<[n], f32>
  %b = graph.neg %a : !graph.tensor<[n], f32>
  func.return %b : !graph.tensor<[n], f32>
}
