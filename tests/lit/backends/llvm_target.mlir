// RUN: xunity-opt %s -t llvm | filecheck %s
// -t llvm emits the host data layout, argument names and packed entry points.

// CHECK: target datalayout = "e-
// CHECK: define void @"double_impl"(i64 %"n", ptr %"x", ptr %"y")
// CHECK: define i32 @"__tvm_ffi_double"({{.*}} %"self", {{.*}} %"args", i32 %"num_args", {{.*}} %"result")
// CHECK: double: argument 1 (y): expected shape [n, 4] where n = %lld, got [%lld, %lld]
llvm.func @double_impl(%n: i64, %x: !llvm.ptr, %y: !llvm.ptr) {
  llvm.return
}
cpu.packed_func @double wraps @double_impl args = [#cpu.arg<"x", f32, [n, 4]>, #cpu.arg<"y", f32, [n, 4]>]
