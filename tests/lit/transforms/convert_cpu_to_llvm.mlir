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

// The body is outlined into a function that loops over its chunk; the values
// it uses from outside travel in a closure on the caller's stack.
// CHECK-LABEL: func.func @parallel_launches_outlined_body
// CHECK-SAME: (%[[LB:.*]]: index, %[[UB:.*]]: index, %[[P:.*]]: !llvm.ptr)
// CHECK-NEXT: %[[SLOTS:.*]] = llvm.mlir.constant(1) : i64
// CHECK-NEXT: %[[C:.*]] = llvm.alloca %[[SLOTS]] x !llvm.ptr {alignment = 64 : i64} : (i64) -> !llvm.ptr
// CHECK-NEXT: %[[F0:.*]] = llvm.getelementptr %[[C]][0] : (!llvm.ptr) -> !llvm.ptr, i8
// CHECK-NEXT: llvm.store %[[P]], %[[F0]] {alignment = 8 : i64} : !llvm.ptr, !llvm.ptr
// CHECK-NEXT: %[[FN:.*]] = llvm.mlir.addressof @parallel_launches_outlined_body_par0 : !llvm.ptr
// CHECK-NEXT: %[[TASKS:.*]] = llvm.mlir.constant(0) : i64
// CHECK-NEXT: %[[LBI:.*]] = builtin.unrealized_conversion_cast %[[LB]] : index to i64
// CHECK-NEXT: %[[UBI:.*]] = builtin.unrealized_conversion_cast %[[UB]] : index to i64
// CHECK-NEXT: %{{.*}} = llvm.call @XUParallelLaunch(%[[FN]], %[[C]], %[[LBI]], %[[UBI]], %[[TASKS]]) : (!llvm.ptr, !llvm.ptr, i64, i64, i64) -> i32
// CHECK-NEXT: func.return
// CHECK-NEXT: }
// CHECK-NEXT: llvm.func internal @parallel_launches_outlined_body_par0(%[[BEGIN:.*]]: i64, %[[END:.*]]: i64, %[[CL:.*]]: !llvm.ptr) -> i32 attributes {cpu.parallel_body} {
// CHECK-NEXT: %[[A0:.*]] = llvm.getelementptr %[[CL]][0] : (!llvm.ptr) -> !llvm.ptr, i8
// CHECK-NEXT: %[[PP:.*]] = llvm.load %[[A0]] {alignment = 8 : i64} : !llvm.ptr -> !llvm.ptr
// CHECK-NEXT: %[[BI:.*]] = builtin.unrealized_conversion_cast %[[BEGIN]] : i64 to index
// CHECK-NEXT: %[[EI:.*]] = builtin.unrealized_conversion_cast %[[END]] : i64 to index
// CHECK-NEXT: cf.br ^[[HEAD:.*]](%[[BI]] : index)
// CHECK-NEXT: ^[[HEAD]](%[[I:.*]]: index):
// CHECK-NEXT: %[[BELOW:.*]] = arith.cmpi slt, %[[I]], %[[EI]] : index
// CHECK-NEXT: cf.cond_br %[[BELOW]], ^[[BODY:.*]], ^[[EXIT:.*]]
// CHECK-NEXT: ^[[BODY]]:
// CHECK-NEXT: %[[II:.*]] = arith.index_cast %[[I]] : index to i64
// CHECK-NEXT: %[[A:.*]] = llvm.getelementptr %[[PP]][%[[II]]] : (!llvm.ptr, i64) -> !llvm.ptr, i64
// CHECK-NEXT: llvm.store %[[II]], %[[A]] {alignment = 8 : i64} : i64, !llvm.ptr
// CHECK-NEXT: %[[ONE:.*]] = arith.constant 1 : index
// CHECK-NEXT: %[[NEXT:.*]] = arith.addi %[[I]], %[[ONE]] : index
// CHECK-NEXT: cf.br ^[[HEAD]](%[[NEXT]] : index)
// CHECK-NEXT: ^[[EXIT]]:
// CHECK-NEXT: %[[ZERO:.*]] = llvm.mlir.constant(0 : i32) : i32
// CHECK-NEXT: llvm.return %[[ZERO]] : i32
// CHECK-NEXT: }
// CHECK: llvm.func @XUParallelLaunch(!llvm.ptr, !llvm.ptr, i64, i64, i64) -> i32
func.func @parallel_launches_outlined_body(%lb: index, %ub: index, %p: !llvm.ptr) {
  cpu.parallel %i = %lb to %ub {
    %ii = arith.index_cast %i : index to i64
    %a = llvm.getelementptr %p[%ii] : (!llvm.ptr, i64) -> !llvm.ptr, i64
    llvm.store %ii, %a {alignment = 8 : i64} : i64, !llvm.ptr
    cpu.yield
  }
  func.return
}

// -----

