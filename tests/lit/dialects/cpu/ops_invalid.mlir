// RUN: xunity-opt %s --split-input-file --verify-diagnostics | filecheck %s

func.func @parallel_two_blocks(%lb: index, %ub: index) {
  // CHECK: ops_invalid.mlir:5:3: error: cpu.parallel: body must be a single block, got 2
  "cpu.parallel"(%lb, %ub) ({
  ^bb0(%i: index):
    "cpu.yield"() : () -> ()
  ^bb1:
    "cpu.yield"() : () -> ()
  }) : (index, index) -> ()
  func.return
}

// -----

func.func @parallel_arg_not_index(%lb: index, %ub: index) {
  // CHECK: error: cpu.parallel: body must have exactly one index argument, got (i64)
  "cpu.parallel"(%lb, %ub) ({
  ^bb0(%i: i64):
    "cpu.yield"() : () -> ()
  }) : (index, index) -> ()
  func.return
}

// -----

func.func @parallel_two_args(%lb: index, %ub: index) {
  // CHECK: error: cpu.parallel: body must have exactly one index argument, got (index, index)
  "cpu.parallel"(%lb, %ub) ({
  ^bb0(%i: index, %j: index):
    "cpu.yield"() : () -> ()
  }) : (index, index) -> ()
  func.return
}

// -----

func.func @parallel_without_yield(%lb: index, %ub: index) {
  // CHECK: error: cpu.parallel: body must end with cpu.yield
  cpu.parallel %i = %lb to %ub {
    %c = arith.constant 0 : index
  }
  func.return
}

// -----

func.func @parallel_zero_tasks(%lb: index, %ub: index) {
  // CHECK: error: cpu.parallel: num_tasks must be >= 1, got 0
  cpu.parallel %i = %lb to %ub num_tasks = 0 {
    cpu.yield
  }
  func.return
}

// -----

func.func @parallel_zero_grain(%lb: index, %ub: index) {
  // CHECK: error: cpu.parallel: grain must be >= 1, got 0
  cpu.parallel %i = %lb to %ub grain = 0 {
    cpu.yield
  }
  func.return
}

// -----

func.func @yield_outside_parallel() {
  // CHECK: error: cpu.yield: must terminate a cpu.parallel body
  cpu.yield
}

// -----

func.func @width_not_power_of_two(%p: !llvm.ptr, %off: index) {
  // CHECK: error: cpu.vload: vector width 12 is not a power of two
  %v = cpu.vload %p[%off] align = 4 : !llvm.ptr -> vector<12xf32>
  func.return
}

// -----

func.func @width_too_wide(%s: i8) {
  // CHECK: error: cpu.vbroadcast: vector width 128 exceeds 64 lanes
  %v = cpu.vbroadcast %s : i8 -> vector<128xi8>
  func.return
}

// -----

func.func @vector_not_1d(%v: vector<4x4xf32>) {
  // CHECK: error: cpu.vfma: vector<4x4xf32> must be a 1-D fixed-width vector
  %r = cpu.vfma %v, %v, %v : vector<4x4xf32>
  func.return
}

// -----

func.func @vector_scalable(%v: vector<[4]xf32>, %p: !llvm.ptr, %off: index) {
  // CHECK: error: cpu.vstore: vector<[4]xf32> must be a 1-D fixed-width vector
  cpu.vstore %v, %p[%off] align = 4 : vector<[4]xf32>, !llvm.ptr
  func.return
}

// -----

func.func @vector_element_type(%v: vector<16xi1>) {
  // CHECK: error: cpu.vreduce: unsupported vector element type i1
  %r = cpu.vreduce add %v : vector<16xi1> -> i1
  func.return
}

// -----

func.func @vload_align(%p: !llvm.ptr, %off: index) {
  // CHECK: error: cpu.vload: align 3 is not a power of two
  %v = cpu.vload %p[%off] align = 3 : !llvm.ptr -> vector<16xf32>
  func.return
}

// -----

func.func @vstore_align(%v: vector<16xf32>, %p: !llvm.ptr, %off: index) {
  // CHECK: error: cpu.vstore: align 0 is not a power of two
  cpu.vstore %v, %p[%off] align = 0 : vector<16xf32>, !llvm.ptr
  func.return
}

// -----

func.func @vbroadcast_element_type(%s: f16) {
  // CHECK: error: cpu.vbroadcast: scalar type f16 differs from the vector element type f32
  %v = cpu.vbroadcast %s : f16 -> vector<16xf32>
  func.return
}

// -----

// The custom syntax names one type; only the generic form can disagree.
func.func @vfma_types_differ(%a: vector<16xf32>, %b: vector<8xf32>) {
  // CHECK: error: cpu.vfma: operand 'rhs' at position 1 does not verify:
  // CHECK-NEXT: attribute vector<16xf32> expected from variable 'T', but got vector<8xf32>
  %r = "cpu.vfma"(%a, %b, %a) : (vector<16xf32>, vector<8xf32>, vector<16xf32>) -> vector<16xf32>
  func.return
}

// -----

func.func @vfma_integer(%v: vector<16xi32>) {
  // CHECK: error: cpu.vfma: needs floating-point elements, got i32
  %r = cpu.vfma %v, %v, %v : vector<16xi32>
  func.return
}

// -----

