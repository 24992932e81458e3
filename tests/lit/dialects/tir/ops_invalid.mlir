// RUN: xunity-opt %s --split-input-file --verify-diagnostics --parsing-diagnostics | filecheck %s

func.func @for_body_needs_one_index_arg(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  // CHECK: ops_invalid.mlir:7:3: error: tir.for: body must have exactly one index argument (the induction variable), got (index, index)
  "tir.for"(%c0, %n, %c1) <{kind = #tir.for_kind<serial>}> ({
  ^bb0(%i: index, %j: index):
    "tir.yield"() : () -> ()
  }) : (index, index, index) -> ()
  func.return
}

// -----

func.func @for_induction_var_is_index(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  // CHECK: error: tir.for: body must have exactly one index argument (the induction variable), got (i32)
  "tir.for"(%c0, %n, %c1) <{kind = #tir.for_kind<serial>}> ({
  ^bb0(%i: i32):
    "tir.yield"() : () -> ()
  }) : (index, index, index) -> ()
  func.return
}

// -----

func.func @for_step_positive(%n: index) {
  %c0 = arith.constant 0 : index
  // CHECK: error: tir.for: step must be positive, got 0
  tir.for %i = %c0 to %n step %c0 serial {
  }
  func.return
}

// -----

func.func @for_kind_keyword(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  // CHECK: tir.for: loop kind must be one of serial, parallel, vectorized, unrolled
  tir.for %i = %c0 to %n step %c1 pipelined {
  }
  func.return
}

// -----

func.func @for_vectorized_needs_constant_bounds(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  // CHECK: error: tir.for: vectorized loops need constant lb, ub and step (arith.constant); ub is not constant
  tir.for %i = %c0 to %n step %c1 vectorized {
  }
  func.return
}

// -----

func.func @for_unrolled_needs_constant_step(%s: index) {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  // CHECK: error: tir.for: unrolled loops need constant lb, ub and step (arith.constant); step is not constant
  tir.for %i = %c0 to %c8 step %s unrolled {
  }
  func.return
}

// -----

func.func @yield_parent(%n: index) {
  // CHECK: error: tir.yield: must terminate a tir.for or tir.block region, not func.func
  tir.yield
}

// -----

func.func @block_name_non_empty(%n: index) {
  // CHECK: error: tir.block: block name must be non-empty
  tir.block "" (%vi = spatial %n < %n) {
  }
  func.return
}

// -----

func.func @block_iter_var_counts_agree(%n: index) {
  // CHECK: error: tir.block: iteration variable counts must agree: 1 bindings, 1 extents, 2 kinds, 1 body arguments
  "tir.block"(%n, %n) <{block_name = "B", iter_kinds = [#tir.iter_kind<spatial>, #tir.iter_kind<spatial>], operandSegmentSizes = array<i32: 1, 1, 0, 0>}> ({
  ^bb0(%vi: index):
    "tir.yield"() : () -> ()
  }) : (index, index) -> ()
  func.return
}

// -----

func.func @block_body_args_index(%n: index) {
  // CHECK: error: tir.block: body argument 0 must be an index, got i64
  "tir.block"(%n, %n) <{block_name = "B", iter_kinds = [#tir.iter_kind<spatial>], operandSegmentSizes = array<i32: 1, 1, 0, 0>}> ({
  ^bb0(%vi: i64):
    "tir.yield"() : () -> ()
  }) : (index, index) -> ()
  func.return
}

// -----

func.func @block_iter_kind_keyword(%n: index) {
  // CHECK: tir.block: iteration kind must be one of spatial, reduce
  tir.block "B" (%vi = scan %n < %n) {
  }
  func.return
}

// -----

func.func @block_init_needs_reduce(%n: index, %C: memref<?xf32>) {
  // CHECK: error: tir.block: an init region needs at least one reduce iteration variable
  tir.block "B" (%vi = spatial %n < %n) writes(%C : memref<?xf32>) init {
    %zero = arith.constant 0.0 : f32
    tir.store %zero, %C[%vi] : memref<?xf32>
  } {
  }
  func.return
}

// -----

