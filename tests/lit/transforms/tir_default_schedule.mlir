// RUN: xunity-opt %s --split-input-file -p tir-default-schedule | filecheck %s
// RUN: xunity-opt %s --split-input-file -p 'tir-default-schedule{min_parallel_work=1}' | filecheck %s --check-prefix=ANY

// Elementwise: the loops outside the innermost one fuse into one parallel
// loop (one contiguous range of rows per thread); the innermost stays serial
// for LLVM's vectorizer.
// CHECK-LABEL: func.func @elementwise_fuses_outer_loops_into_a_parallel_one
// CHECK: %[[ROWS:.*]] = arith.muli %n, %m : index
// CHECK-NEXT: tir.for %[[F:.*]] = %c0 to %[[ROWS]] step %c1 parallel {
// CHECK-NEXT: %[[I:.*]] = arith.divui %[[F]], %m : index
// CHECK-NEXT: %[[J:.*]] = arith.remui %[[F]], %m : index
// CHECK-NEXT: tir.for %[[K:.*]] = %c0 to %c64 step %c1 serial {
// CHECK-NEXT: tir.block "add" (%vi = spatial %[[I]] < %n, %vj = spatial %[[J]] < %m, %vk = spatial %[[K]] < %c64)
func.func @elementwise_fuses_outer_loops_into_a_parallel_one(%n: index {tir.shape_var = "n"}, %m: index {tir.shape_var = "m"}, %a: memref<?x?x64xf32> {tir.dims = #graph.dims<[n, m, 64]>}, %b: memref<64xf32> {tir.dims = #graph.dims<[64]>}, %c: memref<?x?x64xf32> {tir.dims = #graph.dims<[n, m, 64]>}) attributes {tir.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  tir.for %i = %c0 to %n step %c1 serial {
    tir.for %j = %c0 to %m step %c1 serial {
      tir.for %k = %c0 to %c64 step %c1 serial {
        tir.block "add" (%vi = spatial %i < %n, %vj = spatial %j < %m, %vk = spatial %k < %c64) reads(%a, %b : memref<?x?x64xf32>, memref<64xf32>) writes(%c : memref<?x?x64xf32>) {
          %x = tir.load %a[%vi, %vj, %vk] : memref<?x?x64xf32>
          %y = tir.load %b[%vk] : memref<64xf32>
          %s = arith.addf %x, %y : f32
          tir.store %s, %c[%vi, %vj, %vk] : memref<?x?x64xf32>
        }
      }
    }
  }
  func.return
}

// -----

// A 1-D kernel: its only loop is parallel (the pool hands each thread one
// contiguous chunk, and the chunk loop vectorizes).
// CHECK-LABEL: func.func @one_dim_loop_is_parallel
// CHECK: tir.for %[[I:.*]] = %c0 to %n step %c1 parallel {
// CHECK-NEXT: tir.block "exp" (%vi = spatial %[[I]] < %n)
func.func @one_dim_loop_is_parallel(%n: index {tir.shape_var = "n"}, %a: memref<?xf32> {tir.dims = #graph.dims<[n]>}, %c: memref<?xf32> {tir.dims = #graph.dims<[n]>}) attributes {tir.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  tir.for %i = %c0 to %n step %c1 serial {
    tir.block "exp" (%vi = spatial %i < %n) reads(%a : memref<?xf32>) writes(%c : memref<?xf32>) {
      %x = tir.load %a[%vi] : memref<?xf32>
      %y = math.exp %x : f32
      tir.store %y, %c[%vi] : memref<?xf32>
    }
  }
  func.return
}

// -----

