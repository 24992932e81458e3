// RUN: xunity-opt %s --split-input-file -p convert-tir-to-cpu | filecheck %s

// Shape variables become i64 (cast back to index once at entry), buffers bare
// pointers; the tir.* argument attributes go.
// CHECK-LABEL: func.func @signature_becomes_i64_and_pointers
// CHECK-SAME: (%[[NI:[a-z0-9_]+]]: i64, %{{[a-z0-9_]+}}: !llvm.ptr, %{{[a-z0-9_]+}}: !llvm.ptr) attributes {tir.kernel} {
// CHECK-NEXT: %[[N:[a-z0-9_]+]] = arith.index_cast %[[NI]] : i64 to index
// CHECK-NEXT: arith.constant 0 : index
// CHECK-NEXT: arith.constant 1 : index
// CHECK-NEXT: scf.for %{{.*}} = %{{.*}} to %[[N]] step
// CHECK-NOT: tir.
func.func @signature_becomes_i64_and_pointers(%n: index {tir.shape_var = "n"}, %a: memref<?x64xf32> {tir.dims = #graph.dims<[n, 64]>}, %b: memref<64xf32> {tir.dims = #graph.dims<[64]>}) attributes {tir.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  tir.for %i = %c0 to %n step %c1 serial {
  }
  func.return
}

// -----

// dims [n, n + 1, (n - 3) floordiv 2 + 1]: strides [(n + 1) * d2, d2, 1],
// computed at entry; the access is i * s0 + j * s1 + k.
// CHECK-LABEL: func.func @dims_and_strides_from_symbolic_dims
// CHECK-NEXT: %[[N:[a-z0-9_]+]] = arith.index_cast
// CHECK-NEXT: %[[C3:[a-z0-9_]+]] = arith.constant 3 : index
// CHECK-NEXT: %[[NM3:[a-z0-9_]+]] = arith.subi %[[N]], %[[C3]] : index
// CHECK-NEXT: %[[C2:[a-z0-9_]+]] = arith.constant 2 : index
// CHECK-NEXT: %[[HALF:[a-z0-9_]+]] = arith.floordivsi %[[NM3]], %[[C2]] : index
// CHECK-NEXT: %[[ONE:[a-z0-9_]+]] = arith.constant 1 : index
// CHECK-NEXT: %[[D2:[a-z0-9_]+]] = arith.addi %[[HALF]], %[[ONE]] : index
// CHECK-NEXT: %[[D1:[a-z0-9_]+]] = arith.addi %[[N]], %[[ONE]] : index
// CHECK-NEXT: %[[S0:[a-z0-9_]+]] = arith.muli %[[D2]], %[[D1]] : index
// CHECK:      scf.for %[[I:[a-z0-9_]+]] =
// CHECK-NEXT: %[[O0:[a-z0-9_]+]] = arith.muli %[[I]], %[[S0]] : index
// CHECK-NEXT: %[[O1:[a-z0-9_]+]] = arith.muli %[[I]], %[[D2]] : index
// CHECK-NEXT: %[[O01:[a-z0-9_]+]] = arith.addi %[[O0]], %[[O1]] : index
// CHECK-NEXT: %[[LIN:[a-z0-9_]+]] = arith.addi %[[O01]], %[[I]] : index
// CHECK-NEXT: %[[OFF:[a-z0-9_]+]] = arith.index_cast %[[LIN]] : index to i64
// CHECK-NEXT: llvm.getelementptr %{{.*}}[%[[OFF]]] : (!llvm.ptr, i64) -> !llvm.ptr, f32
func.func @dims_and_strides_from_symbolic_dims(%n: index {tir.shape_var = "n"}, %a: memref<?x?x?xf32> {tir.dims = #graph.dims<[n, n + 1, (n - 3) floordiv 2 + 1]>}) attributes {tir.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  tir.for %i = %c0 to %n step %c1 serial {
    %v = tir.load %a[%i, %i, %i] : memref<?x?x?xf32>
  }
  func.return
}

// -----

