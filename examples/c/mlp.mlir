// A two-layer perceptron over a batch of n rows: relu(x @ w1 + b1) @ w2 + b2.
// The weights are bound at compile time (xunity.compile(..., params=...)) and
// baked into the exported library as constants; see README.md.
func.func @main(%x: !graph.tensor<[n, 16], f32>) -> !graph.tensor<[n, 4], f32> {
  %w1 = graph.weight "w1" : !graph.tensor<[16, 32], f32>
  %b1 = graph.weight "b1" : !graph.tensor<[32], f32>
  %w2 = graph.weight "w2" : !graph.tensor<[32, 4], f32>
  %b2 = graph.weight "b2" : !graph.tensor<[4], f32>
  %h0 = graph.matmul %x, %w1 : !graph.tensor<[n, 16], f32>, !graph.tensor<[16, 32], f32> -> !graph.tensor<[n, 32], f32>
  %h1 = graph.add %h0, %b1 : !graph.tensor<[n, 32], f32>, !graph.tensor<[32], f32> -> !graph.tensor<[n, 32], f32>
  %h = graph.relu %h1 : !graph.tensor<[n, 32], f32>
  %y0 = graph.matmul %h, %w2 : !graph.tensor<[n, 32], f32>, !graph.tensor<[32, 4], f32> -> !graph.tensor<[n, 4], f32>
  %y = graph.add %y0, %b2 : !graph.tensor<[n, 4], f32>, !graph.tensor<[4], f32> -> !graph.tensor<[n, 4], f32>
  func.return %y : !graph.tensor<[n, 4], f32>
}
