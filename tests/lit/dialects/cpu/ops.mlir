// RUN: xunity-opt %s | xunity-opt | filecheck %s
// RUN: xunity-opt %s --print-op-generic | xunity-opt | filecheck %s

// y = a * x + y over n floats (n a multiple of 16), 16 lanes per iteration.
// CHECK-LABEL: func.func @saxpy
func.func @saxpy(%a: f32, %x: !llvm.ptr, %y: !llvm.ptr, %n: index) {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %blocks = arith.divui %n, %c16 : index
  // CHECK: %[[VA:.*]] = cpu.vbroadcast %{{.*}} : f32 -> vector<16xf32>
  %va = cpu.vbroadcast %a : f32 -> vector<16xf32>
  // CHECK-NEXT: cpu.parallel %[[I:.*]] = %{{.*}} to %{{.*}} num_tasks = 2 grain = 4 {
  cpu.parallel %i = %c0 to %blocks num_tasks = 2 grain = 4 {
    // CHECK-NEXT: %[[OFF:.*]] = arith.muli %[[I]], %{{.*}} : index
    %off = arith.muli %i, %c16 : index
    // CHECK-NEXT: %[[VX:.*]] = cpu.vload %{{.*}}[%[[OFF]]] align = 4 : !llvm.ptr -> vector<16xf32>
    %vx = cpu.vload %x[%off] align = 4 : !llvm.ptr -> vector<16xf32>
    // CHECK-NEXT: %[[VY:.*]] = cpu.vload %{{.*}}[%[[OFF]]] align = 4 : !llvm.ptr -> vector<16xf32>
    %vy = cpu.vload %y[%off] align = 4 : !llvm.ptr -> vector<16xf32>
    // CHECK-NEXT: %[[R:.*]] = cpu.vfma %[[VA]], %[[VX]], %[[VY]] : vector<16xf32>
    %r = cpu.vfma %va, %vx, %vy : vector<16xf32>
    // CHECK-NEXT: cpu.vstore %[[R]], %{{.*}}[%[[OFF]]] align = 4 : vector<16xf32>, !llvm.ptr
    cpu.vstore %r, %y[%off] align = 4 : vector<16xf32>, !llvm.ptr
    // CHECK-NEXT: cpu.yield
    cpu.yield
  // CHECK-NEXT: }
  }
  // CHECK-NEXT: func.return
  func.return
}

// CHECK-LABEL: func.func @parallel_default_tasks
func.func @parallel_default_tasks(%lb: index, %ub: index) {
  // CHECK-NEXT: cpu.parallel %{{.*}} = %{{.*}} to %{{.*}} {
  // CHECK-NEXT: cpu.yield
  cpu.parallel %i = %lb to %ub {
    cpu.yield
  }
  func.return
}

// CHECK-LABEL: func.func @reductions
func.func @reductions(%v: vector<16xf32>, %w: vector<64xi8>, %h: vector<8xf16>) {
  // CHECK-NEXT: cpu.vreduce add %{{.*}} : vector<16xf32> -> f32
  %0 = cpu.vreduce add %v : vector<16xf32> -> f32
  // CHECK-NEXT: cpu.vreduce mul %{{.*}} : vector<16xf32> -> f32
  %1 = cpu.vreduce mul %v : vector<16xf32> -> f32
  // CHECK-NEXT: cpu.vreduce max %{{.*}} : vector<64xi8> -> i8
  %2 = cpu.vreduce max %w : vector<64xi8> -> i8
  // CHECK-NEXT: cpu.vreduce min %{{.*}} : vector<8xf16> -> f16
  %3 = cpu.vreduce min %h : vector<8xf16> -> f16
  func.return
}

// CHECK-LABEL: func.func @integer_vectors
func.func @integer_vectors(%p: !llvm.ptr, %off: index, %s: i32) {
  // CHECK-NEXT: %[[B:.*]] = cpu.vbroadcast %{{.*}} : i32 -> vector<8xi32>
  %b = cpu.vbroadcast %s : i32 -> vector<8xi32>
  // CHECK-NEXT: cpu.vstore %[[B]], %{{.*}}[%{{.*}}] align = 32 : vector<8xi32>, !llvm.ptr
  cpu.vstore %b, %p[%off] align = 32 : vector<8xi32>, !llvm.ptr
  // CHECK-NEXT: cpu.vload %{{.*}}[%{{.*}}] align = 1 : !llvm.ptr -> vector<1xi32>
  %c = cpu.vload %p[%off] align = 1 : !llvm.ptr -> vector<1xi32>
  func.return
}