// Serial loops are plain scf.for; unrolled and vectorized keep their kind as
// a hint.
// CHECK-LABEL: func.func @for_kinds_become_scf_for
// CHECK:      scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT:   scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT:     scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT:     } {tir.for_kind = #tir.for_kind<vectorized>}
// CHECK-NEXT:   } {tir.for_kind = #tir.for_kind<unrolled>}
// CHECK-NEXT: }
// CHECK-NEXT: func.return
func.func @for_kinds_become_scf_for(%n: index {tir.shape_var = "n"}) attributes {tir.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
  tir.for %i = %c0 to %n step %c1 serial {
    tir.for %j = %c0 to %c16 step %c4 unrolled {
      tir.for %k = %c0 to %c4 step %c1 vectorized {
      }
    }
  }
  func.return
}

// -----

// CHECK-LABEL: func.func @parallel_for_becomes_cpu_parallel
// CHECK-NEXT: %[[N:[a-z0-9_]+]] = arith.index_cast
// CHECK-NEXT: %[[C0:[a-z0-9_]+]] = arith.constant 0 : index
// CHECK-NEXT: arith.constant 1 : index
// CHECK-NEXT: cpu.parallel %[[I:[a-z0-9_]+]] = %[[C0]] to %[[N]] grain = 2048 {
// CHECK-NEXT:   arith.addi %[[I]], %[[I]] : index
// CHECK-NEXT:   cpu.yield
// CHECK-NEXT: }
func.func @parallel_for_becomes_cpu_parallel(%n: index {tir.shape_var = "n"}) attributes {tir.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  tir.for %i = %c0 to %n step %c1 parallel {
    %x = arith.addi %i, %i : index
  }
  func.return
}

// -----

// The grain is the trips worth a task: 2048 innermost iterations, here
// 2 x 32 per trip (loops with constant bounds, summed over siblings).
// CHECK-LABEL: func.func @parallel_grain_counts_constant_inner_loops
// CHECK: cpu.parallel %{{.*}} = %{{.*}} to %{{.*}} grain = 32 {
func.func @parallel_grain_counts_constant_inner_loops(%n: index {tir.shape_var = "n"}) attributes {tir.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  tir.for %i = %c0 to %n step %c1 parallel {
    tir.for %j = %c0 to %c32 step %c1 serial {
      %x = arith.addi %i, %j : index
    }
    tir.for %k = %c0 to %c32 step %c1 serial {
      %y = arith.addi %i, %k : index
    }
  }
  func.return
}

// -----

// An inner loop bounded at run time may be any size: no grain.
// CHECK-LABEL: func.func @parallel_without_grain_over_symbolic_inner_loop
// CHECK: cpu.parallel %{{.*}} = %{{.*}} to %[[N:[a-z0-9_]+]] {
func.func @parallel_without_grain_over_symbolic_inner_loop(%n: index {tir.shape_var = "n"}) attributes {tir.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  tir.for %i = %c0 to %n step %c1 parallel {
    tir.for %j = %c0 to %n step %c1 serial {
      %x = arith.addi %i, %j : index
    }
  }
  func.return
}

// -----

// cpu.parallel has no step: it counts trips, the body recomputes i.
// CHECK-LABEL: func.func @parallel_for_with_step_is_normalized
// CHECK-NEXT: %[[N:[a-z0-9_]+]] = arith.index_cast
// CHECK-NEXT: %[[LB:[a-z0-9_]+]] = arith.constant 2 : index
// CHECK-NEXT: %[[STEP:[a-z0-9_]+]] = arith.constant 4 : index
// CHECK-NEXT: %[[SPAN:[a-z0-9_]+]] = arith.subi %[[N]], %[[LB]] : index
// CHECK-NEXT: %[[TRIPS:[a-z0-9_]+]] = arith.ceildivsi %[[SPAN]], %[[STEP]] : index
// CHECK-NEXT: %[[ZERO:[a-z0-9_]+]] = arith.constant 0 : index
// CHECK-NEXT: cpu.parallel %[[T:[a-z0-9_]+]] = %[[ZERO]] to %[[TRIPS]] grain = 2048 {
// CHECK-NEXT:   %[[SCALED:[a-z0-9_]+]] = arith.muli %[[T]], %[[STEP]] : index
// CHECK-NEXT:   %[[I:[a-z0-9_]+]] = arith.addi %[[LB]], %[[SCALED]] : index
// CHECK-NEXT:   arith.addi %[[I]], %[[I]] : index
// CHECK-NEXT:   cpu.yield
func.func @parallel_for_with_step_is_normalized(%n: index {tir.shape_var = "n"}) attributes {tir.kernel} {
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  tir.for %i = %c2 to %n step %c4 parallel {
    %x = arith.addi %i, %i : index
  }
  func.return
}

