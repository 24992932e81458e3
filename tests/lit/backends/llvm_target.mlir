// RUN: xunity-opt %s -t llvm | filecheck %s
// -t llvm emits the host data layout, argument names and packed entry points.
// A wrapper checks its arguments with one call of XUCheckArguments over a
// constant table: per argument the texts of its messages and its dims as
// {kind, value} pairs (kind 1: variable number `value`, kind 0: constant).

// CHECK: target datalayout = "e-
// CHECK: define void @"double_impl"(i64 %"n", ptr %"x", ptr %"y")
// CHECK: define i32 @"__tvm_ffi_double"({{.*}} %"self", {{.*}} %"args", i32 %"num_args", {{.*}} %"result")
// CHECK: call i32 @"XUCheckArguments"({{.*}}@".args.double.table"{{.*}}, {{.*}} %"args", {{.*}} %"vars", {{.*}} %"data")
// CHECK: call void @"double_impl"(i64 %"n",
// CHECK: c"double: argument 0 (x)\00"
// CHECK-NEXT: c"[n, 4]\00"
// CHECK-NEXT: c"float32\00"
// CHECK-NEXT: @".args.double.dims.0" = private constant [4 x i64] [i64 1, i64 0, i64 0, i64 4]
// CHECK: c"double: argument 1 (y)\00"
// CHECK: @".args.double.bindings" = private constant [2 x i32] [i32 0, i32 0]
llvm.func @double_impl(%n: i64, %x: !llvm.ptr, %y: !llvm.ptr) {
  llvm.return
}
cpu.packed_func @double wraps @double_impl args = [#cpu.arg<"x", f32, [n, 4]>, #cpu.arg<"y", f32, [n, 4]>]

// A compound dim is kind 2 in the table: the wrapper checks it itself, after
// the call, with the message the runtime would format.
// CHECK: define i32 @"__tvm_ffi_pairs"(
// CHECK: call i32 @"XUCheckArguments"({{.*}}@".args.pairs.table"
// CHECK: @".args.pairs.dims.1" = private constant [2 x i64] [i64 2, i64 0]
// CHECK: c"pairs: argument 1 (y): expected shape [2 * n] where n = %lld, got [%lld]\00"
cpu.packed_func @pairs wraps @double_impl args = [#cpu.arg<"x", f32, [n]>, #cpu.arg<"y", f32, [2 * n]>]