// num_tasks reaches the runtime; a body that captures nothing gets a null closure.
// CHECK-LABEL: func.func @parallel_num_tasks_and_null_closure
// CHECK-NEXT: arith.constant 0 : index
// CHECK-NEXT: %[[C:.*]] = llvm.mlir.zero : !llvm.ptr
// CHECK-NEXT: %[[FN:.*]] = llvm.mlir.addressof @parallel_num_tasks_and_null_closure_par0 : !llvm.ptr
// CHECK-NEXT: %[[TASKS:.*]] = llvm.mlir.constant(3) : i64
// CHECK:      llvm.call @XUParallelLaunch(%[[FN]], %[[C]], %{{.*}}, %{{.*}}, %[[TASKS]])
func.func private @work(index)

func.func @parallel_num_tasks_and_null_closure(%n: index) {
  %c0 = arith.constant 0 : index
  cpu.parallel %i = %c0 to %n num_tasks = 3 {
    func.call @work(%i) : (index) -> ()
    cpu.yield
  }
  func.return
}

// -----

// A grain makes the launch serial (num_tasks 1) when the range holds fewer
// than two grains; otherwise num_tasks is the op's.
// CHECK-LABEL: func.func @parallel_grain_selects_serial_launch
// CHECK:      %[[TASKS:.*]] = llvm.mlir.constant(3) : i64
// CHECK-NEXT: %[[TWO:.*]] = arith.constant 128 : index
// CHECK-NEXT: %[[ONE:.*]] = llvm.mlir.constant(1) : i64
// CHECK-NEXT: %[[SIZE:.*]] = arith.subi %[[N:.*]], %{{.*}} : index
// CHECK-NEXT: %[[SMALL:.*]] = arith.cmpi slt, %[[SIZE]], %[[TWO]] : index
// CHECK-NEXT: %[[PICK:.*]] = arith.select %[[SMALL]], %[[ONE]], %[[TASKS]] : i64
// CHECK:      llvm.call @XUParallelLaunch(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[PICK]])
func.func private @step(index)

func.func @parallel_grain_selects_serial_launch(%n: index) {
  %c0 = arith.constant 0 : index
  cpu.parallel %i = %c0 to %n num_tasks = 3 grain = 64 {
    func.call @step(%i) : (index) -> ()
    cpu.yield
  }
  func.return
}

// -----

// Each captured value sits at its size's alignment (index 8, f32 4, a 512-bit
// vector 64); constants are cloned into the body rather than captured.
// CHECK-LABEL: func.func @parallel_closure_layout
// CHECK-SAME: (%[[N:.*]]: index, %[[M:.*]]: index, %[[S:.*]]: f32, %[[V:.*]]: vector<16xf32>, %[[P:.*]]: !llvm.ptr)
// CHECK-NEXT: %[[SLOTS:.*]] = llvm.mlir.constant(17) : i64
// CHECK-NEXT: %[[C:.*]] = llvm.alloca %[[SLOTS]] x !llvm.ptr {alignment = 64 : i64}
// CHECK-NEXT: arith.constant 0 : index
// CHECK-NEXT: %[[F0:.*]] = llvm.getelementptr %[[C]][0] : (!llvm.ptr) -> !llvm.ptr, i8
// CHECK-NEXT: %[[MI:.*]] = builtin.unrealized_conversion_cast %[[M]] : index to i64
// CHECK-NEXT: llvm.store %[[MI]], %[[F0]] {alignment = 8 : i64} : i64, !llvm.ptr
// CHECK-NEXT: %[[F1:.*]] = llvm.getelementptr %[[C]][8] : (!llvm.ptr) -> !llvm.ptr, i8
// CHECK-NEXT: llvm.store %[[S]], %[[F1]] {alignment = 4 : i64} : f32, !llvm.ptr
// CHECK-NEXT: %[[F2:.*]] = llvm.getelementptr %[[C]][64] : (!llvm.ptr) -> !llvm.ptr, i8
// CHECK-NEXT: llvm.store %[[V]], %[[F2]] {alignment = 64 : i64} : vector<16xf32>, !llvm.ptr
// CHECK-NEXT: %[[F3:.*]] = llvm.getelementptr %[[C]][128] : (!llvm.ptr) -> !llvm.ptr, i8
// CHECK-NEXT: llvm.store %[[P]], %[[F3]] {alignment = 8 : i64} : !llvm.ptr, !llvm.ptr
// CHECK:      llvm.func internal @parallel_closure_layout_par0
// CHECK-NEXT: %{{.*}} = arith.constant 4 : index
// CHECK-NEXT: %[[L0:.*]] = llvm.getelementptr %{{.*}}[0] : (!llvm.ptr) -> !llvm.ptr, i8
// CHECK-NEXT: %[[MM:.*]] = llvm.load %[[L0]] {alignment = 8 : i64} : !llvm.ptr -> i64
// CHECK-NEXT: %{{.*}} = builtin.unrealized_conversion_cast %[[MM]] : i64 to index
// CHECK-NEXT: %[[L1:.*]] = llvm.getelementptr %{{.*}}[8] : (!llvm.ptr) -> !llvm.ptr, i8
// CHECK-NEXT: %{{.*}} = llvm.load %[[L1]] {alignment = 4 : i64} : !llvm.ptr -> f32
// CHECK-NEXT: %[[L2:.*]] = llvm.getelementptr %{{.*}}[64] : (!llvm.ptr) -> !llvm.ptr, i8
// CHECK-NEXT: %{{.*}} = llvm.load %[[L2]] {alignment = 64 : i64} : !llvm.ptr -> vector<16xf32>
// CHECK-NEXT: %[[L3:.*]] = llvm.getelementptr %{{.*}}[128] : (!llvm.ptr) -> !llvm.ptr, i8
// CHECK-NEXT: %{{.*}} = llvm.load %[[L3]] {alignment = 8 : i64} : !llvm.ptr -> !llvm.ptr
func.func @parallel_closure_layout(%n: index, %m: index, %s: f32, %v: vector<16xf32>, %p: !llvm.ptr) {
  %c0 = arith.constant 0 : index
  %four = arith.constant 4 : index
  cpu.parallel %i = %c0 to %n {
    %row = arith.muli %i, %m : index
    %k = arith.addi %row, %four : index
    %w = cpu.vbroadcast %s : f32 -> vector<16xf32>
    %x = arith.addf %w, %v : vector<16xf32>
    cpu.vstore %x, %p[%k] align = 4 : vector<16xf32>, !llvm.ptr
    cpu.yield
  }
  func.return
}