// -----

// The block body is inlined with %vi := %i, %vk := %k; the init runs under
// "the reduce binding is 0".
// CHECK-LABEL: func.func @block_inlined_with_init_under_scf_if
// CHECK:      scf.for %[[I:[a-z0-9_]+]] =
// CHECK-NEXT:   scf.for %[[K:[a-z0-9_]+]] =
// CHECK-NEXT:     %[[Z:[a-z0-9_]+]] = arith.constant 0 : index
// CHECK-NEXT:     %[[FIRST:[a-z0-9_]+]] = arith.cmpi eq, %[[K]], %[[Z]] : index
// CHECK-NEXT:     scf.if %[[FIRST]] {
// CHECK-NEXT:       %[[ZERO:[a-z0-9_]+]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:       %[[IO:[a-z0-9_]+]] = arith.index_cast %[[I]] : index to i64
// CHECK-NEXT:       %[[P:[a-z0-9_]+]] = llvm.getelementptr %{{.*}}[%[[IO]]]
// CHECK-NEXT:       llvm.store %[[ZERO]], %[[P]]
// CHECK-NEXT:     }
// CHECK-NEXT:     arith.muli %[[I]], %{{.*}} : index
// CHECK-NEXT:     arith.addi %{{.*}}, %[[K]] : index
// CHECK-NOT:      tir.
// CHECK:          arith.addf
// CHECK:          llvm.store
// CHECK-NEXT:   }
// CHECK-NEXT: }
func.func @block_inlined_with_init_under_scf_if(%n: index {tir.shape_var = "n"}, %a: memref<?x8xf32> {tir.dims = #graph.dims<[n, 8]>}, %out: memref<?xf32> {tir.dims = #graph.dims<[n]>}) attributes {tir.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  tir.for %i = %c0 to %n step %c1 serial {
    tir.for %k = %c0 to %c8 step %c1 serial {
      tir.block "sum" (%vi = spatial %i < %n, %vk = reduce %k < %c8) reads(%a : memref<?x8xf32>) writes(%out : memref<?xf32>) init {
        %zero = arith.constant 0.0 : f32
        tir.store %zero, %out[%vi] : memref<?xf32>
      } {
        %x = tir.load %a[%vi, %vk] : memref<?x8xf32>
        %acc = tir.load %out[%vi] : memref<?xf32>
        %s = arith.addf %acc, %x : f32
        tir.store %s, %out[%vi] : memref<?xf32>
      }
    }
  }
  func.return
}

// -----

// With several reduce variables the init runs when all are 0; a rank-0
// buffer needs no address arithmetic.
// CHECK-LABEL: func.func @init_guard_ands_every_reduce_variable
// CHECK:      scf.for %[[I:[a-z0-9_]+]] =
// CHECK-NEXT:   scf.for %[[K:[a-z0-9_]+]] =
// CHECK-NEXT:     %[[Z:[a-z0-9_]+]] = arith.constant 0 : index
// CHECK-NEXT:     %[[FI:[a-z0-9_]+]] = arith.cmpi eq, %[[I]], %[[Z]] : index
// CHECK-NEXT:     %[[FK:[a-z0-9_]+]] = arith.cmpi eq, %[[K]], %[[Z]] : index
// CHECK-NEXT:     %[[FIRST:[a-z0-9_]+]] = arith.andi %[[FI]], %[[FK]] : i1
// CHECK-NEXT:     scf.if %[[FIRST]] {
// CHECK-NEXT:       %[[ZERO:[a-z0-9_]+]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:       llvm.store %[[ZERO]], %{{[a-z0-9_]+}} {alignment = 4 : i64} : f32, !llvm.ptr
// CHECK-NEXT:     }
func.func @init_guard_ands_every_reduce_variable(%a: memref<4x8xf32> {tir.dims = #graph.dims<[4, 8]>}, %out: memref<f32> {tir.dims = #graph.dims<[]>}) attributes {tir.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  tir.for %i = %c0 to %c4 step %c1 serial {
    tir.for %k = %c0 to %c8 step %c1 serial {
      tir.block "total" (%vi = reduce %i < %c4, %vk = reduce %k < %c8) reads(%a : memref<4x8xf32>) writes(%out : memref<f32>) init {
        %zero = arith.constant 0.0 : f32
        tir.store %zero, %out[] : memref<f32>
      } {
        %x = tir.load %a[%vi, %vk] : memref<4x8xf32>
        %acc = tir.load %out[] : memref<f32>
        %s = arith.addf %acc, %x : f32
        tir.store %s, %out[] : memref<f32>
      }
    }
  }
  func.return
}

