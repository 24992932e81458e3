"""Layer cases: a BERT-like encoder layer and a Llama-like decoder layer.

Each layer exists four times, kept in step by hand: the xunity graph program
(weights as `graph.weight` by name, sequence length or KV length symbolic),
a numpy version (float64: the reference; the Llama layer's float32 run is
also the numpy column), a torch function (eager ops) and an ONNX graph built
with onnx.helper from explicit ops (MatMul, Softmax, LayerNormalization,
RMSNormalization, ...; the weights are initializers), which onnxruntime and
TVM both run.  torch.onnx.export is not used: its default (dynamo)
exporter needs onnxscript, one more package, and a hand-built graph keeps
the ops that both runtimes see explicit and the same.  Activations use xunity's attention layout [batch, seq, heads,
head_dim]; torch and ONNX transpose to [batch, heads, seq, head_dim] for the
score matmuls, as their own attention code does.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from cases import (
    Case,
    F,
    gelu64,
    helper,
    layer_norm,
    onnx_io,
    onnx_model,
    rand,
    softmax,
    t,
    torch,
)

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "transformer_block.mlir"


class OnnxBuilder:
    """Appends ONNX nodes with fresh output names; constants become initializers."""

    def __init__(self, weights: dict[str, np.ndarray]):
        self.nodes: list[Any] = []
        self.initializers = dict(weights)

    def const(self, value: Any, dtype: Any = np.int64) -> str:
        name = f"const{len(self.initializers)}"
        self.initializers[name] = np.asarray(value, dtype)
        return name

    def op(
        self, op_type: str, *inputs: str, out: str | None = None, **attrs: Any
    ) -> str:
        name = out or f"{op_type.lower()}{len(self.nodes)}"
        self.nodes.append(helper.make_node(op_type, list(inputs), [name], **attrs))
        return name

    def linear(self, x: str, weight: str, bias: str | None = None) -> str:
        y = self.op("MatMul", x, weight)
        return self.op("Add", y, bias) if bias else y

    def attention(
        self, q: str, k: str, v: str, head_dim: int, mask: str | None = None
    ) -> str:
        """softmax(q k^T / sqrt(d) + mask) v on [batch, seq, heads, head_dim] inputs."""
        qt = self.op("Transpose", q, perm=[0, 2, 1, 3])
        kt = self.op("Transpose", k, perm=[0, 2, 3, 1])
        vt = self.op("Transpose", v, perm=[0, 2, 1, 3])
        scores = self.op("MatMul", qt, kt)
        scaled = self.op("Mul", scores, self.const(1 / math.sqrt(head_dim), np.float32))
        if mask is not None:
            scaled = self.op("Add", scaled, mask)
        att = self.op("MatMul", self.op("Softmax", scaled, axis=-1), vt)
        return self.op("Transpose", att, perm=[0, 2, 1, 3])

    def model(self, name: str, inputs: list[Any], outputs: list[Any]) -> Any:
        return onnx_model(name, self.nodes, inputs, outputs, self.initializers)


def attention(
    q: np.ndarray, k: np.ndarray, v: np.ndarray, causal: bool = False
) -> np.ndarray:
    """numpy attention on [batch, seq, heads, head_dim]; causal is bottom-right aligned."""
    q, k, v = (z.transpose(0, 2, 1, 3) for z in (q, k, v))
    scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(q.shape[-1])
    if causal:
        seq_q, seq_kv = scores.shape[-2:]
        visible = (
            np.arange(seq_kv)[None, :] <= np.arange(seq_q)[:, None] + seq_kv - seq_q
        )
        scores = np.where(visible, scores, -np.inf)
    return (softmax(scores) @ v).transpose(0, 2, 1, 3)


# --------------------------------------------------------------- BERT-like encoder
# The layer of examples/transformer_block.mlir, by weight name.
HIDDEN, HEADS, FFN = 384, 12, 1536
EPS_LN = 1e-12


def encoder_weights(rng) -> dict[str, np.ndarray]:
    def w(*shape: int) -> np.ndarray:
        return rand(rng, *shape, scale=1.0 / math.sqrt(shape[0]))

    return {
        "layer.attn.qkv.weight": w(HIDDEN, 3 * HIDDEN),
        "layer.attn.qkv.bias": rand(rng, 3 * HIDDEN, scale=0.02),
        "layer.attn.out.weight": w(HIDDEN, HIDDEN),
        "layer.attn.out.bias": rand(rng, HIDDEN, scale=0.02),
        "layer.ln1.weight": 1 + rand(rng, HIDDEN, scale=0.1),
        "layer.ln1.bias": rand(rng, HIDDEN, scale=0.02),
        "layer.ffn.up.weight": w(HIDDEN, FFN),
        "layer.ffn.up.bias": rand(rng, FFN, scale=0.02),
        "layer.ffn.down.weight": w(FFN, HIDDEN),
        "layer.ffn.down.bias": rand(rng, HIDDEN, scale=0.02),
        "layer.ln2.weight": 1 + rand(rng, HIDDEN, scale=0.1),
        "layer.ln2.bias": rand(rng, HIDDEN, scale=0.02),
    }


def encoder_numpy64(p: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    p = {k: v.astype(np.float64) for k, v in p.items()}
    n = x.shape[1]
    head = HIDDEN // HEADS
    qkv = x @ p["layer.attn.qkv.weight"] + p["layer.attn.qkv.bias"]
    q, k, v = np.split(qkv.reshape(1, n, 3 * HEADS, head), 3, axis=2)
    merged = attention(q, k, v).reshape(1, n, HIDDEN)
    proj = merged @ p["layer.attn.out.weight"] + p["layer.attn.out.bias"]
    h1 = layer_norm(x + proj, p["layer.ln1.weight"], p["layer.ln1.bias"], EPS_LN)
    up = gelu64(h1 @ p["layer.ffn.up.weight"] + p["layer.ffn.up.bias"])
    down = up @ p["layer.ffn.down.weight"] + p["layer.ffn.down.bias"]
    return layer_norm(h1 + down, p["layer.ln2.weight"], p["layer.ln2.bias"], EPS_LN)


def encoder_torch(p: dict[str, Any]) -> Callable[[Any], Any]:
    head = HIDDEN // HEADS

    def layer(x):
        n = x.shape[1]
        qkv = torch.addmm(
            p["layer.attn.qkv.bias"], x.view(n, HIDDEN), p["layer.attn.qkv.weight"]
        )
        q, k, v = qkv.view(1, n, 3 * HEADS, head).split(HEADS, dim=2)
        att = F.scaled_dot_product_attention(
            q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)
        )
        merged = att.transpose(1, 2).reshape(n, HIDDEN)
        proj = torch.addmm(p["layer.attn.out.bias"], merged, p["layer.attn.out.weight"])
        h1 = F.layer_norm(
            x.view(n, HIDDEN) + proj,
            (HIDDEN,),
            p["layer.ln1.weight"],
            p["layer.ln1.bias"],
            EPS_LN,
        )
        up = F.gelu(torch.addmm(p["layer.ffn.up.bias"], h1, p["layer.ffn.up.weight"]))
        down = torch.addmm(p["layer.ffn.down.bias"], up, p["layer.ffn.down.weight"])
        out = F.layer_norm(
            h1 + down, (HIDDEN,), p["layer.ln2.weight"], p["layer.ln2.bias"], EPS_LN
        )
        return out.view(1, n, HIDDEN)

    return layer


def encoder_onnx(p: dict[str, np.ndarray], n: int) -> Any:
    g = OnnxBuilder(p)
    head = HIDDEN // HEADS
    qkv = g.linear("x", "layer.attn.qkv.weight", "layer.attn.qkv.bias")
    heads = g.op("Reshape", qkv, g.const([1, n, 3 * HEADS, head]))
    q, k, v = (f"{heads}_{i}" for i in range(3))
    g.nodes.append(helper.make_node("Split", [heads], [q, k, v], axis=2, num_outputs=3))
    att = g.attention(q, k, v, head)
    merged = g.op("Reshape", att, g.const([1, n, HIDDEN]))
    proj = g.linear(merged, "layer.attn.out.weight", "layer.attn.out.bias")
    h1 = g.op(
        "LayerNormalization",
        g.op("Add", "x", proj),
        "layer.ln1.weight",
        "layer.ln1.bias",
        axis=-1,
        epsilon=EPS_LN,
    )
    up = g.op("Gelu", g.linear(h1, "layer.ffn.up.weight", "layer.ffn.up.bias"))
    down = g.linear(up, "layer.ffn.down.weight", "layer.ffn.down.bias")
    g.op(
        "LayerNormalization",
        g.op("Add", h1, down),
        "layer.ln2.weight",
        "layer.ln2.bias",
        out="y",
        axis=-1,
        epsilon=EPS_LN,
    )
    shape = [1, n, HIDDEN]
    return g.model("encoder_layer", [onnx_io("x", shape)], [onnx_io("y", shape)])


def encoder_case(rng, n: int = 128) -> Case:
    params = encoder_weights(rng)
    x = rand(rng, 1, n, HIDDEN)
    flops = (
        2.0 * n * HIDDEN * (3 * HIDDEN + HIDDEN + 2 * FFN) + 2 * 2.0 * n * n * HIDDEN
    )
    program = EXAMPLE.read_text().replace("@encoder_layer", "@main")
    torch_fn = None
    if torch is not None:
        torch_fn = encoder_torch({k: torch.from_numpy(v) for k, v in params.items()})
    return Case(
        "encoder",
        "encoder layer",
        f"BERT-like, n={n} (symbolic)",
        program,
        [x],
        lambda x: encoder_numpy64(params, x),
        flops=flops,
        onnx=(lambda: encoder_onnx(params, n)) if helper else None,
        torch=torch_fn,
        params=params,
        tolerance=1e-3,
    )


# --------------------------------------------------------------- Llama-like decoder
L_HIDDEN, L_HEADS, L_HEAD_DIM, L_FFN = 512, 8, 64, 1376
EPS_RMS = 1e-5
ROPE_BASE = 10000.0
LLAMA_WEIGHTS = {
    "llama.attn_norm.weight": (L_HIDDEN,),
    "llama.attn.q.weight": (L_HIDDEN, L_HIDDEN),
    "llama.attn.k.weight": (L_HIDDEN, L_HIDDEN),
    "llama.attn.v.weight": (L_HIDDEN, L_HIDDEN),
    "llama.attn.o.weight": (L_HIDDEN, L_HIDDEN),
    "llama.mlp_norm.weight": (L_HIDDEN,),
    "llama.mlp.gate.weight": (L_HIDDEN, L_FFN),
    "llama.mlp.up.weight": (L_HIDDEN, L_FFN),
    "llama.mlp.down.weight": (L_FFN, L_HIDDEN),
}


def llama_weights(rng) -> dict[str, np.ndarray]:
    return {
        name: 1 + rand(rng, *shape, scale=0.1)
        if len(shape) == 1
        else rand(rng, *shape, scale=1.0 / math.sqrt(shape[0]))
        for name, shape in LLAMA_WEIGHTS.items()
    }


def rope_tables(positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """cos and sin tables [seq, head_dim] for rotate-half rotary embedding."""
    half = L_HEAD_DIM // 2
    inv_freq = ROPE_BASE ** (-np.arange(half, dtype=np.float64) / half)
    angles = positions[:, None].astype(np.float64) * inv_freq[None, :]
    angles = np.concatenate([angles, angles], axis=-1)
    return np.cos(angles).astype(np.float32), np.sin(angles).astype(np.float32)


def llama_program(decode: bool) -> str:
    """The layer over [1, n, 512] (prefill, causal) or one token with a KV cache
    of symbolic length m as inputs (decode)."""
    seq: int | str = 1 if decode else "n"
    x, v, h = t([1, seq, L_HIDDEN]), t([L_HIDDEN]), t([1, seq, L_HEADS, L_HEAD_DIM])
    table, w = t([seq, L_HEAD_DIM]), t([L_HIDDEN, L_HIDDEN])
    wg, wd, f = t([L_HIDDEN, L_FFN]), t([L_FFN, L_HIDDEN]), t([1, seq, L_FFN])
    cache, kv = t([1, "m", L_HEADS, L_HEAD_DIM]), t([1, "m + 1", L_HEADS, L_HEAD_DIM])
    types = {"attn_norm": v, "mlp_norm": v, "gate": wg, "up": wg, "down": wd}
    weights = "\n".join(
        f'  %w_{name.split(".")[-2]} = graph.weight "{name}" : '
        f"{types.get(name.split('.')[-2], w)}"
        for name in LLAMA_WEIGHTS
    )
    args = f"%x: {x}, %cos: {table}, %sin: {table}"
    if decode:
        args += f", %k_cache: {cache}, %v_cache: {cache}"
        attend = f"""\
  %keys = graph.concat %k_cache, %k axis = 1 : {cache}, {h} -> {kv}
  %values = graph.concat %v_cache, %v1 axis = 1 : {cache}, {h} -> {kv}
  %att = graph.attention %q, %keys, %values : {h}, {kv}, {kv} -> {h}"""
    else:
        attend = f"  %att = graph.attention %q, %k, %v1 causal : {h}, {h}, {h} -> {h}"
    return f"""