// Outer loops of extent 1 are no work to share: the innermost loop is the
// parallel one.  Inner unit loops do not count as the vector loop.
// CHECK-LABEL: func.func @unit_outer_loops_make_the_inner_loop_parallel
// CHECK: tir.for %[[I:.*]] = %c0 to %c1 step %c1 serial {
// CHECK-NEXT: tir.for %[[J:.*]] = %c0 to %n step %c1 parallel {
// CHECK-NEXT: tir.for %[[K:.*]] = %c0 to %c1 step %c1 serial {
func.func @unit_outer_loops_make_the_inner_loop_parallel(%n: index {tir.shape_var = "n"}, %a: memref<1x?x1xf32> {tir.dims = #graph.dims<[1, n, 1]>}, %c: memref<1x?x1xf32> {tir.dims = #graph.dims<[1, n, 1]>}) attributes {tir.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  tir.for %i = %c0 to %c1 step %c1 serial {
    tir.for %j = %c0 to %n step %c1 serial {
      tir.for %k = %c0 to %c1 step %c1 serial {
        tir.block "neg" (%vi = spatial %i < %c1, %vj = spatial %j < %n, %vk = spatial %k < %c1) reads(%a : memref<1x?x1xf32>) writes(%c : memref<1x?x1xf32>) {
          %x = tir.load %a[%vi, %vj, %vk] : memref<1x?x1xf32>
          %y = arith.negf %x : f32
          tir.store %y, %c[%vi, %vj, %vk] : memref<1x?x1xf32>
        }
      }
    }
  }
  func.return
}

// -----

// A nest with a small constant trip count stays serial: a pool launch would
// cost more than it saves.  With min_parallel_work=1 it is parallel.
// CHECK-LABEL: func.func @small_constant_nest_stays_serial
// CHECK-NOT: parallel
// ANY-LABEL: func.func @small_constant_nest_stays_serial
// ANY: tir.for %{{.*}} = %c0 to %c4 step %c1 parallel {
// ANY-NEXT: tir.for %{{.*}} = %c0 to %c8 step %c1 serial {
func.func @small_constant_nest_stays_serial(%a: memref<4x8xf32> {tir.dims = #graph.dims<[4, 8]>}, %c: memref<4x8xf32> {tir.dims = #graph.dims<[4, 8]>}) attributes {tir.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  tir.for %i = %c0 to %c4 step %c1 serial {
    tir.for %j = %c0 to %c8 step %c1 serial {
      tir.block "neg" (%vi = spatial %i < %c4, %vj = spatial %j < %c8) reads(%a : memref<4x8xf32>) writes(%c : memref<4x8xf32>) {
        %x = tir.load %a[%vi, %vj] : memref<4x8xf32>
        %y = arith.negf %x : f32
        tir.store %y, %c[%vi, %vj] : memref<4x8xf32>
      }
    }
  }
  func.return
}

// -----

// A reduction: the spatial loops (around the init block and the reduce loop)
// are parallel; the reduce loop stays serial.
// CHECK-LABEL: func.func @reduction_rows_are_parallel
// CHECK: tir.for %[[I:.*]] = %c0 to %n step %c1 parallel {
// CHECK-NEXT: tir.block "sum_init"
// CHECK: tir.for %[[K:.*]] = %c0 to %c64 step %c1 serial {
// CHECK-NEXT: tir.block "sum_update" (%{{.*}} = spatial %[[I]] < %n, %vk = reduce %[[K]] < %c64)
func.func @reduction_rows_are_parallel(%n: index {tir.shape_var = "n"}, %a: memref<?x64xf32> {tir.dims = #graph.dims<[n, 64]>}, %c: memref<?xf32> {tir.dims = #graph.dims<[n]>}) attributes {tir.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  tir.for %i = %c0 to %n step %c1 serial {
    tir.block "sum_init" (%vi = spatial %i < %n) reads(%a : memref<?x64xf32>) writes(%c : memref<?xf32>) {
      %zero = arith.constant 0.0 : f32
      tir.store %zero, %c[%vi] : memref<?xf32>
    }
    tir.for %k = %c0 to %c64 step %c1 serial {
      tir.block "sum_update" (%vi = spatial %i < %n, %vk = reduce %k < %c64) reads(%a : memref<?x64xf32>) writes(%c : memref<?xf32>) {
        %acc = tir.load %c[%vi] : memref<?xf32>
        %x = tir.load %a[%vi, %vk] : memref<?x64xf32>
        %s = arith.addf %acc, %x fastmath<reassoc> : f32
        tir.store %s, %c[%vi] : memref<?xf32>
      }
    }
  }
  func.return
}

// -----