// -----

// Alignment is the element's size, never more (numpy buffers are only
// element-aligned); i1 is one byte.
// CHECK-LABEL: func.func @load_store_align_to_the_element_size
// CHECK:      %[[O1:[a-z0-9_]+]] = arith.index_cast %[[I:[a-z0-9_]+]] : index to i64
// CHECK-NEXT: %[[P1:[a-z0-9_]+]] = llvm.getelementptr %{{[a-z0-9_]+}}[%[[O1]]] : (!llvm.ptr, i64) -> !llvm.ptr, f64
// CHECK-NEXT: %[[X:[a-z0-9_]+]] = llvm.load %[[P1]] {alignment = 8 : i64} : !llvm.ptr -> f64
// CHECK:      llvm.getelementptr {{.*}} -> !llvm.ptr, f16
// CHECK-NEXT: llvm.load %{{.*}} {alignment = 2 : i64} : !llvm.ptr -> f16
// CHECK:      llvm.getelementptr {{.*}} -> !llvm.ptr, i1
// CHECK-NEXT: llvm.load %{{.*}} {alignment = 1 : i64} : !llvm.ptr -> i1
// CHECK:      llvm.getelementptr {{.*}} -> !llvm.ptr, i8
// CHECK-NEXT: llvm.load %{{.*}} {alignment = 1 : i64} : !llvm.ptr -> i8
// CHECK:      %[[O2:[a-z0-9_]+]] = arith.index_cast %[[I]] : index to i64
// CHECK-NEXT: %[[P2:[a-z0-9_]+]] = llvm.getelementptr %{{[a-z0-9_]+}}[%[[O2]]] : (!llvm.ptr, i64) -> !llvm.ptr, f64
// CHECK-NEXT: llvm.store %[[X]], %[[P2]] {alignment = 8 : i64} : f64, !llvm.ptr
// CHECK:      llvm.store %{{.*}} {alignment = 2 : i64} : f16, !llvm.ptr
// CHECK:      llvm.store %{{.*}} {alignment = 1 : i64} : i1, !llvm.ptr
// CHECK:      llvm.store %{{.*}} {alignment = 1 : i64} : i8, !llvm.ptr
func.func @load_store_align_to_the_element_size(%n: index {tir.shape_var = "n"}, %a: memref<?xf64> {tir.dims = #graph.dims<[n]>}, %b: memref<?xf16> {tir.dims = #graph.dims<[n]>}, %c: memref<?xi1> {tir.dims = #graph.dims<[n]>}, %d: memref<?xi8> {tir.dims = #graph.dims<[n]>}) attributes {tir.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  tir.for %i = %c0 to %n step %c1 serial {
    %x = tir.load %a[%i] : memref<?xf64>
    %y = tir.load %b[%i] : memref<?xf16>
    %z = tir.load %c[%i] : memref<?xi1>
    %w = tir.load %d[%i] : memref<?xi8>
    tir.store %x, %a[%i] : memref<?xf64>
    tir.store %y, %b[%i] : memref<?xf16>
    tir.store %z, %c[%i] : memref<?xi1>
    tir.store %w, %d[%i] : memref<?xi8>
  }
  func.return
}

// -----