func.func @vreduce_result_type(%v: vector<16xf32>) {
  // CHECK: error: cpu.vreduce: result type f16 differs from the vector element type f32
  %r = cpu.vreduce max %v : vector<16xf32> -> f16
  func.return
}

// -----

func.func @runtime_call_unknown(%n: i64) {
  // CHECK: error: cpu.runtime_call: unknown runtime function "malloc"; expected one of XUAlloc, XUFree, XUWorkspaceAlloc, XUWorkspaceFree, XUParallelLaunch, XUCopy, XUSetLastError
  %p = cpu.runtime_call "malloc"(%n) : (i64) -> !llvm.ptr
  func.return
}

// -----

func.func @runtime_call_arity(%n: i64) {
  // CHECK: error: cpu.runtime_call: XUAlloc takes 2 operands, got 1
  %p = cpu.runtime_call "XUAlloc"(%n) : (i64) -> !llvm.ptr
  func.return
}

// -----

func.func @runtime_call_operand_type(%n: index, %a: i64) {
  // CHECK: error: cpu.runtime_call: XUWorkspaceAlloc operand 0 must be i64, got index
  %p = cpu.runtime_call "XUWorkspaceAlloc"(%n, %a) : (index, i64) -> !llvm.ptr
  func.return
}

// -----

func.func @runtime_call_result_types(%p: !llvm.ptr) {
  // CHECK: error: cpu.runtime_call: XUFree returns (), got (i32)
  %r = cpu.runtime_call "XUFree"(%p) : (!llvm.ptr) -> i32
  func.return
}

// -----

func.func @workspace_align(%bytes: index) {
  // CHECK: error: cpu.workspace_alloc: align 48 is not a power of two
  %p = cpu.workspace_alloc %bytes align = 48 : !llvm.ptr
  func.return
}

// -----

// CHECK: error: cpu.packed_func: wrapped symbol must not be empty
cpu.packed_func @f_packed wraps @"" args = []

// -----

// CHECK: error: cpu.packed_func: @f cannot wrap itself
cpu.packed_func @f wraps @f args = []

// -----

func.func @f(%x: !llvm.ptr) {
  func.return
}
// CHECK: error: cpu.packed_func: argument name "x" is not unique
cpu.packed_func @f_packed wraps @f args = [#cpu.arg<"x", f32, [n]>, #cpu.arg<"x", f32, [n]>]

// -----

func.func @f(%x: !llvm.ptr) {
  func.return
}
// CHECK: error: cpu.packed_func: argument "x" has unsupported element type f64
cpu.packed_func @f_packed wraps @f args = [#cpu.arg<"x", f64, [n]>]

// -----

func.func @f(%x: !llvm.ptr) {
  func.return
}
// CHECK: error: cpu.packed_func: shape variable m (in "x") is never a whole dim of any argument, so it cannot be bound
cpu.packed_func @f_packed wraps @f args = [#cpu.arg<"x", f32, [n, m + 1]>]

// -----

// CHECK: error: cpu.packed_func: wrapped function @missing is not defined
cpu.packed_func @f_packed wraps @missing args = []

// -----

func.func @gemm_microkernel_partial_vector(%p: !llvm.ptr, %i: index, %f: i1) {
  // CHECK: error: cpu.gemm_microkernel: mr must be positive and nr a positive multiple of 16, got mr = 4, nr = 24
  cpu.gemm_microkernel %p[%i, %i], %p[%i], %p[%i] k %i rows %i cols %i accumulate %f scratch %p mr = 4 nr = 24 : f32
  func.return
}

// -----

func.func @gemm_microkernel_too_many_registers(%p: !llvm.ptr, %i: index, %f: i1) {
  // CHECK: error: cpu.gemm_microkernel: a 16x32 tile needs 32 accumulator registers, more than 30
  cpu.gemm_microkernel %p[%i, %i], %p[%i], %p[%i] k %i rows %i cols %i accumulate %f scratch %p mr = 16 nr = 32 : f32
  func.return
}

// -----

func.func @quant_dot_microkernel_q8(%p: !llvm.ptr, %i: index) {
  // CHECK: error: cpu.quant_dot_microkernel: format must be one of q4_0, q4_1, got 'q8_0'
  cpu.quant_dot_microkernel %p, %p, %p, %p, %p, %p blocks %i format = "q8_0"
  func.return
}

// -----

func.func @quant_dot_microkernel_q4_1_without_mins(%p: !llvm.ptr, %i: index) {
  // CHECK: error: cpu.quant_dot_microkernel: q4_1 needs mins and sums
  cpu.quant_dot_microkernel %p, %p, %p, %p, %p, %p blocks %i format = "q4_1"
  func.return
}

// -----

func.func @quant_dot_microkernel_q4_0_with_mins(%p: !llvm.ptr, %i: index) {
  // CHECK: error: cpu.quant_dot_microkernel: q4_0 takes no mins and sums
  cpu.quant_dot_microkernel %p, %p, %p, %p, %p, %p blocks %i format = "q4_0" mins %p sums %p
  func.return
}

// -----

func.func @quantize_pairs_microkernel_q8(%p: !llvm.ptr, %i: index) {
  // CHECK: error: cpu.quantize_pairs_microkernel: format must be one of q4_0, q4_1, got 'q8_0'
  cpu.quantize_pairs_microkernel %p, %p, %p, %p, %p blocks %i format = "q8_0"
  func.return
}
