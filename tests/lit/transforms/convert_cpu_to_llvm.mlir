// RUN: xunity-opt %s --split-input-file -p convert-cpu-to-llvm | filecheck %s

// CHECK-LABEL: func.func @vload_is_gep_and_aligned_load
// CHECK-SAME: (%[[P:.*]]: !llvm.ptr, %[[OFF:.*]]: index)
func.func @vload_is_gep_and_aligned_load(%p: !llvm.ptr, %off: index) -> vector<16xf32> {
  // CHECK-NEXT: %[[OI:.*]] = builtin.unrealized_conversion_cast %[[OFF]] : index to i64
  // CHECK-NEXT: %[[A:.*]] = llvm.getelementptr %[[P]][%[[OI]]] : (!llvm.ptr, i64) -> !llvm.ptr, f32
  // CHECK-NEXT: %[[V:.*]] = llvm.load %[[A]] {alignment = 4 : i64} : !llvm.ptr -> vector<16xf32>
  // CHECK-NEXT: func.return %[[V]]
  %v = cpu.vload %p[%off] align = 4 : !llvm.ptr -> vector<16xf32>
  func.return %v : vector<16xf32>
}

// -----

// CHECK-LABEL: func.func @vstore_is_gep_and_aligned_store
// CHECK-SAME: (%[[V:.*]]: vector<8xi32>, %[[P:.*]]: !llvm.ptr, %{{.*}}: index)
func.func @vstore_is_gep_and_aligned_store(%v: vector<8xi32>, %p: !llvm.ptr, %off: index) {
  // CHECK-NEXT: %[[OI:.*]] = builtin.unrealized_conversion_cast
  // CHECK-NEXT: %[[A:.*]] = llvm.getelementptr %[[P]][%[[OI]]] : (!llvm.ptr, i64) -> !llvm.ptr, i32
  // CHECK-NEXT: llvm.store %[[V]], %[[A]] {alignment = 16 : i64} : vector<8xi32>, !llvm.ptr
  cpu.vstore %v, %p[%off] align = 16 : vector<8xi32>, !llvm.ptr
  func.return
}

// -----

// CHECK-LABEL: func.func @vbroadcast_is_insert_and_splat_shuffle
// CHECK-SAME: (%[[S:.*]]: f32)
func.func @vbroadcast_is_insert_and_splat_shuffle(%s: f32) -> vector<4xf32> {
  // CHECK-NEXT: %[[U:.*]] = llvm.mlir.undef : vector<4xf32>
  // CHECK-NEXT: %[[ZERO:.*]] = llvm.mlir.constant(0 : i32) : i32
  // CHECK-NEXT: %[[ONE:.*]] = llvm.insertelement %[[S]], %[[U]][%[[ZERO]] : i32] : vector<4xf32>
  // CHECK-NEXT: llvm.shufflevector %[[ONE]], %[[U]] [0, 0, 0, 0] : vector<4xf32>
  %v = cpu.vbroadcast %s : f32 -> vector<4xf32>
  func.return %v : vector<4xf32>
}

// -----

// CHECK-LABEL: func.func @vfma_is_the_fma_intrinsic
func.func @vfma_is_the_fma_intrinsic(%a: vector<16xf32>, %b: vector<16xf32>, %c: vector<16xf32>) -> vector<16xf32> {
  // CHECK-NEXT: llvm.intr.fma(%{{.*}}, %{{.*}}, %{{.*}}) : (vector<16xf32>, vector<16xf32>, vector<16xf32>) -> vector<16xf32>
  %r = cpu.vfma %a, %b, %c : vector<16xf32>
  func.return %r : vector<16xf32>
}

// -----

// Float add reduces as a tree of halves, then an ordered reduction of two lanes.
// CHECK-LABEL: func.func @vreduce_add_is_a_tree
// CHECK-SAME: (%[[V:.*]]: vector<8xf32>)
func.func @vreduce_add_is_a_tree(%v: vector<8xf32>) -> f32 {
  // CHECK-NEXT: %[[LO:.*]] = llvm.shufflevector %[[V]], %[[V]] [0, 1, 2, 3] : vector<8xf32>
  // CHECK-NEXT: %[[HI:.*]] = llvm.shufflevector %[[V]], %[[V]] [4, 5, 6, 7] : vector<8xf32>
  // CHECK-NEXT: %[[S4:.*]] = llvm.fadd %[[LO]], %[[HI]] : vector<4xf32>
  // CHECK-NEXT: %[[LO2:.*]] = llvm.shufflevector %[[S4]], %[[S4]] [0, 1] : vector<4xf32>
  // CHECK-NEXT: %[[HI2:.*]] = llvm.shufflevector %[[S4]], %[[S4]] [2, 3] : vector<4xf32>
  // CHECK-NEXT: %[[S2:.*]] = llvm.fadd %[[LO2]], %[[HI2]] : vector<2xf32>
  // CHECK-NEXT: %[[START:.*]] = llvm.mlir.constant(-0.000000e+00 : f32) : f32
  // CHECK-NEXT: "llvm.intr.vector.reduce.fadd"(%[[START]], %[[S2]])
  %s = cpu.vreduce add %v : vector<8xf32> -> f32
  func.return %s : f32
}