// n x 64 f32 = 256 * n bytes, 64-byte aligned; freed before the return.
// CHECK-LABEL: func.func @alloc_buffer_becomes_xualloc_and_xufree
// CHECK:      %[[C64:[a-z0-9_]+]] = arith.constant 64 : index
// CHECK-NEXT: %[[C256:[a-z0-9_]+]] = arith.constant 256 : index
// CHECK-NEXT: %[[BYTES:[a-z0-9_]+]] = arith.muli %[[N:[a-z0-9_]+]], %[[C256]] : index
// CHECK-NEXT: %[[BYTES64:[a-z0-9_]+]] = arith.index_cast %[[BYTES]] : index to i64
// CHECK-NEXT: %[[ALIGN:[a-z0-9_]+]] = arith.constant 64 : i64
// CHECK-NEXT: %[[T:[a-z0-9_]+]] = cpu.runtime_call "XUAlloc"(%[[BYTES64]], %[[ALIGN]]) : (i64, i64) -> !llvm.ptr
// CHECK-NEXT: arith.constant 0.000000e+00 : f32
// CHECK-NEXT: arith.muli %{{.*}}, %[[C64]] : index
// CHECK:      llvm.getelementptr %[[T]]
// CHECK-NEXT: llvm.store
// CHECK-NEXT: cpu.runtime_call "XUFree"(%[[T]]) : (!llvm.ptr) -> ()
// CHECK-NEXT: func.return
func.func @alloc_buffer_becomes_xualloc_and_xufree(%n: index {tir.shape_var = "n"}) attributes {tir.kernel} {
  %c0 = arith.constant 0 : index
  %c3 = arith.constant 3 : index
  %t = tir.alloc_buffer(%n) : memref<?x64xf32>
  %zero = arith.constant 0.0 : f32
  tir.store %zero, %t[%c3, %c3] : memref<?x64xf32>
  func.return
}

// -----

// A buffer allocated in a loop body lives for one iteration.
// CHECK-LABEL: func.func @alloc_in_a_loop_is_freed_each_iteration
// CHECK:      scf.for
// CHECK:        %[[T:[a-z0-9_]+]] = cpu.runtime_call "XUAlloc"
// CHECK:        llvm.store
// CHECK-NEXT:   cpu.runtime_call "XUFree"(%[[T]]) : (!llvm.ptr) -> ()
// CHECK-NEXT: }
// CHECK-NEXT: func.return
func.func @alloc_in_a_loop_is_freed_each_iteration(%n: index {tir.shape_var = "n"}) attributes {tir.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  tir.for %i = %c0 to %n step %c1 serial {
    %t = tir.alloc_buffer() : memref<8xi32>
    %v = arith.constant 7 : i32
    tir.store %v, %t[%i] : memref<8xi32>
  }
  func.return
}

// -----

