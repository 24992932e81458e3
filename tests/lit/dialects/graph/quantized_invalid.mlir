// RUN: xunity-opt %s --split-input-file --verify-diagnostics | filecheck %s

func.func @unknown_format(%x: !graph.tensor<[n, 32], f32>, %c: !graph.tensor<[1, 1, 16, 48], i8>, %s: !graph.tensor<[1, 1, 48], f16>) {
  // CHECK: quantized_invalid.mlir:5:3: error: graph.quant_matmul: format must be one of q8_0, q4_0, q4_1, got 'q5_0'
  %0 = graph.quant_matmul %x, %c, %s format = "q5_0" rows = 48 : !graph.tensor<[n, 32], f32>, !graph.tensor<[1, 1, 16, 48], i8>, !graph.tensor<[1, 1, 48], f16> -> !graph.tensor<[n, 48], f32>
  func.return
}

// -----

func.func @q4_1_without_mins(%x: !graph.tensor<[n, 32], f32>, %c: !graph.tensor<[1, 1, 16, 48], i8>, %s: !graph.tensor<[1, 1, 48], f16>) {
  // CHECK: error: graph.quant_matmul: format q4_1 needs mins
  %0 = graph.quant_matmul %x, %c, %s format = "q4_1" rows = 48 : !graph.tensor<[n, 32], f32>, !graph.tensor<[1, 1, 16, 48], i8>, !graph.tensor<[1, 1, 48], f16> -> !graph.tensor<[n, 48], f32>
  func.return
}

// -----

func.func @q8_0_with_mins(%x: !graph.tensor<[n, 32], f32>, %c: !graph.tensor<[1, 1, 32, 48], i8>, %s: !graph.tensor<[1, 1, 48], f16>) {
  // CHECK: error: graph.quant_matmul: format q8_0 takes no mins
  %0 = graph.quant_matmul %x, %c, %s, %s format = "q8_0" rows = 48 : !graph.tensor<[n, 32], f32>, !graph.tensor<[1, 1, 32, 48], i8>, !graph.tensor<[1, 1, 48], f16>, !graph.tensor<[1, 1, 48], f16> -> !graph.tensor<[n, 48], f32>
  func.return
}

// -----

func.func @depth_not_the_blocks(%x: !graph.tensor<[n, 40], f32>, %c: !graph.tensor<[1, 1, 32, 48], i8>, %s: !graph.tensor<[1, 1, 48], f16>) {
  // CHECK: error: graph.quant_matmul: lhs depth 40 differs from the weight's 32 (32-element blocks)
  %0 = graph.quant_matmul %x, %c, %s format = "q8_0" rows = 48 : !graph.tensor<[n, 40], f32>, !graph.tensor<[1, 1, 32, 48], i8>, !graph.tensor<[1, 1, 48], f16> -> !graph.tensor<[n, 48], f32>
  func.return
}

// -----

func.func @q8_0_codes_of_q4(%x: !graph.tensor<[n, 32], f32>, %c: !graph.tensor<[1, 1, 16, 48], i8>, %s: !graph.tensor<[1, 1, 48], f16>) {
  // CHECK: error: graph.quant_matmul: codes of 48 q8_0 rows must be [1, blocks, 32, 48], got [1, 1, 16, 48]
  %0 = graph.quant_matmul %x, %c, %s format = "q8_0" rows = 48 : !graph.tensor<[n, 32], f32>, !graph.tensor<[1, 1, 16, 48], i8>, !graph.tensor<[1, 1, 48], f16> -> !graph.tensor<[n, 48], f32>
  func.return
}

// -----

func.func @panels_short_of_rows(%x: !graph.tensor<[n, 32], f32>, %c: !graph.tensor<[1, 1, 32, 48], i8>, %s: !graph.tensor<[1, 1, 48], f16>) {
  // CHECK: error: graph.quant_matmul: codes of 49 q8_0 rows must be [2, blocks, 32, 48], got [1, 1, 32, 48]
  %0 = graph.quant_matmul %x, %c, %s format = "q8_0" rows = 49 : !graph.tensor<[n, 32], f32>, !graph.tensor<[1, 1, 32, 48], i8>, !graph.tensor<[1, 1, 48], f16> -> !graph.tensor<[n, 49], f32>
  func.return
}