// A reduction to a scalar has no spatial loop to share (that would need a
// cross-thread combine): unchanged.
// CHECK-LABEL: func.func @full_reduction_stays_serial
// CHECK-NOT: parallel
func.func @full_reduction_stays_serial(%n: index {tir.shape_var = "n"}, %a: memref<?xf32> {tir.dims = #graph.dims<[n]>}, %c: memref<f32> {tir.dims = #graph.dims<[]>}) attributes {tir.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  tir.block "sum_init" () reads(%a : memref<?xf32>) writes(%c : memref<f32>) {
    %zero = arith.constant 0.0 : f32
    tir.store %zero, %c[] : memref<f32>
  }
  tir.for %k = %c0 to %n step %c1 serial {
    tir.block "sum_update" (%vk = reduce %k < %n) reads(%a : memref<?xf32>) writes(%c : memref<f32>) {
      %acc = tir.load %c[] : memref<f32>
      %x = tir.load %a[%vk] : memref<?xf32>
      %s = arith.addf %acc, %x fastmath<reassoc> : f32
      tir.store %s, %c[] : memref<f32>
    }
  }
  func.return
}

// -----

// A loop bound to no block variable (the 0-or-1-trip guard of a gather) is
// looked through: the nest inside it gets the rule.
// CHECK-LABEL: func.func @nest_inside_a_guard_loop
// CHECK: tir.for %{{.*}} = %c0 to %trips step %c1 serial {
// CHECK-NEXT: tir.for %[[I:.*]] = %c0 to %n step %c1 parallel {
func.func @nest_inside_a_guard_loop(%n: index {tir.shape_var = "n"}, %a: memref<?xf32> {tir.dims = #graph.dims<[n]>}, %c: memref<?xf32> {tir.dims = #graph.dims<[n]>}) attributes {tir.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %trips = arith.minsi %n, %c1 : index
  tir.for %g = %c0 to %trips step %c1 serial {
    tir.for %i = %c0 to %n step %c1 serial {
      tir.block "copy" (%vi = spatial %i < %n) reads(%a : memref<?xf32>) writes(%c : memref<?xf32>) {
        %x = tir.load %a[%vi] : memref<?xf32>
        tir.store %x, %c[%vi] : memref<?xf32>
      }
    }
  }
  func.return
}

// -----

// A kernel with a parallel loop was scheduled already (here by its legalize
// rule): no nest of it changes.
// CHECK-LABEL: func.func @scheduled_kernel_is_left_alone
// CHECK: tir.for %{{.*}} = %c0 to %n step %c1 parallel {
// CHECK: tir.for %{{.*}} = %c0 to %n step %c1 serial {
func.func @scheduled_kernel_is_left_alone(%n: index {tir.shape_var = "n"}, %a: memref<?xf32> {tir.dims = #graph.dims<[n]>}, %c: memref<?xf32> {tir.dims = #graph.dims<[n]>}) attributes {tir.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  tir.for %i = %c0 to %n step %c1 parallel {
    tir.block "first" (%vi = spatial %i < %n) reads(%a : memref<?xf32>) writes(%c : memref<?xf32>) {
      %x = tir.load %a[%vi] : memref<?xf32>
      tir.store %x, %c[%vi] : memref<?xf32>
    }
  }
  tir.for %i = %c0 to %n step %c1 serial {
    tir.block "second" (%vi = spatial %i < %n) reads(%a : memref<?xf32>) writes(%c : memref<?xf32>) {
      %x = tir.load %a[%vi] : memref<?xf32>
      tir.store %x, %c[%vi] : memref<?xf32>
    }
  }
  func.return
}

// -----

// A kernel marked tir.scheduled (by a strategy, by hand) keeps its schedule,
// whatever its blocks are called.
// CHECK-LABEL: func.func @scheduled_kernel_is_left_alone
// CHECK-NOT: parallel
func.func @scheduled_kernel_is_left_alone(%n: index {tir.shape_var = "n"}, %a: memref<?xf32> {tir.dims = #graph.dims<[n]>}, %c: memref<?xf32> {tir.dims = #graph.dims<[n]>}) attributes {tir.kernel, tir.scheduled = "manual"} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  tir.for %i = %c0 to %n step %c1 serial {
    tir.block "copy" (%vi = spatial %i < %n) reads(%a : memref<?xf32>) writes(%c : memref<?xf32>) {
      %zero = arith.constant 0.0 : f32
      tir.store %zero, %c[%vi] : memref<?xf32>
    }
  }
  func.return
}
