"""A tiny random Llama end to end vs `transformers.LlamaForCausalLM`, and from GGUF.

The reference is a small random LlamaForCausalLM (grouped-query attention,
tied embeddings), its weights scaled up from the default 0.02 init so that
logits are O(1) and a 1e-4 tolerance means something.  The xunity model is
compiled once per weight layout with a symbolic sequence length and its
weights as inputs, and runs at two lengths.  The GGUF files are written the
way llama.cpp's converter writes them (q/k rows permuted for ggml's rotary
layout), so loading them back checks the un-permutation.
"""

from __future__ import annotations

import re
from pathlib import Path

import gguf
import numpy as np
import pytest
import torch
import transformers
from gguf import GGMLQuantizationType as QT

from xunity.frontends.weights import WeightFileError
from xunity.frontends.weights.gguf import GGUFFile
from xunity.models.llama import (
    CompiledLlama,
    Llama,
    LlamaConfig,
    hf_state_dict,
    load_gguf_model,
    unpermute_rotary_rows,
)

TOLERANCE = 1e-4
HIDDEN, LAYERS, HEADS, KV_HEADS, INTERMEDIATE, VOCAB = 64, 2, 4, 2, 128, 256
MAX_POSITIONS = 64
ROPE_THETA = 500.0  # not the default, so a wrong base would show
RMS_EPS = 1e-6
LENGTHS = (7, 19)


def make_hf_model(tie: bool, seed: int) -> transformers.LlamaForCausalLM:
    config = transformers.LlamaConfig(
        hidden_size=HIDDEN,
        num_hidden_layers=LAYERS,
        num_attention_heads=HEADS,
        num_key_value_heads=KV_HEADS,
        intermediate_size=INTERMEDIATE,
        vocab_size=VOCAB,
        max_position_embeddings=MAX_POSITIONS,
        rope_parameters={"rope_type": "default", "rope_theta": ROPE_THETA},
        rms_norm_eps=RMS_EPS,
        tie_word_embeddings=tie,
    )
    torch.manual_seed(seed)
    model = transformers.AutoModelForCausalLM.from_config(
        config, attn_implementation="eager"
    )
    assert isinstance(model, transformers.LlamaForCausalLM)
    model.eval()
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "norm" in name:
                param.copy_(1 + 0.2 * torch.randn_like(param))
            else:
                param.normal_(0.0, 0.1)
    return model


def reference_logits(model: transformers.LlamaForCausalLM, ids: np.ndarray):
    with torch.no_grad():
        return model(torch.from_numpy(ids)[None]).logits[0].numpy()


def token_ids(length: int) -> np.ndarray:
    return np.random.default_rng(length).integers(0, 256, length)


def from_hf(model: transformers.LlamaForCausalLM) -> Llama:
    config = LlamaConfig.from_hf(model.config)
    llama = Llama(config)
    llama.load_state_dict(hf_state_dict(model.state_dict(), config), torch_layout=True)
    return llama


# ---------------------------------------------------------------- GGUF writing