// -----

// CHECK-LABEL: func.func @vreduce_mul_starts_at_one
func.func @vreduce_mul_starts_at_one(%v: vector<2xf64>) -> f64 {
  // CHECK-NEXT: %[[START:.*]] = llvm.mlir.constant(1.000000e+00 : f64) : f64
  // CHECK-NEXT: "llvm.intr.vector.reduce.fmul"(%[[START]], %{{.*}})
  %s = cpu.vreduce mul %v : vector<2xf64> -> f64
  func.return %s : f64
}

// -----

// CHECK-LABEL: func.func @vreduce_other_kinds_are_intrinsics
func.func @vreduce_other_kinds_are_intrinsics(%f: vector<16xf32>, %i: vector<16xi32>) -> (f32, f32, i32, i32, i32, i32) {
  // CHECK-NEXT: llvm.call_intrinsic "llvm.vector.reduce.fmax.v16f32"(%{{.*}}) : (vector<16xf32>) -> f32
  // CHECK-NEXT: llvm.call_intrinsic "llvm.vector.reduce.fmin.v16f32"
  // CHECK-NEXT: llvm.call_intrinsic "llvm.vector.reduce.add.v16i32"(%{{.*}}) : (vector<16xi32>) -> i32
  // CHECK-NEXT: llvm.call_intrinsic "llvm.vector.reduce.mul.v16i32"
  // CHECK-NEXT: llvm.call_intrinsic "llvm.vector.reduce.smax.v16i32"
  // CHECK-NEXT: llvm.call_intrinsic "llvm.vector.reduce.smin.v16i32"
  %0 = cpu.vreduce max %f : vector<16xf32> -> f32
  %1 = cpu.vreduce min %f : vector<16xf32> -> f32
  %2 = cpu.vreduce add %i : vector<16xi32> -> i32
  %3 = cpu.vreduce mul %i : vector<16xi32> -> i32
  %4 = cpu.vreduce max %i : vector<16xi32> -> i32
  %5 = cpu.vreduce min %i : vector<16xi32> -> i32
  func.return %0, %1, %2, %3, %4, %5 : f32, f32, i32, i32, i32, i32
}

// -----

// Runtime functions are declared once per module.
// CHECK-LABEL: func.func @runtime_calls
// CHECK-SAME: (%[[N:.*]]: i64)
func.func @runtime_calls(%n: i64) {
  // CHECK-NEXT: %[[A:.*]] = arith.constant 64 : i64
  // CHECK-NEXT: %[[P:.*]] = llvm.call @XUAlloc(%[[N]], %[[A]]) : (i64, i64) -> !llvm.ptr
  // CHECK-NEXT: llvm.call @XUFree(%[[P]]) : (!llvm.ptr) -> ()
  // CHECK-NEXT: %[[Q:.*]] = llvm.call @XUAlloc(%[[N]], %[[A]]) : (i64, i64) -> !llvm.ptr
  // CHECK-NEXT: llvm.call @XUFree(%[[Q]]) : (!llvm.ptr) -> ()
  %a = arith.constant 64 : i64
  %p = cpu.runtime_call "XUAlloc"(%n, %a) : (i64, i64) -> !llvm.ptr
  cpu.runtime_call "XUFree"(%p) : (!llvm.ptr) -> ()
  %q = cpu.runtime_call "XUAlloc"(%n, %a) : (i64, i64) -> !llvm.ptr
  cpu.runtime_call "XUFree"(%q) : (!llvm.ptr) -> ()
  func.return
}
// CHECK:     llvm.func @XUAlloc(i64, i64) -> !llvm.ptr
// CHECK-NOT: llvm.func @XUAlloc
// CHECK:     llvm.func @XUFree(!llvm.ptr)
// CHECK-NOT: llvm.func @XUFree

// -----

