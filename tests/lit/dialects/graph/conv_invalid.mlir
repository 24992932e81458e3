// RUN: xunity-opt %s --split-input-file --verify-diagnostics | filecheck %s

func.func @conv_input_rank(%x: !graph.tensor<[3, h, w], f32>, %w: !graph.tensor<[16, 3, 3, 3], f32>) {
  // CHECK: conv_invalid.mlir:5:3: error: graph.conv2d: conv2d input must be NCHW (rank 4), got rank 3
  %0 = graph.conv2d %x, %w strides = [1, 1] padding = [0, 0, 0, 0] dilation = [1, 1] groups = 1 : !graph.tensor<[3, h, w], f32>, !graph.tensor<[16, 3, 3, 3], f32> -> !graph.tensor<[1, 16, h, w], f32>
  func.return
}

// -----

func.func @conv_weight_rank(%x: !graph.tensor<[1, 3, h, w], f32>, %w: !graph.tensor<[16, 3, 3], f32>) {
  // CHECK: error: graph.conv2d: conv2d weight must be OIHW (rank 4), got rank 3
  %0 = graph.conv2d %x, %w strides = [1, 1] padding = [0, 0, 0, 0] dilation = [1, 1] groups = 1 : !graph.tensor<[1, 3, h, w], f32>, !graph.tensor<[16, 3, 3], f32> -> !graph.tensor<[1, 16, h, w], f32>
  func.return
}

// -----

func.func @conv_groups_positive(%x: !graph.tensor<[1, 3, 8, 8], f32>, %w: !graph.tensor<[16, 3, 3, 3], f32>) {
  // CHECK: error: graph.conv2d: conv2d groups 0 must be positive
  %0 = graph.conv2d %x, %w strides = [1, 1] padding = [0, 0, 0, 0] dilation = [1, 1] groups = 0 : !graph.tensor<[1, 3, 8, 8], f32>, !graph.tensor<[16, 3, 3, 3], f32> -> !graph.tensor<[1, 16, 6, 6], f32>
  func.return
}

// -----

func.func @conv_symbolic_kernel(%x: !graph.tensor<[1, 3, 8, 8], f32>, %w: !graph.tensor<[16, 3, k, 3], f32>) {
  // CHECK: error: graph.conv2d: conv2d kernel dims [k, 3] must be constant
  %0 = graph.conv2d %x, %w strides = [1, 1] padding = [0, 0, 0, 0] dilation = [1, 1] groups = 1 : !graph.tensor<[1, 3, 8, 8], f32>, !graph.tensor<[16, 3, k, 3], f32> -> !graph.tensor<[1, 16, 6, 6], f32>
  func.return
}

// -----

func.func @conv_input_channels(%x: !graph.tensor<[1, 4, 8, 8], f32>, %w: !graph.tensor<[16, 3, 3, 3], f32>) {
  // CHECK: error: graph.conv2d: conv2d input channels (input[1] vs weight[1] * groups): 4 and 3 differ
  %0 = graph.conv2d %x, %w strides = [1, 1] padding = [0, 0, 0, 0] dilation = [1, 1] groups = 1 : !graph.tensor<[1, 4, 8, 8], f32>, !graph.tensor<[16, 3, 3, 3], f32> -> !graph.tensor<[1, 16, 6, 6], f32>
  func.return
}

// -----

func.func @conv_input_channels_symbolic(%x: !graph.tensor<[1, c, 8, 8], f32>, %w: !graph.tensor<[16, 3, 3, 3], f32>) {
  // CHECK: error: graph.conv2d: conv2d input channels (input[1] vs weight[1] * groups): cannot prove c == 6
  %0 = graph.conv2d %x, %w strides = [1, 1] padding = [0, 0, 0, 0] dilation = [1, 1] groups = 2 : !graph.tensor<[1, c, 8, 8], f32>, !graph.tensor<[16, 3, 3, 3], f32> -> !graph.tensor<[1, 16, 6, 6], f32>
  func.return
}

// -----

func.func @conv_output_channels_groups(%x: !graph.tensor<[1, 6, 8, 8], f32>, %w: !graph.tensor<[10, 2, 3, 3], f32>) {
  // CHECK: error: graph.conv2d: conv2d output channels 10 are not divisible by groups 3
  %0 = graph.conv2d %x, %w strides = [1, 1] padding = [0, 0, 0, 0] dilation = [1, 1] groups = 3 : !graph.tensor<[1, 6, 8, 8], f32>, !graph.tensor<[10, 2, 3, 3], f32> -> !graph.tensor<[1, 10, 6, 6], f32>
  func.return
}

// -----

