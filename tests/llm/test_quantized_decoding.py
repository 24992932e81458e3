"""Tiny random Llamas written as GGUF in Q8_0, Q4_0 and Q4_1, weights
kept quantised: decoding token by token over the KV cache equals the
whole-sequence prefill of the same file dequantised to f32.

The two sides compute with the same weight values (a quantised kernel
dequantises exactly what the f32 reader does), so Q8_0 differs only in
the order of f32 sums: 1e-4 of the largest |logit|.  Q4_0 and Q4_1
products of up to 5 rows round their activations to int16 per block
(xunity/strategies/quant_dot.py), which two random layers carry to 2e-4
(Q4_0) and 4e-4 (Q4_1) of the largest |logit|: 1e-3 there.
"""

from __future__ import annotations

from pathlib import Path

import gguf
import numpy as np
import pytest
from gguf import GGMLQuantizationType as QT

import xunity
from xunity.llm.decoder import Decoder
from xunity.models.llama import build_graph, load_gguf_model

TOLERANCE = 1e-4
INT16_TOLERANCE = 1e-3
HIDDEN, LAYERS, HEADS, KV_HEADS, INTERMEDIATE, VOCAB = 64, 2, 4, 2, 96, 200
CONTEXT = 32
LAYER_TENSORS = {
    "attn_q": (HIDDEN, HIDDEN),
    "attn_k": (HIDDEN // HEADS * KV_HEADS, HIDDEN),
    "attn_v": (HIDDEN // HEADS * KV_HEADS, HIDDEN),
    "attn_output": (HIDDEN, HIDDEN),
    "ffn_gate": (INTERMEDIATE, HIDDEN),
    "ffn_up": (INTERMEDIATE, HIDDEN),
    "ffn_down": (HIDDEN, INTERMEDIATE),
}


def write_llama(path: Path, qtype: QT, tie: bool) -> Path:
    """A llama GGUF with random weights, matrices in `qtype` (the tied
    embedding in Q8_0, as llama.cpp's Q4 files have it)."""
    rng = np.random.default_rng(int(qtype) + 10 * tie)
    writer = gguf.GGUFWriter(path, "llama")
    writer.add_context_length(CONTEXT)
    writer.add_embedding_length(HIDDEN)
    writer.add_block_count(LAYERS)
    writer.add_feed_forward_length(INTERMEDIATE)
    writer.add_head_count(HEADS)
    writer.add_head_count_kv(KV_HEADS)
    writer.add_rope_freq_base(500.0)
    writer.add_layer_norm_rms_eps(1e-6)
    writer.add_vocab_size(VOCAB)

    def add(name: str, shape: tuple[int, ...], kind: QT) -> None:
        value = (rng.standard_normal(shape) * 0.3).astype(np.float32)
        if len(shape) == 1:
            value += 1.0  # a norm's weight
        if len(shape) == 1:
            writer.add_tensor(name, value)
        else:
            writer.add_tensor(name, gguf.quants.quantize(value, kind), raw_dtype=kind)

    add("token_embd.weight", (VOCAB, HIDDEN), QT.Q8_0 if tie else qtype)
    add("output_norm.weight", (HIDDEN,), QT.F32)
    if not tie:
        add("output.weight", (VOCAB, HIDDEN), qtype)
    for layer in range(LAYERS):
        add(f"blk.{layer}.attn_norm.weight", (HIDDEN,), QT.F32)
        add(f"blk.{layer}.ffn_norm.weight", (HIDDEN,), QT.F32)
        for name, shape in LAYER_TENSORS.items():
            add(f"blk.{layer}.{name}.weight", shape, qtype)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


CASES = [(QT.Q8_0, False), (QT.Q4_0, True), (QT.Q4_1, True)]
"""Every format, and the tied Q8_0 table (F32 files: tests/llm/test_decoder.py)."""


@pytest.mark.parametrize(
    ("qtype", "tie"),
    CASES,
    ids=[f"{q.name}-{'tied' if t else 'untied'}" for q, t in CASES],
)
def test_quantized_decoding_equals_dequantized_prefill(
    tmp_path: Path, qtype: QT, tie: bool
) -> None:
    path = write_llama(tmp_path / "tiny.gguf", qtype, tie)
    model = load_gguf_model(path, keep_quantized=True)
    kept = [name for name, _ in model.named_parameters() if name.endswith(".codes")]
    # Per layer, q/k/v and gate/up are stacked: qkv, output, gate_up, down.
    assert len(kept) == 4 * LAYERS + 1 + (not tie)
    assert "layers.0.attention.qkv.codes" in kept
    assert "layers.0.mlp.gate_up.codes" in kept
    reference = load_gguf_model(path)
    module, params = build_graph(reference)
    ids = np.random.default_rng(3).integers(0, VOCAB, 12)
    want = xunity.compile(module)["main"](ids, *params.values())
    assert isinstance(want, np.ndarray)

    decoder = Decoder(model, context=CONTEXT)
    got = [decoder.forward(ids[:5], all_logits=True)]
    got += [decoder.forward(ids[i : i + 1]) for i in range(5, 12)]
    scale = np.abs(want).max()
    assert scale > 1.0
    tolerance = TOLERANCE if qtype == QT.Q8_0 else INT16_TOLERANCE
    np.testing.assert_allclose(np.concatenate(got), want, atol=tolerance * scale)
