// RUN: xunity-opt %s | xunity-opt | filecheck %s
// RUN: xunity-opt %s --print-op-generic | xunity-opt | filecheck %s

// CHECK-LABEL: func.func @conv2d_symbolic_stride2
func.func @conv2d_symbolic_stride2(%x: !graph.tensor<[1, 3, h, w], f32>, %w: !graph.tensor<[16, 3, 3, 3], f32>, %b: !graph.tensor<[16], f32>) -> !graph.tensor<[1, 16, ((h - 1) floordiv 2) + 1, ((w - 1) floordiv 2) + 1], f32> {
  // CHECK-NEXT: %[[Y:.*]] = graph.conv2d %{{.*}}, %{{.*}}, %{{.*}} strides = [2, 2] padding = [1, 1, 1, 1] dilation = [1, 1] groups = 1 : !graph.tensor<[1, 3, h, w], f32>, !graph.tensor<[16, 3, 3, 3], f32>, !graph.tensor<[16], f32> -> !graph.tensor<[1, 16, ((h - 1) floordiv 2) + 1, ((w - 1) floordiv 2) + 1], f32>
  %0 = graph.conv2d %x, %w, %b strides = [2, 2] padding = [1, 1, 1, 1] dilation = [1, 1] groups = 1 : !graph.tensor<[1, 3, h, w], f32>, !graph.tensor<[16, 3, 3, 3], f32>, !graph.tensor<[16], f32> -> !graph.tensor<[1, 16, ((h - 1) floordiv 2) + 1, ((w - 1) floordiv 2) + 1], f32>
  // CHECK-NEXT: func.return %[[Y]]
  func.return %0 : !graph.tensor<[1, 16, ((h - 1) floordiv 2) + 1, ((w - 1) floordiv 2) + 1], f32>
}

// CHECK-LABEL: func.func @conv2d_no_bias_depthwise_dilated
func.func @conv2d_no_bias_depthwise_dilated(%x: !graph.tensor<[n, 32, 56, 56], f16>, %w: !graph.tensor<[32, 1, 3, 3], f16>, %v: !graph.tensor<[n, 8, h, w], f16>, %u: !graph.tensor<[4, 8, 1, 1], f16>) {
  // CHECK-NEXT: graph.conv2d %{{.*}}, %{{.*}} strides = [1, 1] padding = [2, 2, 2, 2] dilation = [2, 2] groups = 32 : !graph.tensor<[n, 32, 56, 56], f16>, !graph.tensor<[32, 1, 3, 3], f16> -> !graph.tensor<[n, 32, 56, 56], f16>
  %0 = graph.conv2d %x, %w strides = [1, 1] padding = [2, 2, 2, 2] dilation = [2, 2] groups = 32 : !graph.tensor<[n, 32, 56, 56], f16>, !graph.tensor<[32, 1, 3, 3], f16> -> !graph.tensor<[n, 32, 56, 56], f16>
  // CHECK-NEXT: graph.conv2d {{.*}} groups = 1 : !graph.tensor<[n, 8, h, w], f16>, !graph.tensor<[4, 8, 1, 1], f16> -> !graph.tensor<[n, 4, h, w], f16>
  %1 = graph.conv2d %v, %u strides = [1, 1] padding = [0, 0, 0, 0] dilation = [1, 1] groups = 1 : !graph.tensor<[n, 8, h, w], f16>, !graph.tensor<[4, 8, 1, 1], f16> -> !graph.tensor<[n, 4, h, w], f16>
  // CHECK-NEXT: graph.conv2d {{.*}} strides = [1, 2] {{.*}} -> !graph.tensor<[n, 4, h, ((w - 1) floordiv 2) + 1], f16>
  %2 = graph.conv2d %v, %u strides = [1, 2] padding = [0, 0, 0, 0] dilation = [1, 1] groups = 1 : !graph.tensor<[n, 8, h, w], f16>, !graph.tensor<[4, 8, 1, 1], f16> -> !graph.tensor<[n, 4, h, ((w - 1) floordiv 2) + 1], f16>
  func.return
}

// CHECK-LABEL: func.func @pooling
func.func @pooling(%x: !graph.tensor<[n, 64, h, w], f32>, %y: !graph.tensor<[1, 8, 7, 7], f32>) {
  // CHECK-NEXT: graph.max_pool2d %{{.*}} kernel = [3, 3] strides = [2, 2] padding = [1, 1, 1, 1] dilation = [1, 1] : !graph.tensor<[n, 64, h, w], f32> -> !graph.tensor<[n, 64, ((h - 1) floordiv 2) + 1, ((w - 1) floordiv 2) + 1], f32>
  %0 = graph.max_pool2d %x kernel = [3, 3] strides = [2, 2] padding = [1, 1, 1, 1] dilation = [1, 1] : !graph.tensor<[n, 64, h, w], f32> -> !graph.tensor<[n, 64, ((h - 1) floordiv 2) + 1, ((w - 1) floordiv 2) + 1], f32>
  // CHECK-NEXT: graph.max_pool2d %{{.*}} kernel = [2, 2] strides = [1, 1] padding = [0, 0, 0, 0] dilation = [2, 2] : !graph.tensor<[1, 8, 7, 7], f32> -> !graph.tensor<[1, 8, 5, 5], f32>
  %1 = graph.max_pool2d %y kernel = [2, 2] strides = [1, 1] padding = [0, 0, 0, 0] dilation = [2, 2] : !graph.tensor<[1, 8, 7, 7], f32> -> !graph.tensor<[1, 8, 5, 5], f32>
  // CHECK-NEXT: graph.avg_pool2d %{{.*}} kernel = [7, 7] strides = [7, 7] padding = [0, 0, 0, 0] dilation = [1, 1] : !graph.tensor<[1, 8, 7, 7], f32> -> !graph.tensor<[1, 8, 1, 1], f32>
  %2 = graph.avg_pool2d %y kernel = [7, 7] strides = [7, 7] padding = [0, 0, 0, 0] dilation = [1, 1] : !graph.tensor<[1, 8, 7, 7], f32> -> !graph.tensor<[1, 8, 1, 1], f32>
  // CHECK-NEXT: graph.avg_pool2d %{{.*}} kernel = [2, 2] strides = [2, 2] padding = [0, 0, 1, 1] dilation = [1, 1] : !graph.tensor<[n, 64, h, w], f32> -> !graph.tensor<[n, 64, ((h - 1) floordiv 2) + 1, ((w - 1) floordiv 2) + 1], f32>
  %3 = graph.avg_pool2d %x kernel = [2, 2] strides = [2, 2] padding = [0, 0, 1, 1] dilation = [1, 1] : !graph.tensor<[n, 64, h, w], f32> -> !graph.tensor<[n, 64, ((h - 1) floordiv 2) + 1, ((w - 1) floordiv 2) + 1], f32>
  func.return
}