// -----

func.func @scales_of_other_blocks(%x: !graph.tensor<[n, 64], f32>, %c: !graph.tensor<[1, 2, 32, 48], i8>, %s: !graph.tensor<[1, 1, 48], f16>) {
  // CHECK: error: graph.quant_matmul: scales must be [1, 2, 48] like the codes' blocks, got [1, 1, 48]
  %0 = graph.quant_matmul %x, %c, %s format = "q8_0" rows = 48 : !graph.tensor<[n, 64], f32>, !graph.tensor<[1, 2, 32, 48], i8>, !graph.tensor<[1, 1, 48], f16> -> !graph.tensor<[n, 48], f32>
  func.return
}

// -----

func.func @f32_scales(%x: !graph.tensor<[n, 32], f32>, %c: !graph.tensor<[1, 1, 32, 48], i8>, %s: !graph.tensor<[1, 1, 48], f32>) {
  // CHECK: error: graph.quant_matmul: scales must be f16, got f32
  %0 = graph.quant_matmul %x, %c, %s format = "q8_0" rows = 48 : !graph.tensor<[n, 32], f32>, !graph.tensor<[1, 1, 32, 48], i8>, !graph.tensor<[1, 1, 48], f32> -> !graph.tensor<[n, 48], f32>
  func.return
}

// -----

func.func @codes_not_bytes(%x: !graph.tensor<[n, 32], f32>, %c: !graph.tensor<[1, 1, 32, 48], i32>, %s: !graph.tensor<[1, 1, 48], f16>) {
  // CHECK: error: graph.quant_matmul: codes must be i8, got i32
  %0 = graph.quant_matmul %x, %c, %s format = "q8_0" rows = 48 : !graph.tensor<[n, 32], f32>, !graph.tensor<[1, 1, 32, 48], i32>, !graph.tensor<[1, 1, 48], f16> -> !graph.tensor<[n, 48], f32>
  func.return
}

// -----

func.func @declared_result_disagrees(%x: !graph.tensor<[n, 32], f32>, %c: !graph.tensor<[1, 1, 32, 48], i8>, %s: !graph.tensor<[1, 1, 48], f16>) {
  // CHECK: error: graph.quant_matmul: result 0 has type !graph.tensor<[n, 40], f32>, but the operands imply !graph.tensor<[n, 48], f32>
  %0 = graph.quant_matmul %x, %c, %s format = "q8_0" rows = 48 : !graph.tensor<[n, 32], f32>, !graph.tensor<[1, 1, 32, 48], i8>, !graph.tensor<[1, 1, 48], f16> -> !graph.tensor<[n, 40], f32>
  func.return
}

// -----

func.func @take_float_ids(%ids: !graph.tensor<[n], f32>, %c: !graph.tensor<[1, 1, 32, 48], i8>, %s: !graph.tensor<[1, 1, 48], f16>) {
  // CHECK: error: graph.quant_take: indices must hold i32 or i64, got f32
  %0 = graph.quant_take %ids, %c, %s format = "q8_0" rows = 48 : !graph.tensor<[n], f32>, !graph.tensor<[1, 1, 32, 48], i8>, !graph.tensor<[1, 1, 48], f16> -> !graph.tensor<[n, 32], f32>
  func.return
}

// -----

func.func @take_no_rows(%ids: !graph.tensor<[n], i64>, %c: !graph.tensor<[1, 1, 32, 48], i8>, %s: !graph.tensor<[1, 1, 48], f16>) {
  // CHECK: error: graph.quant_take: rows must be >= 1, got 0
  %0 = graph.quant_take %ids, %c, %s format = "q8_0" rows = 0 : !graph.tensor<[n], i64>, !graph.tensor<[1, 1, 32, 48], i8>, !graph.tensor<[1, 1, 48], f16> -> !graph.tensor<[n, 32], f32>
  func.return
}
