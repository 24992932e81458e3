// A BERT-style encoder layer (hidden 384, 12 heads of 32, ffn 1536) over a
// batch of one sequence of symbolic length n.  Weights are external,
// referenced by name; every intermediate type is checked symbolically.
func.func @encoder_layer(%x: !graph.tensor<[1, n, 384], f32>) -> !graph.tensor<[1, n, 384], f32> {
  %wqkv = graph.weight "layer.attn.qkv.weight" : !graph.tensor<[384, 1152], f32>
  %bqkv = graph.weight "layer.attn.qkv.bias" : !graph.tensor<[1152], f32>
  %wo = graph.weight "layer.attn.out.weight" : !graph.tensor<[384, 384], f32>
  %bo = graph.weight "layer.attn.out.bias" : !graph.tensor<[384], f32>
  %g1 = graph.weight "layer.ln1.weight" : !graph.tensor<[384], f32>
  %b1 = graph.weight "layer.ln1.bias" : !graph.tensor<[384], f32>
  %w1 = graph.weight "layer.ffn.up.weight" : !graph.tensor<[384, 1536], f32>
  %c1 = graph.weight "layer.ffn.up.bias" : !graph.tensor<[1536], f32>
  %w2 = graph.weight "layer.ffn.down.weight" : !graph.tensor<[1536, 384], f32>
  %c2 = graph.weight "layer.ffn.down.bias" : !graph.tensor<[384], f32>
  %g2 = graph.weight "layer.ln2.weight" : !graph.tensor<[384], f32>
  %b2 = graph.weight "layer.ln2.bias" : !graph.tensor<[384], f32>

  // Self-attention: one fused QKV projection, split, heads, attention.
  %qkv0 = graph.matmul %x, %wqkv : !graph.tensor<[1, n, 384], f32>, !graph.tensor<[384, 1152], f32> -> !graph.tensor<[1, n, 1152], f32>
  %qkv = graph.add %qkv0, %bqkv : !graph.tensor<[1, n, 1152], f32>, !graph.tensor<[1152], f32> -> !graph.tensor<[1, n, 1152], f32>
  %heads = graph.reshape %qkv : !graph.tensor<[1, n, 1152], f32> -> !graph.tensor<[1, n, 36, 32], f32>
  %q, %k, %v = graph.split %heads sections = 3 axis = 2 : !graph.tensor<[1, n, 36, 32], f32> -> !graph.tensor<[1, n, 12, 32], f32>, !graph.tensor<[1, n, 12, 32], f32>, !graph.tensor<[1, n, 12, 32], f32>
  %att = graph.attention %q, %k, %v : !graph.tensor<[1, n, 12, 32], f32>, !graph.tensor<[1, n, 12, 32], f32>, !graph.tensor<[1, n, 12, 32], f32> -> !graph.tensor<[1, n, 12, 32], f32>
  %merged = graph.reshape %att : !graph.tensor<[1, n, 12, 32], f32> -> !graph.tensor<[1, n, 384], f32>
  %proj0 = graph.matmul %merged, %wo : !graph.tensor<[1, n, 384], f32>, !graph.tensor<[384, 384], f32> -> !graph.tensor<[1, n, 384], f32>
  %proj = graph.add %proj0, %bo : !graph.tensor<[1, n, 384], f32>, !graph.tensor<[384], f32> -> !graph.tensor<[1, n, 384], f32>
  %res1 = graph.add %x, %proj : !graph.tensor<[1, n, 384], f32>, !graph.tensor<[1, n, 384], f32> -> !graph.tensor<[1, n, 384], f32>
  %h1 = graph.layer_norm %res1, %g1, %b1 axes = [-1] eps = 1.000000e-12 : !graph.tensor<[1, n, 384], f32>, !graph.tensor<[384], f32>, !graph.tensor<[384], f32>

  // Feed-forward block with GELU.
  %up0 = graph.matmul %h1, %w1 : !graph.tensor<[1, n, 384], f32>, !graph.tensor<[384, 1536], f32> -> !graph.tensor<[1, n, 1536], f32>
  %up = graph.add %up0, %c1 : !graph.tensor<[1, n, 1536], f32>, !graph.tensor<[1536], f32> -> !graph.tensor<[1, n, 1536], f32>
  %act = graph.gelu %up : !graph.tensor<[1, n, 1536], f32>
  %down0 = graph.matmul %act, %w2 : !graph.tensor<[1, n, 1536], f32>, !graph.tensor<[1536, 384], f32> -> !graph.tensor<[1, n, 384], f32>
  %down = graph.add %down0, %c2 : !graph.tensor<[1, n, 384], f32>, !graph.tensor<[384], f32> -> !graph.tensor<[1, n, 384], f32>
  %res2 = graph.add %h1, %down : !graph.tensor<[1, n, 384], f32>, !graph.tensor<[1, n, 384], f32> -> !graph.tensor<[1, n, 384], f32>
  %out = graph.layer_norm %res2, %g2, %b2 axes = [-1] eps = 1.000000e-12 : !graph.tensor<[1, n, 384], f32>, !graph.tensor<[384], f32>, !graph.tensor<[384], f32>
  func.return %out : !graph.tensor<[1, n, 384], f32>
}
