// RUN: not xunity-opt %s -p graph-legalize 2>&1 | filecheck %s

// CHECK: graph.conv2d: i1 convolution is not supported
func.func @conv2d_i1_has_no_kernel(%x: !graph.tensor<[1, 1, 4, 4], i1>, %w: !graph.tensor<[1, 1, 3, 3], i1>) -> !graph.tensor<[1, 1, 2, 2], i1> {
  %y = graph.conv2d %x, %w strides = [1, 1] padding = [0, 0, 0, 0] dilation = [1, 1] groups = 1 : !graph.tensor<[1, 1, 4, 4], i1>, !graph.tensor<[1, 1, 3, 3], i1> -> !graph.tensor<[1, 1, 2, 2], i1>
  func.return %y : !graph.tensor<[1, 1, 2, 2], i1>
}