func.func @main({args}) -> {x} {{
{weights}
  %h = graph.rms_norm %x, %w_attn_norm axes = [-1] eps = {EPS_RMS:e} : {x}, {v}
  %q0 = graph.matmul %h, %w_q : {x}, {w} -> {x}
  %k0 = graph.matmul %h, %w_k : {x}, {w} -> {x}
  %v0 = graph.matmul %h, %w_v : {x}, {w} -> {x}
  %q1 = graph.reshape %q0 : {x} -> {h}
  %k1 = graph.reshape %k0 : {x} -> {h}
  %v1 = graph.reshape %v0 : {x} -> {h}
  %q = graph.rotary %q1, %cos, %sin : {h}, {table}, {table}
  %k = graph.rotary %k1, %cos, %sin : {h}, {table}, {table}
{attend}
  %merged = graph.reshape %att : {h} -> {x}
  %proj = graph.matmul %merged, %w_o : {x}, {w} -> {x}
  %r1 = graph.add %x, %proj : {x}, {x} -> {x}
  %h2 = graph.rms_norm %r1, %w_mlp_norm axes = [-1] eps = {EPS_RMS:e} : {x}, {v}
  %g = graph.matmul %h2, %w_gate : {x}, {wg} -> {f}
  %u = graph.matmul %h2, %w_up : {x}, {wg} -> {f}
  %act = graph.silu %g : {f}
  %prod = graph.mul %act, %u : {f}, {f} -> {f}
  %d = graph.matmul %prod, %w_down : {f}, {wd} -> {x}
  %out = graph.add %r1, %d : {x}, {x} -> {x}
  func.return %out : {x}
}}"""


def rms_norm(x: np.ndarray, weight: np.ndarray) -> np.ndarray:
    return x / np.sqrt((x * x).mean(axis=-1, keepdims=True) + EPS_RMS) * weight


def rotary(z: np.ndarray, cos: np.ndarray, sin: np.ndarray) -> np.ndarray:
    half = z.shape[-1] // 2
    rotated = np.concatenate([-z[..., half:], z[..., :half]], axis=-1)
    return z * cos[:, None, :] + rotated * sin[:, None, :]


def llama_numpy(
    p: dict[str, np.ndarray],
    x: np.ndarray,
    cos: np.ndarray,
    sin: np.ndarray,
    k_cache: np.ndarray | None = None,
    v_cache: np.ndarray | None = None,
) -> np.ndarray:
    """The layer in numpy, computed in the dtype of x (float64: the reference)."""
    p = {k: v.astype(x.dtype) for k, v in p.items()}
    heads = (1, x.shape[1], L_HEADS, L_HEAD_DIM)
    h = rms_norm(x, p["llama.attn_norm.weight"])
    q = rotary((h @ p["llama.attn.q.weight"]).reshape(heads), cos, sin)
    k = rotary((h @ p["llama.attn.k.weight"]).reshape(heads), cos, sin)
    v = (h @ p["llama.attn.v.weight"]).reshape(heads)
    if k_cache is not None and v_cache is not None:
        k, v = np.concatenate([k_cache, k], 1), np.concatenate([v_cache, v], 1)
    att = attention(q, k, v, causal=True).reshape(x.shape)
    r1 = x + att @ p["llama.attn.o.weight"]
    h2 = rms_norm(r1, p["llama.mlp_norm.weight"])
    gate = h2 @ p["llama.mlp.gate.weight"]
    act = gate / (1 + np.exp(-gate)) * (h2 @ p["llama.mlp.up.weight"])
    return r1 + act @ p["llama.mlp.down.weight"]


def llama_torch(p: dict[str, Any]) -> Callable[..., Any]:
    """Eager torch, as a Hugging Face Llama layer computes it (SDPA attention)."""
    half = L_HEAD_DIM // 2

    def rotary(z, cos, sin):
        rotated = torch.cat([-z[..., half:], z[..., :half]], dim=-1)
        return z * cos[:, None, :] + rotated * sin[:, None, :]

    def layer(x, cos, sin, k_cache=None, v_cache=None):
        heads = (1, x.shape[1], L_HEADS, L_HEAD_DIM)
        h = F.rms_norm(x, (L_HIDDEN,), p["llama.attn_norm.weight"], EPS_RMS)
        q = rotary((h @ p["llama.attn.q.weight"]).view(heads), cos, sin)
        k = rotary((h @ p["llama.attn.k.weight"]).view(heads), cos, sin)
        v = (h @ p["llama.attn.v.weight"]).view(heads)
        if k_cache is not None and v_cache is not None:
            k, v = torch.cat([k_cache, k], 1), torch.cat([v_cache, v], 1)
        att = F.scaled_dot_product_attention(
            q.transpose(1, 2),
            k.transpose(1, 2),
            v.transpose(1, 2),
            is_causal=k_cache is None,  # one query token sees every key
        )
        r1 = x + att.transpose(1, 2).reshape(x.shape) @ p["llama.attn.o.weight"]
        h2 = F.rms_norm(r1, (L_HIDDEN,), p["llama.mlp_norm.weight"], EPS_RMS)
        act = F.silu(h2 @ p["llama.mlp.gate.weight"]) * (h2 @ p["llama.mlp.up.weight"])
        return r1 + act @ p["llama.mlp.down.weight"]

    return layer


def llama_onnx(p: dict[str, np.ndarray], seq: int, cache: int | None) -> Any:
    g = OnnxBuilder(p)
    half = L_HEAD_DIM // 2
    heads_shape = g.const([1, seq, L_HEADS, L_HEAD_DIM])
    axis_heads = g.const([1])
    cos, sin = (
        g.op("Unsqueeze", "cos", axis_heads),
        g.op("Unsqueeze", "sin", axis_heads),
    )

    def rotary(z: str) -> str:
        last = g.const([3])
        low = g.op("Slice", z, g.const([0]), g.const([half]), last)
        high = g.op("Slice", z, g.const([half]), g.const([L_HEAD_DIM]), last)
        rotated = g.op("Concat", g.op("Neg", high), low, axis=-1)
        return g.op("Add", g.op("Mul", z, cos), g.op("Mul", rotated, sin))

    def project(x: str, name: str) -> str:
        return g.op(
            "Reshape", g.op("MatMul", x, f"llama.attn.{name}.weight"), heads_shape
        )

    h = g.op(
        "RMSNormalization", "x", "llama.attn_norm.weight", axis=-1, epsilon=EPS_RMS
    )
    q, k, v = rotary(project(h, "q")), rotary(project(h, "k")), project(h, "v")
    mask = None
    if cache is None:
        visible = np.tril(np.ones((seq, seq), bool))
        mask = g.const(np.where(visible, 0.0, -np.inf), np.float32)
    else:
        k, v = (
            g.op("Concat", "k_cache", k, axis=1),
            g.op("Concat", "v_cache", v, axis=1),
        )
    att = g.attention(q, k, v, L_HEAD_DIM, mask)
    merged = g.op("Reshape", att, g.const([1, seq, L_HIDDEN]))
    r1 = g.op("Add", "x", g.op("MatMul", merged, "llama.attn.o.weight"))
    h2 = g.op("RMSNormalization", r1, "llama.mlp_norm.weight", axis=-1, epsilon=EPS_RMS)
    gate = g.op("MatMul", h2, "llama.mlp.gate.weight")
    silu = g.op("Mul", gate, g.op("Sigmoid", gate))
    act = g.op("Mul", silu, g.op("MatMul", h2, "llama.mlp.up.weight"))
    g.op("Add", r1, g.op("MatMul", act, "llama.mlp.down.weight"), out="y")
    x_shape = [1, seq, L_HIDDEN]
    inputs = [
        onnx_io("x", x_shape),
        onnx_io("cos", [seq, L_HEAD_DIM]),
        onnx_io("sin", [seq, L_HEAD_DIM]),
    ]
    if cache is not None:
        cache_shape = [1, cache, L_HEADS, L_HEAD_DIM]
        inputs += [onnx_io("k_cache", cache_shape), onnx_io("v_cache", cache_shape)]
    return g.model("llama_layer", inputs, [onnx_io("y", x_shape)])


def llama_matmul_flops(seq: int) -> float:
    return 2.0 * seq * L_HIDDEN * (4 * L_HIDDEN + 3 * L_FFN)


def llama_prefill_case(rng, n: int = 128) -> Case:
    params = llama_weights(rng)
    x = rand(rng, 1, n, L_HIDDEN)
    cos, sin = rope_tables(np.arange(n))
    torch_fn = None
    if torch is not None:
        torch_fn = llama_torch({k: torch.from_numpy(v) for k, v in params.items()})
    causal_pairs = n * (n + 1) / 2  # only unmasked (query, key) pairs count
    return Case(
        "llama_prefill",
        "llama prefill",
        f"Llama-like, n={n} (symbolic)",
        llama_program(decode=False),
        [x, cos, sin],
        lambda x, cos, sin: llama_numpy(params, x, cos, sin),
        flops=llama_matmul_flops(n) + 2 * 2.0 * causal_pairs * L_HIDDEN,
        numpy=lambda x, cos, sin: llama_numpy(params, x, cos, sin),
        onnx=(lambda: llama_onnx(params, n, None)) if helper else None,
        torch=torch_fn,
        params=params,
        tolerance=1e-3,
    )


def llama_decode_case(rng, cache: int = 128) -> Case:
    params = llama_weights(rng)
    x = rand(rng, 1, 1, L_HIDDEN)
    cos, sin = rope_tables(np.array([cache]))
    kv_shape = (1, cache, L_HEADS, L_HEAD_DIM)
    k_cache, v_cache = rand(rng, *kv_shape), rand(rng, *kv_shape)
    torch_fn = None
    if torch is not None:
        torch_fn = llama_torch({k: torch.from_numpy(v) for k, v in params.items()})
    inputs = [x, cos, sin, k_cache, v_cache]
    weight_bytes = sum(v.nbytes for v in params.values())
    return Case(
        "llama_decode",
        "llama decode",
        f"Llama-like, KV {cache} (symbolic)",
        llama_program(decode=True),
        inputs,
        lambda *xs: llama_numpy(params, *xs),
        # weights, KV cache and tables read once, one token written
        nbytes=float(weight_bytes + sum(a.nbytes for a in inputs) + x.nbytes),
        numpy=lambda *xs: llama_numpy(params, *xs),
        onnx=(lambda: llama_onnx(params, 1, cache)) if helper else None,
        torch=torch_fn,
        params=params,
        tolerance=1e-3,
    )


def layer_cases(rng: np.random.Generator) -> list[Case]:
    return [encoder_case(rng), llama_prefill_case(rng), llama_decode_case(rng)]