// -----

// A parallel loop nested in another runs serially inside the outer body (the
// runtime would run a nested launch serially anyway): one launch only.
// CHECK-LABEL: func.func @nested_parallel_launches_once
// CHECK:       llvm.call @XUParallelLaunch
// CHECK-NOT:   cpu.parallel %
// CHECK-LABEL: llvm.func internal @nested_parallel_launches_once_par0
// CHECK-NOT:   XUParallelLaunch
// CHECK-NOT:   cpu.parallel %
// CHECK:       scf.for
// CHECK:       llvm.return
// CHECK-NOT:   llvm.func internal
func.func @nested_parallel_launches_once(%n: index, %p: !llvm.ptr, %v: vector<4xf32>) {
  %c0 = arith.constant 0 : index
  cpu.parallel %i = %c0 to %n {
    cpu.parallel %j = %c0 to %n {
      cpu.vstore %v, %p[%j] align = 4 : vector<4xf32>, !llvm.ptr
      cpu.yield
    }
    cpu.yield
  }
  func.return
}

// -----

// Inside a structured op the launch stays in place; the closure is allocated
// once, at function entry, not per iteration.
// CHECK-LABEL: func.func @parallel_in_scf_for_launches_per_iteration
// CHECK-SAME: (%[[N:.*]]: index, %[[P:.*]]: !llvm.ptr, %[[V:.*]]: vector<4xf32>)
// CHECK-NEXT: %{{.*}} = llvm.mlir.constant(3) : i64
// CHECK-NEXT: %[[C:.*]] = llvm.alloca
// CHECK:      scf.for
// CHECK:      llvm.store %[[V]]
// CHECK:      llvm.store %[[P]]
// CHECK:      llvm.call @XUParallelLaunch(%{{.*}}, %[[C]],
// CHECK-NEXT: }
// CHECK-NEXT: func.return
// CHECK:      llvm.func internal @parallel_in_scf_for_launches_per_iteration_par0
// CHECK:      llvm.store
func.func @parallel_in_scf_for_launches_per_iteration(%n: index, %p: !llvm.ptr, %v: vector<4xf32>) {
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

// -----

// A body using a value no closure can hold (here a memref) runs serially in place.
// CHECK-LABEL: func.func @parallel_capturing_memref_runs_serially
// CHECK-SAME: (%[[N:.*]]: index, %[[M:.*]]: memref<?xf32>)
// CHECK-NEXT: %[[C0:.*]] = arith.constant 0 : index
// CHECK-NEXT: cf.br ^[[HEAD:.*]](%[[C0]] : index)
// CHECK-NEXT: ^[[HEAD]](%[[I:.*]]: index):
// CHECK-NEXT: %[[BELOW:.*]] = arith.cmpi slt, %[[I]], %[[N]] : index
// CHECK-NEXT: cf.cond_br %[[BELOW]], ^[[BODY:.*]], ^[[EXIT:.*]]
// CHECK-NEXT: ^[[BODY]]:
// CHECK-NEXT: %[[X:.*]] = memref.load %[[M]][%[[I]]]
// CHECK-NEXT: memref.store %[[X]], %[[M]][%[[I]]]
// CHECK-NEXT: %[[ONE:.*]] = arith.constant 1 : index
// CHECK-NEXT: %[[NEXT:.*]] = arith.addi %[[I]], %[[ONE]] : index
// CHECK-NEXT: cf.br ^[[HEAD]](%[[NEXT]] : index)
// CHECK-NEXT: ^[[EXIT]]:
// CHECK-NEXT: func.return
// CHECK-NOT:  XUParallelLaunch
func.func @parallel_capturing_memref_runs_serially(%n: index, %m: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  cpu.parallel %i = %c0 to %n {
    %x = memref.load %m[%i] : memref<?xf32>
    memref.store %x, %m[%i] : memref<?xf32>
    cpu.yield
  }
  func.return
}