// CHECK-LABEL: func.func @workspace_uses_the_runtime_arena
// CHECK-SAME: (%[[BYTES:.*]]: index)
func.func @workspace_uses_the_runtime_arena(%bytes: index) {
  // CHECK-NEXT: %[[B:.*]] = builtin.unrealized_conversion_cast %[[BYTES]] : index to i64
  // CHECK-NEXT: %[[ALIGN:.*]] = llvm.mlir.constant(64) : i64
  // CHECK-NEXT: %[[P:.*]] = llvm.call @XUWorkspaceAlloc(%[[B]], %[[ALIGN]]) : (i64, i64) -> !llvm.ptr
  // CHECK-NEXT: llvm.call @XUWorkspaceFree(%[[P]]) : (!llvm.ptr) -> ()
  %p = cpu.workspace_alloc %bytes align = 64 : !llvm.ptr
  cpu.workspace_free %p : !llvm.ptr
  func.return
}
// CHECK-DAG: llvm.func @XUWorkspaceAlloc(i64, i64) -> !llvm.ptr
// CHECK-DAG: llvm.func @XUWorkspaceFree(!llvm.ptr)

// -----

// cpu.parallel runs serially until the runtime thread pool exists.
// CHECK-LABEL: func.func @parallel_runs_serially
// CHECK-SAME: (%[[LB:.*]]: index, %[[UB:.*]]: index, %[[P:.*]]: !llvm.ptr)
func.func @parallel_runs_serially(%lb: index, %ub: index, %p: !llvm.ptr) {
  // CHECK-NEXT: %[[ZERO:.*]] = llvm.mlir.zero : !llvm.ptr
  // CHECK-NEXT: cf.br ^[[HEAD:.*]](%[[LB]] : index)
  // CHECK-NEXT: ^[[HEAD]](%[[I:.*]]: index):
  // CHECK-NEXT: %[[C:.*]] = arith.cmpi slt, %[[I]], %[[UB]] : index
  // CHECK-NEXT: cf.cond_br %[[C]], ^[[BODY:.*]], ^[[EXIT:.*]]
  // CHECK-NEXT: ^[[BODY]]:
  // CHECK-NEXT: arith.index_cast %[[I]] : index to i64
  // CHECK-NEXT: llvm.getelementptr
  // CHECK-NEXT: llvm.store %[[ZERO]]
  // CHECK-NEXT: %[[ONE:.*]] = arith.constant 1 : index
  // CHECK-NEXT: %[[NEXT:.*]] = arith.addi %[[I]], %[[ONE]] : index
  // CHECK-NEXT: cf.br ^[[HEAD]](%[[NEXT]] : index)
  // CHECK-NEXT: ^[[EXIT]]:
  // CHECK-NEXT: func.return
  %zero = llvm.mlir.zero : !llvm.ptr
  cpu.parallel %i = %lb to %ub {
    %ii = arith.index_cast %i : index to i64
    %a = llvm.getelementptr %p[%ii] : (!llvm.ptr, i64) -> !llvm.ptr, !llvm.ptr
    llvm.store %zero, %a {alignment = 8 : i64} : !llvm.ptr, !llvm.ptr
    cpu.yield
  }
  func.return
}

// -----

// Nested parallel loops: the outer one goes first, then the inner.
// CHECK-LABEL: func.func @nested_parallel
func.func @nested_parallel(%n: index) {
  // CHECK-NOT: cpu.
  // CHECK:     func.return
  %c0 = arith.constant 0 : index
  cpu.parallel %i = %c0 to %n {
    cpu.parallel %j = %c0 to %n {
      cpu.yield
    }
    cpu.yield
  }
  func.return
}

// -----

// Inside a structured op no blocks can be added: the serial loop is an scf.for.
// CHECK-LABEL: func.func @parallel_in_scf_becomes_scf_for
// CHECK-SAME: (%[[N:.*]]: index, %[[P:.*]]: !llvm.ptr, %[[V:.*]]: vector<4xf32>)
func.func @parallel_in_scf_becomes_scf_for(%n: index, %p: !llvm.ptr, %v: vector<4xf32>) {
  // CHECK-NEXT: %[[C0:.*]] = arith.constant 0 : index
  // CHECK-NEXT: %[[C1:.*]] = arith.constant 1 : index
  // CHECK-NEXT: scf.for %{{.*}} = %[[C0]] to %[[N]] step %[[C1]] {
  // CHECK-NEXT: %[[ONE:.*]] = arith.constant 1 : index
  // CHECK-NEXT: scf.for %[[I:.*]] = %[[C0]] to %[[N]] step %[[ONE]] {
  // CHECK:      llvm.store %[[V]]
  // CHECK-NEXT: }
  // CHECK-NEXT: }
  // CHECK-NEXT: func.return
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %k = %c0 to %n step %c1 {
    cpu.parallel %i = %c0 to %n {
      cpu.vstore %v, %p[%i] align = 4 : vector<4xf32>, !llvm.ptr
      cpu.yield
    }
  }
  func.return
}