// CHECK-LABEL: func.func @runtime_calls
func.func @runtime_calls(%bytes: i64, %align: i64, %fn: !llvm.ptr, %closure: !llvm.ptr, %msg: !llvm.ptr) {
  // CHECK-NEXT: %[[P:.*]] = cpu.runtime_call "XUAlloc"(%{{.*}}, %{{.*}}) : (i64, i64) -> !llvm.ptr
  %p = cpu.runtime_call "XUAlloc"(%bytes, %align) : (i64, i64) -> !llvm.ptr
  // CHECK-NEXT: cpu.runtime_call "XUFree"(%[[P]]) : (!llvm.ptr) -> ()
  cpu.runtime_call "XUFree"(%p) : (!llvm.ptr) -> ()
  // CHECK-NEXT: %[[W:.*]] = cpu.runtime_call "XUWorkspaceAlloc"(%{{.*}}, %{{.*}}) : (i64, i64) -> !llvm.ptr
  %w = cpu.runtime_call "XUWorkspaceAlloc"(%bytes, %align) : (i64, i64) -> !llvm.ptr
  // CHECK-NEXT: cpu.runtime_call "XUWorkspaceFree"(%[[W]]) : (!llvm.ptr) -> ()
  cpu.runtime_call "XUWorkspaceFree"(%w) : (!llvm.ptr) -> ()
  // CHECK-NEXT: cpu.runtime_call "XUParallelLaunch"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (!llvm.ptr, !llvm.ptr, i64, i64, i64) -> i32
  %rc = cpu.runtime_call "XUParallelLaunch"(%fn, %closure, %bytes, %bytes, %align) : (!llvm.ptr, !llvm.ptr, i64, i64, i64) -> i32
  // CHECK-NEXT: cpu.runtime_call "XUSetLastError"(%{{.*}}) : (!llvm.ptr) -> ()
  cpu.runtime_call "XUSetLastError"(%msg) : (!llvm.ptr) -> ()
  func.return
}

// CHECK-LABEL: func.func @workspace
func.func @workspace(%bytes: index) {
  // CHECK-NEXT: %[[T:.*]] = cpu.workspace_alloc %{{.*}} align = 64 : !llvm.ptr
  %t = cpu.workspace_alloc %bytes align = 64 : !llvm.ptr
  // CHECK-NEXT: cpu.workspace_free %[[T]] : !llvm.ptr
  cpu.workspace_free %t : !llvm.ptr
  func.return
}

// CHECK-LABEL: func.func @matmul
func.func @matmul(%a: !llvm.ptr, %b: !llvm.ptr, %c: !llvm.ptr, %n: index) {
  func.return
}

// CHECK: cpu.packed_func @matmul_packed wraps @matmul args = [#cpu.arg<"a", f32, [n, 64]>, #cpu.arg<"b", f32, [64, m]>, #cpu.arg<"c", f32, [n, m]>]
cpu.packed_func @matmul_packed wraps @matmul args = [#cpu.arg<"a", f32, [n, 64]>, #cpu.arg<"b", f32, [64, m]>, #cpu.arg<"c", f32, [n, m]>]

// CHECK-NEXT: cpu.packed_func @scalar_packed wraps @matmul args = [#cpu.arg<"s", i64, []>, #cpu.arg<"pad", bf16, [k, 2 * k + 1]>]
cpu.packed_func @scalar_packed wraps @matmul args = [#cpu.arg<"s", i64, []>, #cpu.arg<"pad", bf16, [k, 2 * k + 1]>]

// One 14x32 register tile of a packed GEMM.
// CHECK-LABEL: func.func @gemm_microkernel
func.func @gemm_microkernel(%a: !llvm.ptr, %b: !llvm.ptr, %c: !llvm.ptr, %ldc: index, %k: index, %rows: index, %cols: index, %acc: i1, %tile: !llvm.ptr) {
  // CHECK-NEXT: cpu.gemm_microkernel %{{.*}}[%{{.*}}, %{{.*}}], %{{.*}}[%{{.*}}], %{{.*}}[%{{.*}}] k %{{.*}} rows %{{.*}} cols %{{.*}} accumulate %{{.*}} scratch %{{.*}} mr = 14 nr = 32 : f32
  cpu.gemm_microkernel %a[%ldc, %k], %b[%ldc], %c[%ldc] k %k rows %rows cols %cols accumulate %acc scratch %tile mr = 14 nr = 32 : f32
  func.return
}

// One 48-row q4 panel times int16 activation pairs (q4_1: with mins and the
// activations' block sums; q4_0: without).
// CHECK-LABEL: func.func @quant_dot_microkernel
func.func @quant_dot_microkernel(%p: !llvm.ptr, %blocks: index) {
  // CHECK-NEXT: cpu.quant_dot_microkernel %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} blocks %{{.*}} format = "q4_1" mins %{{.*}} sums %{{.*}}
  cpu.quant_dot_microkernel %p, %p, %p, %p, %p, %p blocks %blocks format = "q4_1" mins %p sums %p
  // CHECK-NEXT: cpu.quant_dot_microkernel %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} blocks %{{.*}} format = "q4_0"{{$}}
  cpu.quant_dot_microkernel %p, %p, %p, %p, %p, %p blocks %blocks format = "q4_0"
  func.return
}

// One row of activations rounded to int16 pairs for the q4 dot micro-kernel.
// CHECK-LABEL: func.func @quantize_pairs_microkernel
func.func @quantize_pairs_microkernel(%p: !llvm.ptr, %blocks: index) {
  // CHECK-NEXT: cpu.quantize_pairs_microkernel %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} blocks %{{.*}} format = "q4_1"
  cpu.quantize_pairs_microkernel %p, %p, %p, %p, %p blocks %blocks format = "q4_1"
  func.return
}