func.func @block_init_args_mirror_body(%n: index) {
  // CHECK: error: tir.block: init region must take the iteration variables as arguments: want 1 index, got ()
  "tir.block"(%n, %n) <{block_name = "B", iter_kinds = [#tir.iter_kind<reduce>], operandSegmentSizes = array<i32: 1, 1, 0, 0>}> ({
    "tir.yield"() : () -> ()
  }, {
  ^bb0(%vk: index):
    "tir.yield"() : () -> ()
  }) : (index, index) -> ()
  func.return
}

// -----

func.func @block_stores_declared(%n: index, %A: memref<?xf32>, %C: memref<?xf32>) {
  // CHECK: error: tir.block: every buffer stored to must be declared in writes (block "B")
  tir.block "B" (%vi = spatial %n < %n) reads(%A : memref<?xf32>) writes(%C : memref<?xf32>) {
    %a = tir.load %A[%vi] : memref<?xf32>
    tir.store %a, %A[%vi] : memref<?xf32>
  }
  func.return
}

// -----

func.func @block_loads_declared(%n: index, %A: memref<?xf32>, %C: memref<?xf32>) {
  // CHECK: error: tir.block: every buffer loaded from must be declared in reads or writes (block "B")
  tir.block "B" (%vi = spatial %n < %n) writes(%C : memref<?xf32>) {
    %a = tir.load %A[%vi] : memref<?xf32>
    tir.store %a, %C[%vi] : memref<?xf32>
  }
  func.return
}

// -----

func.func @block_loop_vars_through_bindings(%n: index, %C: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  tir.for %i = %c0 to %n step %c1 parallel {
    // CHECK: error: tir.block: the body uses an enclosing loop variable directly; bind it to an iteration variable
    tir.block "B" (%vi = spatial %i < %n) writes(%C : memref<?xf32>) {
      %zero = arith.constant 0.0 : f32
      tir.store %zero, %C[%i] : memref<?xf32>
    }
  }
  func.return
}

// -----

func.func @load_index_count(%A: memref<?x?xf32>, %i: index) {
  // CHECK: error: tir.load: index count must equal the buffer rank: memref<?x?xf32> needs 2, got 1
  %a = tir.load %A[%i] : memref<?x?xf32>
  func.return
}

// -----

func.func @load_result_type(%A: memref<?xf32>, %i: index) {
  // CHECK: error: tir.load: result type f16 must equal the element type f32
  %a = "tir.load"(%A, %i) : (memref<?xf32>, index) -> f16
  func.return
}

// -----

func.func @store_index_count(%A: memref<?xf32>, %i: index, %v: f32) {
  // CHECK: error: tir.store: index count must equal the buffer rank: memref<?xf32> needs 1, got 2
  tir.store %v, %A[%i, %i] : memref<?xf32>
  func.return
}

// -----

func.func @store_value_type(%A: memref<?xf32>, %i: index, %v: i32) {
  // CHECK: error: tir.store: stored value type i32 must equal the element type f32
  "tir.store"(%v, %A, %i) : (i32, memref<?xf32>, index) -> ()
  func.return
}

// -----

func.func @alloc_buffer_dynamic_sizes(%n: index) {
  // CHECK: error: tir.alloc_buffer: needs one size operand per dynamic dim: memref<?x?xf32> has 2, got 1
  %t = tir.alloc_buffer(%n) : memref<?x?xf32>
  func.return
}

// -----

func.func @access_ptr_index_count(%A: memref<?x?xf32>, %i: index) {
  // CHECK: error: tir.access_ptr: index count must equal the buffer rank: memref<?x?xf32> needs 2, got 1
  %p = tir.access_ptr %A[%i] : memref<?x?xf32>
  func.return
}

// -----

func.func @access_ptr_undeclared_in_block(%n: index, %A: memref<?xf32>, %C: memref<?xf32>) {
  // CHECK: error: tir.block: every buffer stored to must be declared in writes (block "B")
  tir.block "B" (%vi = spatial %n < %n) reads(%A : memref<?xf32>) writes(%C : memref<?xf32>) {
    %p = tir.access_ptr %A[%vi] : memref<?xf32>
  }
  func.return
}