func.func @conv_bias_rank(%x: !graph.tensor<[1, 3, 8, 8], f32>, %w: !graph.tensor<[16, 3, 3, 3], f32>, %b: !graph.tensor<[1, 16], f32>) {
  // CHECK: error: graph.conv2d: conv2d bias must have rank 1, got rank 2
  %0 = graph.conv2d %x, %w, %b strides = [1, 1] padding = [0, 0, 0, 0] dilation = [1, 1] groups = 1 : !graph.tensor<[1, 3, 8, 8], f32>, !graph.tensor<[16, 3, 3, 3], f32>, !graph.tensor<[1, 16], f32> -> !graph.tensor<[1, 16, 6, 6], f32>
  func.return
}

// -----

func.func @conv_bias_length(%x: !graph.tensor<[1, 3, 8, 8], f32>, %w: !graph.tensor<[16, 3, 3, 3], f32>, %b: !graph.tensor<[8], f32>) {
  // CHECK: error: graph.conv2d: conv2d bias length (bias[0] vs weight[0]): 8 and 16 differ
  %0 = graph.conv2d %x, %w, %b strides = [1, 1] padding = [0, 0, 0, 0] dilation = [1, 1] groups = 1 : !graph.tensor<[1, 3, 8, 8], f32>, !graph.tensor<[16, 3, 3, 3], f32>, !graph.tensor<[8], f32> -> !graph.tensor<[1, 16, 6, 6], f32>
  func.return
}

// -----

func.func @conv_element_types(%x: !graph.tensor<[1, 3, 8, 8], f32>, %w: !graph.tensor<[16, 3, 3, 3], f16>) {
  // CHECK: error: graph.conv2d: weight element type f16 differs from the input's f32
  %0 = graph.conv2d %x, %w strides = [1, 1] padding = [0, 0, 0, 0] dilation = [1, 1] groups = 1 : !graph.tensor<[1, 3, 8, 8], f32>, !graph.tensor<[16, 3, 3, 3], f16> -> !graph.tensor<[1, 16, 6, 6], f32>
  func.return
}

// -----

func.func @conv_strides_count(%x: !graph.tensor<[1, 3, 8, 8], f32>, %w: !graph.tensor<[16, 3, 3, 3], f32>) {
  // CHECK: error: graph.conv2d: strides [1] must have 2 entries
  %0 = graph.conv2d %x, %w strides = [1] padding = [0, 0, 0, 0] dilation = [1, 1] groups = 1 : !graph.tensor<[1, 3, 8, 8], f32>, !graph.tensor<[16, 3, 3, 3], f32> -> !graph.tensor<[1, 16, 6, 6], f32>
  func.return
}

// -----

func.func @conv_strides_positive(%x: !graph.tensor<[1, 3, 8, 8], f32>, %w: !graph.tensor<[16, 3, 3, 3], f32>) {
  // CHECK: error: graph.conv2d: strides [1, 0] must be positive
  %0 = graph.conv2d %x, %w strides = [1, 0] padding = [0, 0, 0, 0] dilation = [1, 1] groups = 1 : !graph.tensor<[1, 3, 8, 8], f32>, !graph.tensor<[16, 3, 3, 3], f32> -> !graph.tensor<[1, 16, 6, 6], f32>
  func.return
}

// -----

func.func @conv_dilation_positive(%x: !graph.tensor<[1, 3, 8, 8], f32>, %w: !graph.tensor<[16, 3, 3, 3], f32>) {
  // CHECK: error: graph.conv2d: dilation [0, 1] must be positive
  %0 = graph.conv2d %x, %w strides = [1, 1] padding = [0, 0, 0, 0] dilation = [0, 1] groups = 1 : !graph.tensor<[1, 3, 8, 8], f32>, !graph.tensor<[16, 3, 3, 3], f32> -> !graph.tensor<[1, 16, 6, 6], f32>
  func.return
}

// -----

func.func @conv_padding_count(%x: !graph.tensor<[1, 3, 8, 8], f32>, %w: !graph.tensor<[16, 3, 3, 3], f32>) {
  // CHECK: error: graph.conv2d: padding [1, 1] must have 4 entries [top, left, bottom, right]
  %0 = graph.conv2d %x, %w strides = [1, 1] padding = [1, 1] dilation = [1, 1] groups = 1 : !graph.tensor<[1, 3, 8, 8], f32>, !graph.tensor<[16, 3, 3, 3], f32> -> !graph.tensor<[1, 16, 8, 8], f32>
  func.return
}

// -----

func.func @conv_padding_negative(%x: !graph.tensor<[1, 3, 8, 8], f32>, %w: !graph.tensor<[16, 3, 3, 3], f32>) {
  // CHECK: error: graph.conv2d: padding [0, 0, -1, 0] must be non-negative
  %0 = graph.conv2d %x, %w strides = [1, 1] padding = [0, 0, -1, 0] dilation = [1, 1] groups = 1 : !graph.tensor<[1, 3, 8, 8], f32>, !graph.tensor<[16, 3, 3, 3], f32> -> !graph.tensor<[1, 16, 5, 6], f32>
  func.return
}

