"""A Llama-architecture decoder built with the Python builder: prefill logits.

    config = LlamaConfig.from_hf(hf_model.config)
    model = Llama(config)
    state = hf_state_dict(hf_model.state_dict(), config)
    model.load_state_dict(state, torch_layout=True)
    llama = CompiledLlama.compile(model)        # main(input_ids [n], *weights)
    logits = llama.logits(ids)                  # [n, vocab]

    model = load_gguf_model("model.gguf")       # config and weights from a GGUF file
    logits = llama.with_weights(model).logits(ids)   # same compiled module

Each layer is pre-norm: `h = x + attention(rms_norm(x))`, `h + mlp(rms_norm(h))`,
with grouped-query causal attention, rotate-half rotary embedding and a
SiLU-gated MLP; a final RMSNorm and the LM head give the logits.  The
sequence length `n` is symbolic and the weights are function inputs, so one
compiled module serves every length and every checkpoint of a configuration.

Weights come from a Hugging Face `LlamaForCausalLM` state dict (`hf_state_dict`)
or a llama.cpp GGUF file (`gguf_state_dict`); both give PyTorch's `[out, in]`
linear layout, loaded with `load_state_dict(..., torch_layout=True)`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from os import PathLike
from typing import TYPE_CHECKING, Any

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from xunity.dialects.graph.quantized import PANEL_ROWS
from xunity.frontends.builder import (
    Attention,
    GatedMLP,
    GraphBuilder,
    Linear,
    Module,
    ModuleList,
    Parameter,
    QuantLinear,
    RMSNorm,
    Tensor,
    concat,
)
from xunity.frontends.builder.parameter import normal_init
from xunity.runtime.executable import Executable
from xunity.strategies.packing import pack_rhs
from xunity.strategies.quant_packing import empty_parts, pack_quant_bytes

if TYPE_CHECKING:
    from xunity.frontends.weights.gguf import GGUFFile


@dataclass(frozen=True)
class LlamaConfig:
    """Hyper-parameters of a Llama decoder (Hugging Face's names in `from_hf`).

    `max_positions` sizes the rotary tables, which are constants of the
    compiled code: keep it to the longest prompt you will run, not the
    checkpoint's context length.
    """

    hidden: int
    layers: int
    heads: int
    kv_heads: int
    intermediate: int
    vocab: int
    rope_theta: float = 10000.0
    rms_eps: float = 1e-5
    max_positions: int = 2048
    tie_embeddings: bool = False
    head_dim: int | None = None
    """Per-head width; None means `hidden // heads`."""

    @property
    def attention_head_dim(self) -> int:
        return self.head_dim or self.hidden // self.heads

    @staticmethod
    def from_hf(config: Any, max_positions: int = 2048) -> LlamaConfig:
        """From a `transformers.LlamaConfig`; rejects what the graph does not model.

        The rotary tables get `min(max_positions, max_position_embeddings)` rows.
        """
        # transformers 5 keeps rope settings in `rope_parameters`; 4.x had
        # `rope_theta` and an optional `rope_scaling`.
        rope = (
            getattr(config, "rope_parameters", None)
            or getattr(config, "rope_scaling", None)
            or {}
        )
        theta = rope.get("rope_theta", getattr(config, "rope_theta", 10000.0))
        if rope.get("rope_type", rope.get("type", "default")) != "default":
            raise ValueError(f"rope scaling {rope} is not supported")
        for flag in ("attention_bias", "mlp_bias"):
            if getattr(config, flag, False):
                raise ValueError(f"{flag}=True is not supported")
        if config.hidden_act != "silu":
            raise ValueError(f"hidden_act {config.hidden_act!r} is not silu")
        return LlamaConfig(
            hidden=config.hidden_size,
            layers=config.num_hidden_layers,
            heads=config.num_attention_heads,
            kv_heads=config.num_key_value_heads or config.num_attention_heads,
            intermediate=config.intermediate_size,
            vocab=config.vocab_size,
            rope_theta=float(theta),
            rms_eps=float(config.rms_norm_eps),
            max_positions=min(max_positions, config.max_position_embeddings),
            tie_embeddings=bool(config.tie_word_embeddings),
            head_dim=_explicit_head_dim(
                config.hidden_size,
                config.num_attention_heads,
                getattr(config, "head_dim", None),
            ),
        )

    @staticmethod
    def from_gguf(file: GGUFFile, max_positions: int = 2048) -> LlamaConfig:
        """From a GGUF file's `llama.*` metadata; tied when it has no `output`."""
        from xunity.frontends.weights import WeightFileError

        meta = file.config()
        if meta.architecture != "llama":
            raise WeightFileError(
                file.path, f"architecture is '{meta.architecture}', expected 'llama'"
            )
        if "rope_freqs.weight" in file:
            raise WeightFileError(
                file.path, "rope frequency factors (Llama 3 rope scaling) unsupported"
            )
        vocab = file.tensor_info("token_embd.weight").shape[0]
        intermediate = meta.feed_forward_length
        if intermediate is None:
            intermediate = file.tensor_info("blk.0.ffn_gate.weight").shape[0]
        return LlamaConfig(
            hidden=meta.embedding_length,
            layers=meta.block_count,
            heads=meta.head_count,
            kv_heads=meta.head_count_kv,
            intermediate=intermediate,
            vocab=meta.vocab_size or vocab,
            rope_theta=meta.rope_freq_base,
            rms_eps=meta.rms_norm_eps or 1e-5,
            max_positions=min(max_positions, meta.context_length or max_positions),
            tie_embeddings="output.weight" not in file,
            head_dim=_explicit_head_dim(
                meta.embedding_length, meta.head_count, meta.rope_dimension_count
            ),
        )


def _explicit_head_dim(hidden: int, heads: int, head_dim: int | None) -> int | None:
    """`head_dim` if it differs from `hidden // heads`: configs then compare equal."""
    return None if head_dim == hidden // heads else head_dim


class LlamaLayer(Module):
    """Pre-norm decoder layer: GQA with rotary embedding, then a SwiGLU MLP."""

    def __init__(self, config: LlamaConfig):
        super().__init__()
        self.attention_norm = RMSNorm(config.hidden, config.rms_eps)
        self.attention = Attention(
            config.hidden,
            config.heads,
            config.kv_heads,
            config.attention_head_dim,
            bias=False,
            causal=True,
            rotary_base=config.rope_theta,
            max_positions=config.max_positions,
        )
        self.mlp_norm = RMSNorm(config.hidden, config.rms_eps)
        self.mlp = GatedMLP(config.hidden, config.intermediate)

    def forward(self, x: Tensor) -> Tensor:
        h = x + self.attention(self.attention_norm(x))
        return h + self.mlp(self.mlp_norm(h))

    def step(
        self, x: Tensor, past: tuple[Tensor, Tensor], rope: tuple[Tensor, Tensor]
    ) -> tuple[Tensor, Tensor, Tensor]:
        """`forward` over new positions after cached ones (see `Attention.step`)."""
        attended, keys, values = self.attention.step(self.attention_norm(x), past, rope)
        h = x + attended
        return h + self.mlp(self.mlp_norm(h)), keys, values


class Llama(Module):
    """Token ids `[n]` -> logits `[n, vocab]` (prefill, positions 0..n-1).

    Tied embeddings keep the one table as the LM head's `[hidden, vocab]`:
    the logits matmul then needs no transpose (the graph has no
    matmul-with-transposed-B), and the lookup gathers columns and transposes
    only the small `[hidden, n]` result.

    `quantized` names the weights kept in a GGUF block format ("q4_1", ...):
    `embed_tokens`, `lm_head` or a projection (`layers.0.attention.query`);
    each becomes a `QuantLinear` (quant_take for the lookup, quant_matmul
    for the products), the others stay f32.
    """

    def __init__(self, config: LlamaConfig, quantized: Mapping[str, str] | None = None):
        super().__init__()
        self.config = config
        table = (
            (config.hidden, config.vocab)
            if config.tie_embeddings
            else (config.vocab, config.hidden)
        )
        self.embed_tokens = Parameter(
            table, init=normal_init(0.02), torch_transposed=config.tie_embeddings
        )
        self.layers = ModuleList([LlamaLayer(config) for _ in range(config.layers)])
        self.norm = RMSNorm(config.hidden, config.rms_eps)
        self.lm_head = (
            None
            if config.tie_embeddings
            else Parameter((config.hidden, config.vocab), torch_transposed=True)
        )
        for name, format in (quantized or {}).items():
            self._quantize(name, format)

    def _quantize(self, name: str, format: str) -> None:
        """Replace the f32 weight `name` by a QuantLinear of the same shape."""
        if name == "embed_tokens" or (name == "lm_head" and self.lm_head is not None):
            del self._parameters[name]
            setattr(
                self, name, QuantLinear(self.config.hidden, self.config.vocab, format)
            )
            return
        *path, attribute = name.split(".")
        owner: Module | None = self
        for part in path:
            owner = None if owner is None else owner._modules.get(part)
        linear = None if owner is None else owner._modules.get(attribute)
        if owner is None or not isinstance(linear, Linear) or linear.bias is not None:
            raise KeyError(f"{name!r} is not a quantisable Llama weight")
        in_features, out_features = linear.weight.shape
        setattr(owner, attribute, QuantLinear(in_features, out_features, format))

    def stack_quantized_projections(self) -> dict[str, list[str]]:
        """Give every layer's quantised q/k/v and gate/up one product each
        (`StackedQuantLinear`); returns the stacks made, by name, with their
        members' names (`gguf_state_dict`'s `stacks`)."""
        stacks: dict[str, list[str]] = {}
        for index, layer in enumerate(self.layers):
            assert isinstance(layer, LlamaLayer)
            prefix = f"layers.{index}"
            if layer.attention.stack_projections():
                members = ("query", "key", "value")
                stacks[f"{prefix}.attention.qkv"] = [
                    f"{prefix}.attention.{m}" for m in members
                ]
            if layer.mlp.stack_projections():
                stacks[f"{prefix}.mlp.gate_up"] = [
                    f"{prefix}.mlp.{m}" for m in ("gate", "up")
                ]
        return stacks

    def forward(self, input_ids: Tensor) -> Tensor:
        x = self._embed(input_ids)
        for layer in self.layers:
            x = layer(x)
        return self._logits(x)

    def step(
        self,
        input_ids: Tensor,
        rows: Tensor,
        rope: tuple[Tensor, Tensor],
        past: tuple[Tensor, Tensor],
    ) -> tuple[Tensor, Tensor, Tensor]:
        """One step of generation with a KV cache (see `build_step_graph`).

        `past` holds every layer's cached keys and values, `[past, layers,
        kv_heads, head_dim]` (position-major, so the cache's first `past`
        rows are one contiguous view); `rope` the rotary rows of the new
        positions.  Returns the logits of the new positions picked by `rows`
        and the new keys and values, `[seq, layers, kv_heads, head_dim]`.
        """
        (seq,) = input_ids.shape
        past_len = past[0].shape[0]
        kv_shape = (self.config.kv_heads, self.config.attention_head_dim)
        x = self._embed(input_ids)
        keys: list[Tensor] = []
        values: list[Tensor] = []
        for index, layer in enumerate(self.layers):
            assert isinstance(layer, LlamaLayer)
            # The layer's index as data, not as a constant of the kernel that
            # reads its past: then every layer's kernels are the same and
            # compiled once (a slice at `index` made one kernel per layer).
            where = x.builder.constant(np.array([index], np.int64))
            past_keys, past_values = (
                t.take(where, axis=1).reshape(1, past_len, *kv_shape) for t in past
            )
            x, k, v = layer.step(x, (past_keys, past_values), rope)
            keys.append(k.reshape(seq, 1, *kv_shape))
            values.append(v.reshape(seq, 1, *kv_shape))
        return self._logits(x, rows), concat(keys, axis=1), concat(values, axis=1)

    def _embed(self, input_ids: Tensor) -> Tensor:
        """Token ids `[n]` -> `[1, n, hidden]` (attention works on batches)."""
        embed = self.embed_tokens
        if isinstance(embed, QuantLinear):
            x = embed.lookup(input_ids)
        elif self.config.tie_embeddings:
            x = input_ids.builder.parameter(embed).take(input_ids, axis=1).T
        else:
            x = input_ids.builder.parameter(embed).take(input_ids)
        return x.reshape(1, input_ids.shape[0], self.config.hidden)

    def _logits(self, x: Tensor, rows: Tensor | None = None) -> Tensor:
        """`[1, n, hidden]` -> logits `[n, vocab]`, or of the picked `rows` only."""
        x = self.norm(x).reshape(x.shape[1], self.config.hidden)
        if rows is not None:
            x = x.take(rows)
        head = self.embed_tokens if self.lm_head is None else self.lm_head
        if isinstance(head, QuantLinear):
            return head(x)
        return x @ x.builder.parameter(head)


def build_graph(model: Llama) -> tuple[ModuleOp, dict[str, np.ndarray]]:
    """`main(input_ids: i64 [n], *weights) -> f32 [n, vocab]`, weights as
    inputs; the projection weights come packed for the GEMM (`prepack`, as
    the returned params are)."""
    b = GraphBuilder()
    ids = b.input("input_ids", ["n"], "i64")
    return b.build(model(ids), weights_as_inputs=True, prepack=True)


def build_step_graph(model: Llama) -> tuple[ModuleOp, dict[str, np.ndarray]]:
    """`step(input_ids [n], rows [r], cos [n, d], sin [n, d], past_keys,
    past_values [p, layers, kv_heads, d], *weights) -> (logits [r, vocab],
    keys, values [n, layers, kv_heads, d])`: prefill (p = 0), decoding (n = 1)
    and anything between are one function of symbolic n, p and r.

    The KV cache is the caller's memory, passed in and written by
    destination: the past is the cache's first p rows (a view), and the new
    keys and values are written straight into rows p..p+n-1 of it (see
    xunity/llm/kv_cache.py).  `rows` picks the positions whose logits are
    wanted: the last one when generating (the LM head on every prompt
    position would cost as much as the rest of a prefill).
    """
    config = model.config
    kv_dims = (config.layers, config.kv_heads, config.attention_head_dim)
    b = GraphBuilder("step")
    ids = b.input("input_ids", ["n"], "i64")
    rows = b.input("rows", ["r"], "i64")
    rope = (
        b.input("cos", ["n", config.attention_head_dim]),
        b.input("sin", ["n", config.attention_head_dim]),
    )
    past = (
        b.input("past_keys", ["p", *kv_dims]),
        b.input("past_values", ["p", *kv_dims]),
    )
    b.name_parameters(model.named_parameters())  # `step` is not a module call
    return b.build(
        model.step(ids, rows, rope, past), weights_as_inputs=True, prepack=True
    )


# ---------------------------------------------------------------- weights

_HF_NAMES: tuple[tuple[str, str], ...] = (
    (r"model\.embed_tokens\.weight", "embed_tokens"),
    (r"model\.layers\.(\d+)\.input_layernorm\.", r"layers.\1.attention_norm."),
    (r"model\.layers\.(\d+)\.self_attn\.q_proj\.", r"layers.\1.attention.query."),
    (r"model\.layers\.(\d+)\.self_attn\.k_proj\.", r"layers.\1.attention.key."),
    (r"model\.layers\.(\d+)\.self_attn\.v_proj\.", r"layers.\1.attention.value."),
    (r"model\.layers\.(\d+)\.self_attn\.o_proj\.", r"layers.\1.attention.output."),
    (r"model\.layers\.(\d+)\.post_attention_layernorm\.", r"layers.\1.mlp_norm."),
    (r"model\.layers\.(\d+)\.mlp\.gate_proj\.", r"layers.\1.mlp.gate."),
    (r"model\.layers\.(\d+)\.mlp\.up_proj\.", r"layers.\1.mlp.up."),
    (r"model\.layers\.(\d+)\.mlp\.down_proj\.", r"layers.\1.mlp.down."),
    (r"model\.norm\.", "norm."),
    (r"lm_head\.weight", "lm_head"),
)
"""Hugging Face LlamaForCausalLM names -> Llama names (prefix rewrites)."""


def _rename(name: str, table: Sequence[tuple[str, str]]) -> str | None:
    for pattern, replacement in table:
        new_name, count = re.subn(f"^{pattern}", replacement, name)
        if count:
            return new_name
    return None


def hf_state_dict(
    state: Mapping[str, Any], config: LlamaConfig
) -> dict[str, np.ndarray]:
    """Rename a LlamaForCausalLM state dict (torch tensors or arrays) to Llama's.

    Linear weights stay `[out, in]`: load with `torch_layout=True`.  With tied
    embeddings `lm_head.weight` is the embedding itself and is dropped.
    """
    renamed: dict[str, np.ndarray] = {}
    for name, value in state.items():
        if name.endswith("rotary_emb.inv_freq"):
            continue  # a buffer of old checkpoints; the tables are rebuilt
        new_name = _rename(name, _HF_NAMES)
        if new_name is None:
            raise KeyError(f"unexpected Llama tensor {name!r}")
        if new_name == "lm_head" and config.tie_embeddings:
            continue
        renamed[new_name] = _to_numpy(value)
    return renamed


def _to_numpy(value: Any) -> np.ndarray:
    if hasattr(value, "detach"):  # a torch tensor; torch is not imported here
        return value.detach().float().cpu().numpy()
    return np.asarray(value, dtype=np.float32)


def unpermute_rotary_rows(weight: np.ndarray, heads: int) -> np.ndarray:
    """Undo llama.cpp's converter permutation of `attn_q` / `attn_k` rows.

    The converter reorders each head's output rows from Hugging Face's
    rotate-half layout (pairs `(i, i + d/2)`) to ggml's interleaved pairs
    `(2i, 2i + 1)`: rows `(heads, 2, d/2)` become `(heads, d/2, 2)`.  Our
    `graph.rotary` rotates halves, so the rows go back.  Trailing dims
    (a quantised weight's blocks) move with their rows.
    """
    half = weight.shape[0] // heads // 2
    return (
        weight.reshape(heads, half, 2, *weight.shape[1:])
        .swapaxes(1, 2)
        .reshape(weight.shape)
    )


KEPT_FORMATS = ("Q8_0", "Q4_0", "Q4_1")
"""GGUF tensor types whose blocks stay quantised (graph.quant_matmul reads them)."""


def gguf_quantized(file: GGUFFile, config: LlamaConfig) -> dict[str, str]:
    """Which weights of `file` stay quantised, by Llama module name: the
    `Llama(config, quantized=...)` argument for `gguf_state_dict`."""
    kept: dict[str, str] = {}
    for gguf_name, ours in _gguf_names(config).items():
        qtype = file.tensor_info(gguf_name).qtype
        if qtype in KEPT_FORMATS and gguf_name not in _F32_ONLY:
            kept[ours.removesuffix(".weight")] = qtype.lower()
    return kept


_F32_ONLY = {"output_norm.weight"}
"""Vectors, never quantised by llama.cpp; the per-layer norms are too."""


def gguf_state_dict(
    file: GGUFFile,
    config: LlamaConfig,
    quantized: Mapping[str, str] | None = None,
    stacks: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, np.ndarray]:
    """Llama's tensors from a GGUF file: renamed, q/k rows restored; f32,
    except the weights in `quantized` (as `gguf_quantized` gives it), whose
    blocks go into the panel layout as their QuantLinear's parameters.
    With `stacks` (as `Llama.stack_quantized_projections` returns them),
    the members' panels go straight into their StackedQuantLinear's
    parameters, concatenated in member order.

    A missing tensor raises the reader's `MissingTensorError` naming the file
    and the tensor; a tensor the model would not use is rejected rather than
    silently ignored.
    """
    from xunity.frontends.weights import WeightFileError

    names = _gguf_names(config)
    unexpected = sorted(set(file.tensor_names()) - names.keys())
    if unexpected:
        raise WeightFileError(file.path, f"unexpected Llama tensors {unexpected}")
    quantized = quantized or {}
    state: dict[str, np.ndarray] = {}
    into = _stacked_parts(file, names, quantized, stacks or {}, state)
    for gguf_name, ours in names.items():
        module = ours.removesuffix(".weight")
        heads = _rotary_heads(module, config)
        if module in quantized:
            blocks = file.quant_blocks(gguf_name)
            scales, code_bytes, mins = blocks.scales, blocks.code_bytes, blocks.mins
            if heads:
                scales = unpermute_rotary_rows(scales, heads)
                code_bytes = unpermute_rotary_rows(code_bytes, heads)
                mins = None if mins is None else unpermute_rotary_rows(mins, heads)
            packed = pack_quant_bytes(
                quantized[module], scales, mins, code_bytes, into.get(module)
            )
            if module not in into:
                parts = zip(("codes", "scales", "mins"), packed.parts, strict=False)
                state.update((f"{module}.{part}", value) for part, value in parts)
        else:
            # Owned, not a view of the mapped file, whose pages are dropped.
            value = np.require(file.tensor(gguf_name), np.float32, ["C", "O"])
            state[ours] = unpermute_rotary_rows(value, heads) if heads else value
        # Copied out: the file's pages of it need not stay resident (else
        # the whole file is counted on top of the model while loading).
        file.release(gguf_name)
    file.release()  # and those the kernel mapped around the tensors read
    return state


def _stacked_parts(
    file: GGUFFile,
    names: Mapping[str, str],
    quantized: Mapping[str, str],
    stacks: Mapping[str, Sequence[str]],
    state: dict[str, np.ndarray],
) -> dict[str, list[np.ndarray]]:
    """Allocate each stack's parameters in `state`; each member's panels of
    them, by member name (packing there saves a copy of every member)."""
    gguf_names = {ours.removesuffix(".weight"): name for name, ours in names.items()}
    into: dict[str, list[np.ndarray]] = {}
    for stack, members in stacks.items():
        formats = {quantized.get(member) for member in members}
        if len(formats) != 1 or None in formats:
            raise ValueError(f"stack {stack} mixes formats or f32 weights: {formats}")
        shapes = [file.tensor_info(gguf_names[member]).shape for member in members]
        panels = [-(-rows // PANEL_ROWS) for rows, _ in shapes]
        parts = empty_parts(quantized[members[0]], sum(panels), shapes[0][1])
        part_names = (f"{stack}.{part}" for part in ("codes", "scales", "mins"))
        state.update(zip(part_names, parts, strict=False))
        start = 0
        for member, count in zip(members, panels, strict=True):
            into[member] = [part[start : start + count] for part in parts]
            start += count
    return into


_GGUF_LAYER_NAMES = {
    "attn_norm": "attention_norm",
    "attn_q": "attention.query",
    "attn_k": "attention.key",
    "attn_v": "attention.value",
    "attn_output": "attention.output",
    "ffn_norm": "mlp_norm",
    "ffn_gate": "mlp.gate",
    "ffn_up": "mlp.up",
    "ffn_down": "mlp.down",
}
"""llama.cpp's per-layer tensor names (`blk.N.<name>.weight`) -> Llama's."""


def _gguf_names(config: LlamaConfig) -> dict[str, str]:
    """GGUF name -> Llama name of every tensor the configuration needs."""
    names = {"token_embd.weight": "embed_tokens", "output_norm.weight": "norm.weight"}
    if not config.tie_embeddings:
        names["output.weight"] = "lm_head"
    for i in range(config.layers):
        for gguf_name, ours in _GGUF_LAYER_NAMES.items():
            names[f"blk.{i}.{gguf_name}.weight"] = f"layers.{i}.{ours}.weight"
    return names


def _rotary_heads(module: str, config: LlamaConfig) -> int | None:
    """The heads of a q or k projection (its rows llama.cpp permuted), else None."""
    if module.endswith(".attention.query"):
        return config.heads
    if module.endswith(".attention.key"):
        return config.kv_heads
    return None


def load_gguf_model(
    path: str | PathLike[str] | GGUFFile,
    max_positions: int = 2048,
    keep_quantized: bool = False,
) -> Llama:
    """A Llama with config and weights from a llama.cpp GGUF file; with
    `keep_quantized`, its Q8_0/Q4_0/Q4_1 weights stay in their blocks."""
    from xunity.frontends.weights.gguf import GGUFFile

    file = path if isinstance(path, GGUFFile) else GGUFFile(path)
    config = LlamaConfig.from_gguf(file, max_positions)
    quantized = gguf_quantized(file, config) if keep_quantized else {}
    model = Llama(config, quantized)
    stacks = model.stack_quantized_projections()
    state = gguf_state_dict(file, config, quantized, stacks)
    model.load_state_dict(state, torch_layout=True)
    return model


# ---------------------------------------------------------------- running


class CompiledLlama:
    """The compiled prefill function and the weights it is called with
    (the matmul weights in the GEMM's packed layout, see `build_graph`)."""

    def __init__(
        self,
        executable: Executable,
        config: LlamaConfig,
        weight_names: Sequence[str],
        weights: Sequence[np.ndarray],
    ):
        self.executable = executable
        self.config = config
        self.weight_names = tuple(weight_names)
        self.weights = tuple(weights)

    @staticmethod
    def compile(model: Llama) -> CompiledLlama:
        import xunity

        module, params = build_graph(model)
        return CompiledLlama(
            xunity.compile(module), model.config, list(params), list(params.values())
        )

    def with_weights(self, model: Llama) -> CompiledLlama:
        """The same compiled code with `model`'s weights (same configuration)."""
        if model.config != self.config:
            raise ValueError(f"config {model.config} differs from {self.config}")
        state = model.state_dict()
        # Packed weights are the 3-D ones: Llama has no 3-D parameter itself.
        weights = [
            pack_rhs(state[name]) if mine.ndim == 3 else state[name]
            for name, mine in zip(self.weight_names, self.weights, strict=True)
        ]
        return CompiledLlama(self.executable, self.config, self.weight_names, weights)

    def logits(self, input_ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """Logits `[n, vocab]` of the prompt at positions 0..n-1.

        Past `max_positions` the graph's rotary slice would clamp (repeat the
        last position) instead of failing, so the length is checked here.
        """
        ids = np.asarray(input_ids, dtype=np.int64)
        if ids.ndim != 1 or not 0 < len(ids) <= self.config.max_positions:
            raise ValueError(
                f"input_ids must be 1-D with 1..{self.config.max_positions} tokens, "
                f"got shape {ids.shape}"
            )
        if ids.min() < 0 or ids.max() >= self.config.vocab:
            raise ValueError(f"token ids must be in 0..{self.config.vocab - 1}")
        result = self.executable["main"](ids, *self.weights)
        assert isinstance(result, np.ndarray)
        return result
