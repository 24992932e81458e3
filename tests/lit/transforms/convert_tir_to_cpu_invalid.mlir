// RUN: xunity-opt %s --split-input-file --verify-diagnostics -p convert-tir-to-cpu | filecheck %s

// CHECK: convert_tir_to_cpu_invalid.mlir:4:1: error: convert-tir-to-cpu: @missing_dims: argument 1 (memref<?xf32>) has no tir.dims
func.func @missing_dims(%n: index {tir.shape_var = "n"}, %a: memref<?xf32>) attributes {tir.kernel} {
  func.return
}

// -----

// CHECK: error: convert-tir-to-cpu: @rank_disagrees: argument 1 (memref<?x4xf32>): tir.dims [n] has rank 1, the memref rank 2
func.func @rank_disagrees(%n: index {tir.shape_var = "n"}, %a: memref<?x4xf32> {tir.dims = #graph.dims<[n]>}) attributes {tir.kernel} {
  func.return
}

// -----

// CHECK: error: convert-tir-to-cpu: @constant_dim_disagrees: argument 1 (memref<?x4xf32>): dim 1 disagrees with tir.dims [n, 8] (a buffer has the constant dims of tir.dims and ? for the others)
func.func @constant_dim_disagrees(%n: index {tir.shape_var = "n"}, %a: memref<?x4xf32> {tir.dims = #graph.dims<[n, 8]>}) attributes {tir.kernel} {
  func.return
}

// -----

// CHECK: error: convert-tir-to-cpu: @shape_variable_not_passed: argument 1 (memref<?x?xf32>): tir.dims [n, m + 1] uses shape variable m, which is not a tir.shape_var argument
func.func @shape_variable_not_passed(%n: index {tir.shape_var = "n"}, %a: memref<?x?xf32> {tir.dims = #graph.dims<[n, m + 1]>}) attributes {tir.kernel} {
  func.return
}

// -----

// CHECK: error: convert-tir-to-cpu: @shape_variable_passed_twice: argument 1: shape variable n is passed twice
func.func @shape_variable_passed_twice(%n: index {tir.shape_var = "n"}, %m: index {tir.shape_var = "n"}) attributes {tir.kernel} {
  func.return
}

// -----

// CHECK: error: convert-tir-to-cpu: @shape_variable_not_index: argument 0 (i64): a tir.shape_var argument must be index
func.func @shape_variable_not_index(%n: i64 {tir.shape_var = "n"}) attributes {tir.kernel} {
  func.return
}

// -----

// CHECK: error: convert-tir-to-cpu: @untagged_argument: argument 1 (f32) is neither an index tagged tir.shape_var nor a memref tagged tir.dims
func.func @untagged_argument(%a: memref<4xf32> {tir.dims = #graph.dims<[4]>}, %s: f32) attributes {tir.kernel} {
  func.return
}

// -----

// CHECK: error: convert-tir-to-cpu: @strided_layout: argument 0 (memref<4x4xf32, strided<[8, 1]>>): memref<4x4xf32, strided<[8, 1]>> has a non-identity layout; buffers must be dense row-major
func.func @strided_layout(%a: memref<4x4xf32, strided<[8, 1]>> {tir.dims = #graph.dims<[4, 4]>}) attributes {tir.kernel} {
  func.return
}

// -----

// CHECK: error: convert-tir-to-cpu: @packed_element_type: argument 0 (memref<8xi4>): element type i4 has no byte address (supported: f16, bf16, f32, f64, i1, i8, i16, i32, i64)
func.func @packed_element_type(%a: memref<8xi4> {tir.dims = #graph.dims<[8]>}) attributes {tir.kernel} {
  func.return
}

// -----

func.func private @consume(memref<4xf32>)

func.func @buffer_escapes(%a: memref<4xf32> {tir.dims = #graph.dims<[4]>}) attributes {tir.kernel} {
  // CHECK: convert_tir_to_cpu_invalid.mlir:70:3: error: convert-tir-to-cpu: @buffer_escapes: argument 0 is used by func.call, which has no pointer form
  func.call @consume(%a) : (memref<4xf32>) -> ()
  func.return
}

// -----

func.func @memref_dim_needs_a_constant_index(%n: index {tir.shape_var = "n"}, %a: memref<?xf32> {tir.dims = #graph.dims<[n]>}) attributes {tir.kernel} {
  // CHECK: error: convert-tir-to-cpu: @memref_dim_needs_a_constant_index: memref.dim of argument 1 needs a constant, in-range index
  %d = memref.dim %a, %n : memref<?xf32>
  func.return
}

// -----

func.func @load_from_an_unknown_buffer() attributes {tir.kernel} {
  %c0 = arith.constant 0 : index
  %m = memref.alloc() : memref<4xf32>
  // CHECK: error: convert-tir-to-cpu: @load_from_an_unknown_buffer: tir.load: the buffer is neither a kernel argument nor a tir.alloc_buffer
  %v = tir.load %m[%c0] : memref<4xf32>
  func.return
}

// -----

func.func @alloc_in_a_block_without_a_return(%n: index {tir.shape_var = "n"}) attributes {tir.kernel} {
  // CHECK: error: convert-tir-to-cpu: @alloc_in_a_block_without_a_return: tir.alloc_buffer must sit in a region ending in func.return or tir.yield (where its XUFree goes)
  %t = tir.alloc_buffer(%n) : memref<?xf32>
  cf.br ^exit
^exit:
  func.return
}

// -----

func.func @alloc_of_packed_elements() attributes {tir.kernel} {
  // CHECK: error: convert-tir-to-cpu: @alloc_of_packed_elements: tir.alloc_buffer: element type ui4 has no byte address (supported: f16, bf16, f32, f64, i1, i8, i16, i32, i64)
  %t = tir.alloc_buffer() : memref<8xui4>
  func.return
}