// -----

func.func @conv_window_too_large(%x: !graph.tensor<[1, 3, 2, 8], f32>, %w: !graph.tensor<[16, 3, 3, 3], f32>) {
  // CHECK: error: graph.conv2d: window of extent 3 does not fit spatial dim 0 (2 with padding 0 + 0)
  %0 = graph.conv2d %x, %w strides = [1, 1] padding = [0, 0, 0, 0] dilation = [1, 1] groups = 1 : !graph.tensor<[1, 3, 2, 8], f32>, !graph.tensor<[16, 3, 3, 3], f32> -> !graph.tensor<[1, 16, 0, 6], f32>
  func.return
}

// -----

func.func @conv_result_disagrees(%x: !graph.tensor<[1, 3, h, w], f32>, %w: !graph.tensor<[16, 3, 3, 3], f32>) {
  // CHECK: error: graph.conv2d: result 0 has type !graph.tensor<[1, 16, h, w], f32>, but the operands imply !graph.tensor<[1, 16, h - 2, w - 2], f32>
  %0 = graph.conv2d %x, %w strides = [1, 1] padding = [0, 0, 0, 0] dilation = [1, 1] groups = 1 : !graph.tensor<[1, 3, h, w], f32>, !graph.tensor<[16, 3, 3, 3], f32> -> !graph.tensor<[1, 16, h, w], f32>
  func.return
}

// -----

func.func @pool_input_rank(%x: !graph.tensor<[8, h, w], f32>) {
  // CHECK: error: graph.max_pool2d: pool2d input must be NCHW (rank 4), got rank 3
  %0 = graph.max_pool2d %x kernel = [2, 2] strides = [2, 2] padding = [0, 0, 0, 0] dilation = [1, 1] : !graph.tensor<[8, h, w], f32> -> !graph.tensor<[8, h, w], f32>
  func.return
}

// -----

func.func @pool_kernel_positive(%x: !graph.tensor<[1, 8, 4, 4], f32>) {
  // CHECK: error: graph.max_pool2d: kernel [0, 2] must be positive
  %0 = graph.max_pool2d %x kernel = [0, 2] strides = [2, 2] padding = [0, 0, 0, 0] dilation = [1, 1] : !graph.tensor<[1, 8, 4, 4], f32> -> !graph.tensor<[1, 8, 2, 2], f32>
  func.return
}

// -----

func.func @pool_kernel_count(%x: !graph.tensor<[1, 8, 4, 4], f32>) {
  // CHECK: error: graph.avg_pool2d: kernel [2, 2, 2] must have 2 entries
  %0 = graph.avg_pool2d %x kernel = [2, 2, 2] strides = [2, 2] padding = [0, 0, 0, 0] dilation = [1, 1] : !graph.tensor<[1, 8, 4, 4], f32> -> !graph.tensor<[1, 8, 2, 2], f32>
  func.return
}

// -----

func.func @avg_pool_integers(%x: !graph.tensor<[1, 8, 4, 4], i32>) {
  // CHECK: error: graph.avg_pool2d: expects a floating-point tensor, got i32
  %0 = graph.avg_pool2d %x kernel = [2, 2] strides = [2, 2] padding = [0, 0, 0, 0] dilation = [1, 1] : !graph.tensor<[1, 8, 4, 4], i32> -> !graph.tensor<[1, 8, 2, 2], i32>
  func.return
}

// -----

func.func @pool_window_too_large(%x: !graph.tensor<[1, 8, 4, 4], f32>) {
  // CHECK: error: graph.max_pool2d: window of extent 5 does not fit spatial dim 1 (4 with padding 0 + 0)
  %0 = graph.max_pool2d %x kernel = [1, 3] strides = [1, 1] padding = [0, 0, 0, 0] dilation = [1, 2] : !graph.tensor<[1, 8, 4, 4], f32> -> !graph.tensor<[1, 8, 4, 0], f32>
  func.return
}

// -----

func.func @pool_result_disagrees(%x: !graph.tensor<[1, 8, h, w], f32>) {
  // CHECK: error: graph.avg_pool2d: result 0 has type !graph.tensor<[1, 8, h, w], f32>, but the operands imply !graph.tensor<[1, 8, (h floordiv 2), (w floordiv 2)], f32>
  %0 = graph.avg_pool2d %x kernel = [2, 2] strides = [2, 2] padding = [0, 0, 0, 0] dilation = [1, 1] : !graph.tensor<[1, 8, h, w], f32> -> !graph.tensor<[1, 8, h, w], f32>
  func.return
}