def permute_rotary_rows(weight: np.ndarray, heads: int) -> np.ndarray:
    """llama.cpp's `LlamaModel.permute` (convert_hf_to_gguf.py) for q/k."""
    return (
        weight.reshape(heads, 2, weight.shape[0] // heads // 2, *weight.shape[1:])
        .swapaxes(1, 2)
        .reshape(weight.shape)
    )


HF_TO_GGUF = {
    "input_layernorm": "attn_norm",
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "post_attention_layernorm": "ffn_norm",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}


def gguf_tensors(model: transformers.LlamaForCausalLM) -> dict[str, np.ndarray]:
    """The model's tensors under llama.cpp's names, q/k rows permuted."""
    state = {k: v.numpy() for k, v in model.state_dict().items()}
    tensors = {
        "token_embd.weight": state["model.embed_tokens.weight"],
        "output_norm.weight": state["model.norm.weight"],
    }
    if not model.config.tie_word_embeddings:
        tensors["output.weight"] = state["lm_head.weight"]
    for layer in range(LAYERS):
        for ours, theirs in HF_TO_GGUF.items():
            value = state[f"model.layers.{layer}.{ours}.weight"]
            if theirs == "attn_q":
                value = permute_rotary_rows(value, HEADS)
            if theirs == "attn_k":
                value = permute_rotary_rows(value, KV_HEADS)
            tensors[f"blk.{layer}.{theirs}.weight"] = value
    return tensors


def write_gguf(
    path: Path,
    model: transformers.LlamaForCausalLM,
    quantize: tuple[str, ...] = (),
    drop: tuple[str, ...] = (),
) -> Path:
    """A llama GGUF of `model`: F32, except `quantize` names stored as Q8_0."""
    writer = gguf.GGUFWriter(path, "llama")
    writer.add_context_length(MAX_POSITIONS)
    writer.add_embedding_length(HIDDEN)
    writer.add_block_count(LAYERS)
    writer.add_feed_forward_length(INTERMEDIATE)
    writer.add_head_count(HEADS)
    writer.add_head_count_kv(KV_HEADS)
    writer.add_rope_freq_base(ROPE_THETA)
    writer.add_layer_norm_rms_eps(RMS_EPS)
    writer.add_rope_dimension_count(HIDDEN // HEADS)
    writer.add_vocab_size(VOCAB)
    for name, value in gguf_tensors(model).items():
        if name in drop:
            continue
        if name in quantize:
            blocks = gguf.quants.quantize(value, QT.Q8_0)
            writer.add_tensor(name, blocks, raw_dtype=QT.Q8_0)
        else:
            writer.add_tensor(name, np.ascontiguousarray(value, np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def q8_0(value: np.ndarray) -> np.ndarray:
    return gguf.quants.dequantize(gguf.quants.quantize(value, QT.Q8_0), QT.Q8_0)


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def hf_tied() -> transformers.LlamaForCausalLM:
    return make_hf_model(tie=True, seed=0)


@pytest.fixture(scope="module")
def hf_untied() -> transformers.LlamaForCausalLM:
    return make_hf_model(tie=False, seed=1)


@pytest.fixture(scope="module")
def tied(hf_tied) -> CompiledLlama:
    return CompiledLlama.compile(from_hf(hf_tied))


@pytest.fixture(scope="module")
def untied(hf_untied) -> CompiledLlama:
    return CompiledLlama.compile(from_hf(hf_untied))


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("gguf")


# ---------------------------------------------------------------- Hugging Face


@pytest.mark.parametrize("length", LENGTHS)
def test_tied_prefill_logits_match_transformers(hf_tied, tied: CompiledLlama, length):
    ids = token_ids(length)
    got = tied.logits(ids)
    assert got.shape == (length, VOCAB)
    np.testing.assert_allclose(
        got, reference_logits(hf_tied, ids), rtol=0, atol=TOLERANCE
    )


@pytest.mark.parametrize("length", LENGTHS)
def test_untied_prefill_logits_match_transformers(
    hf_untied, untied: CompiledLlama, length
):
    ids = token_ids(length)
    np.testing.assert_allclose(
        untied.logits(ids), reference_logits(hf_untied, ids), rtol=0, atol=TOLERANCE
    )


def test_config_from_hf(hf_tied):
    assert LlamaConfig.from_hf(hf_tied.config) == LlamaConfig(
        hidden=64,
        layers=2,
        heads=4,
        kv_heads=2,
        intermediate=128,
        vocab=256,
        rope_theta=500.0,
        rms_eps=1e-6,
        max_positions=64,
        tie_embeddings=True,
    )


def test_tied_model_has_one_embedding_table_in_lm_head_layout(tied: CompiledLlama):
    assert "lm_head" not in tied.weight_names
    embedding = tied.weights[tied.weight_names.index("embed_tokens")]
    assert embedding.shape == (64, 256)


def test_prompt_longer_than_the_rotary_tables_is_rejected(tied: CompiledLlama):
    with pytest.raises(ValueError, match=r"1\.\.64 tokens"):
        tied.logits(np.zeros(65, np.int64))
    with pytest.raises(ValueError, match=r"0\.\.255"):
        tied.logits([1, 256])


def test_rope_scaling_is_rejected():
    config = transformers.LlamaConfig(
        rope_parameters={"rope_type": "linear", "rope_theta": 1e4, "factor": 2.0}
    )
    with pytest.raises(ValueError, match="rope scaling"):
        LlamaConfig.from_hf(config)


# ---------------------------------------------------------------- GGUF


def test_unpermute_inverts_llama_cpp_permutation():
    weight = np.arange(32 * 3, dtype=np.float32).reshape(32, 3)
    permuted = permute_rotary_rows(weight, heads=2)
    assert not np.array_equal(permuted, weight)
    np.testing.assert_array_equal(unpermute_rotary_rows(permuted, heads=2), weight)


@pytest.mark.parametrize("tie", [True, False])
def test_config_from_gguf_metadata(directory: Path, hf_tied, hf_untied, tie: bool):
    hf = hf_tied if tie else hf_untied
    path = write_gguf(directory / f"config_{tie}.gguf", hf)
    assert LlamaConfig.from_gguf(GGUFFile(path)) == LlamaConfig.from_hf(hf.config)


@pytest.mark.parametrize("length", LENGTHS)
def test_f32_gguf_logits_equal_the_hf_build(
    directory: Path, hf_tied, tied: CompiledLlama, length: int
):
    path = directory / "tied_f32.gguf"
    if not path.exists():
        write_gguf(path, hf_tied)
    from_gguf = tied.with_weights(load_gguf_model(path))
    ids = token_ids(length)
    np.testing.assert_array_equal(from_gguf.logits(ids), tied.logits(ids))


def test_untied_f32_gguf_logits_equal_the_hf_build(
    directory: Path, hf_untied, untied: CompiledLlama
):
    path = write_gguf(directory / "untied_f32.gguf", hf_untied)
    from_gguf = untied.with_weights(load_gguf_model(path))
    ids = token_ids(LENGTHS[1])
    np.testing.assert_array_equal(from_gguf.logits(ids), untied.logits(ids))


def test_q8_0_gguf_logits_equal_the_build_with_dequantised_weights(
    directory: Path, hf_tied, tied: CompiledLlama
):
    quantized = ("token_embd.weight", "blk.0.attn_q.weight", "blk.1.ffn_down.weight")
    path = write_gguf(directory / "tied_q8_0.gguf", hf_tied, quantize=quantized)
    assert GGUFFile(path).tensor_info("blk.0.attn_q.weight").qtype == "Q8_0"
    state = hf_state_dict(hf_tied.state_dict(), tied.config)
    # Quantisation blocks run along rows, which the q/k permutation only reorders.
    for name in ("embed_tokens", "layers.0.attention.query.weight"):
        state[name] = q8_0(state[name])
    state["layers.1.mlp.down.weight"] = q8_0(state["layers.1.mlp.down.weight"])
    reference = Llama(tied.config)
    reference.load_state_dict(state, torch_layout=True)
    ids = token_ids(LENGTHS[0])
    got = tied.with_weights(load_gguf_model(path)).logits(ids)
    np.testing.assert_array_equal(got, tied.with_weights(reference).logits(ids))
    # Q8_0 moves these O(3) logits by about 0.05 (tied table and q quantised).
    np.testing.assert_allclose(got, tied.logits(ids), rtol=0, atol=0.15)


def test_gguf_missing_tensor_names_file_and_tensor(directory: Path, hf_tied):
    path = write_gguf(
        directory / "missing.gguf", hf_tied, drop=("blk.1.ffn_up.weight",)
    )
    with pytest.raises(
        WeightFileError, match=re.escape("no tensor named 'blk.1.ffn_up.weight'")
    ):
        load_gguf_model(path)
    with pytest.raises(WeightFileError, match=re.escape(str(path))):
        load_gguf_model(path)


def test_gguf_of_another_architecture_is_rejected(directory: Path):
    path = directory / "gpt2.gguf"
    writer = gguf.GGUFWriter(path, "gpt2")
    writer.add_embedding_length(8)
    writer.add_block_count(1)
    writer.add_head_count(2)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    with pytest.raises(WeightFileError, match="architecture is 'gpt2'"):
        load_gguf_model(path)
