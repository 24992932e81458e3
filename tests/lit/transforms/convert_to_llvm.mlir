// RUN: xunity-opt %s --split-input-file -p convert-to-llvm | filecheck %s

// A kernel as convert-tir-to-cpu leaves it: a parallel loop around a serial
// scf loop, index arithmetic, GEP addressing and a math function.  The
// parallel body becomes a function launched on the thread pool; only llvm ops
// are left, index is i64 everywhere and exp calls nothing.
// CHECK-LABEL: llvm.func @exp_rows
// CHECK-SAME: (%[[N:[^:]*]]: i64, %{{.*}}: i64, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr) attributes {tir.kernel}
// CHECK-NOT: llvm.func
// CHECK:     %[[BODY:.*]] = llvm.mlir.addressof @exp_rows_par0 : !llvm.ptr
// CHECK:     llvm.call @XUParallelLaunch(%[[BODY]], %{{.*}}, %{{.*}}, %[[N]], %{{.*}}) : (!llvm.ptr, !llvm.ptr, i64, i64, i64) -> i32
// CHECK-NEXT: llvm.return
// CHECK-LABEL: llvm.func internal @exp_rows_par0
// CHECK-SAME: (%{{.*}}: i64, %{{.*}}: i64, %{{.*}}: !llvm.ptr) -> i32 attributes {cpu.parallel_body}
// CHECK-NOT: index
// CHECK-NOT: arith.
// CHECK-NOT: math.
// CHECK-NOT: cpu.
// CHECK-NOT: cf.
// CHECK-NOT: builtin.unrealized_conversion_cast
// CHECK-NOT: llvm.call @
// CHECK:     llvm.return %{{.*}} : i32
// CHECK-NEXT: }
func.func @exp_rows(%n_i64: i64, %m_i64: i64, %x: !llvm.ptr, %y: !llvm.ptr) attributes {tir.kernel} {
  %n = arith.index_cast %n_i64 : i64 to index
  %m = arith.index_cast %m_i64 : i64 to index
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  cpu.parallel %i = %c0 to %n {
    scf.for %j = %c0 to %m step %c1 {
      %row = arith.muli %i, %m : index
      %k = arith.addi %row, %j : index
      %ki = arith.index_cast %k : index to i64
      %px = llvm.getelementptr %x[%ki] : (!llvm.ptr, i64) -> !llvm.ptr, f32
      %v = llvm.load %px {alignment = 4 : i64} : !llvm.ptr -> f32
      %e = math.exp %v : f32
      %py = llvm.getelementptr %y[%ki] : (!llvm.ptr, i64) -> !llvm.ptr, f32
      llvm.store %e, %py {alignment = 4 : i64} : f32, !llvm.ptr
    }
    cpu.yield
  }
  func.return
}

// -----

// Calls between functions and index results survive the whole chain.
// CHECK-LABEL: llvm.func internal @square
// CHECK-SAME: (%[[X:.*]]: i64) -> i64
// CHECK-NEXT: %[[S:.*]] = llvm.mul %[[X]], %[[X]] : i64
// CHECK-NEXT: llvm.return %[[S]] : i64
func.func private @square(%x: index) -> index {
  %s = arith.muli %x, %x : index
  func.return %s : index
}

// CHECK-LABEL: llvm.func @caller
// CHECK-SAME: (%[[N:.*]]: i64) -> i64
// CHECK-NEXT: %[[R:.*]] = llvm.call @square(%[[N]]) : (i64) -> i64
// CHECK-NEXT: llvm.return %[[R]] : i64
func.func @caller(%n: index) -> index {
  %r = func.call @square(%n) : (index) -> index
  func.return %r : index
}