// CHECK-LABEL: func.func @memref_dim_reads_the_entry_dims
// CHECK-NEXT: %[[N:[a-z0-9_]+]] = arith.index_cast
// CHECK-NEXT: %[[ONE:[a-z0-9_]+]] = arith.constant 1 : index
// CHECK-NEXT: %[[COLS:[a-z0-9_]+]] = arith.addi %[[N]], %[[ONE]] : index
// CHECK-NEXT: %[[TWO:[a-z0-9_]+]] = arith.constant 2 : index
// CHECK-NEXT: %[[ROWS:[a-z0-9_]+]] = arith.muli %[[N]], %[[TWO]] : index
// CHECK-NOT:  memref.dim
// CHECK:      scf.for %{{.*}} = %[[ROWS]] to %[[COLS]] step
func.func @memref_dim_reads_the_entry_dims(%n: index {tir.shape_var = "n"}, %a: memref<?x?xf32> {tir.dims = #graph.dims<[2 * n, n + 1]>}) attributes {tir.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %rows = memref.dim %a, %c0 : memref<?x?xf32>
  %cols = memref.dim %a, %c1 : memref<?x?xf32>
  tir.for %i = %rows to %cols step %c1 serial {
  }
  func.return
}

// -----

// CHECK-LABEL: func.func @functions_without_tir_kernel_are_left_alone
// CHECK-SAME: (%{{.*}}: memref<4xf32>)
// CHECK:      tir.load
func.func @functions_without_tir_kernel_are_left_alone(%a: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %v = tir.load %a[%c0] : memref<4xf32>
  func.return
}

// -----

// tir.access_ptr is the element address a load would use: i * 64 + j.
// CHECK-LABEL: func.func @access_ptr_is_a_gep
// CHECK: %[[ROW:.*]] = arith.muli %{{.*}}, %{{.*}} : index
// CHECK-NEXT: %[[LIN:.*]] = arith.addi %[[ROW]], %{{.*}} : index
// CHECK-NEXT: %[[OFF:.*]] = arith.index_cast %[[LIN]] : index to i64
// CHECK-NEXT: %[[P:.*]] = llvm.getelementptr %{{.*}}[%[[OFF]]] : (!llvm.ptr, i64) -> !llvm.ptr, f32
// CHECK-NEXT: %[[V:.*]] = arith.constant
// CHECK-NEXT: llvm.store %[[V]], %[[P]]
// CHECK-NOT: tir.access_ptr
func.func @access_ptr_is_a_gep(%n: index {tir.shape_var = "n"}, %a: memref<?x64xf32> {tir.dims = #graph.dims<[n, 64]>}) attributes {tir.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  tir.for %i = %c0 to %n step %c1 serial {
    %q = tir.access_ptr %a[%i, %c3] : memref<?x64xf32>
    %v = arith.constant 1.0 : f32
    llvm.store %v, %q : f32, !llvm.ptr
  }
  func.return
}

// -----

// A loop that stores one buffer and accumulates into another's element at a
// loop-invariant index: the element is loaded once, carried as an iteration
// argument and stored once (distinct tir buffers never alias).
// CHECK-LABEL: func.func @accumulator_is_carried
// CHECK: %[[INIT:.*]] = llvm.load %[[ACC_PTR:.*]] {alignment = 4 : i64} : !llvm.ptr -> f32
// CHECK-NEXT: %[[FINAL:.*]] = scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[RUNNING:.*]] = %[[INIT]]) -> (f32) {
// CHECK: llvm.store %{{.*}}, %{{.*}} {alignment = 4 : i64} : f32, !llvm.ptr
// CHECK: %[[NEXT:.*]] = arith.addf %[[RUNNING]], %{{.*}} : f32
// CHECK-NEXT: scf.yield %[[NEXT]] : f32
// CHECK: llvm.store %[[FINAL]], %[[ACC_PTR]]
func.func @accumulator_is_carried(%n: index {tir.shape_var = "n"}, %x: memref<?xf32> {tir.dims = #graph.dims<[n]>}, %y: memref<?xf32> {tir.dims = #graph.dims<[n]>}, %acc: memref<1xf32> {tir.dims = #graph.dims<[1]>}) attributes {tir.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  tir.for %i = %c0 to %n step %c1 serial {
    %v = tir.load %x[%i] : memref<?xf32>
    %e = math.exp %v : f32
    tir.store %e, %y[%i] : memref<?xf32>
    %a = tir.load %acc[%c0] : memref<1xf32>
    %s = arith.addf %a, %e : f32
    tir.store %s, %acc[%c0] : memref<1xf32>
  }
  func.return
}

// -----

// Without a store to another buffer the loop is left alone (LLVM promotes
// such an accumulator itself and keeps the loop for its vectoriser).
// CHECK-LABEL: func.func @plain_sum_is_left_alone
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NOT: iter_args
// CHECK: llvm.store
func.func @plain_sum_is_left_alone(%n: index {tir.shape_var = "n"}, %x: memref<?xf32> {tir.dims = #graph.dims<[n]>}, %acc: memref<1xf32> {tir.dims = #graph.dims<[1]>}) attributes {tir.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  tir.for %i = %c0 to %n step %c1 serial {
    %v = tir.load %x[%i] : memref<?xf32>
    %a = tir.load %acc[%c0] : memref<1xf32>
    %s = arith.addf %a, %v : f32
    tir.store %s, %acc[%c0] : memref<1xf32>
  }
  func.return
}
