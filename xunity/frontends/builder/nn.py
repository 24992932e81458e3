"""nn.Module-style building blocks on top of `GraphBuilder`.

    class Block(Module):
        def __init__(self):
            super().__init__()
            self.norm = RMSNorm(384)
            self.mlp = GatedMLP(384, 1024)

        def forward(self, x: Tensor) -> Tensor:
            return x + self.mlp(self.norm(x))

    b = GraphBuilder()
    y = Block()(b.input("x", [1, "n", 384]))
    module, params = b.build(y)

Parameters are named by their attribute path from the outermost module
called on a builder's tensor ("mlp.up.weight"), as in PyTorch, so state
dicts load by name.  A parameter without a loaded value gets a seeded random
one when first used (seeded by its name: the same model builds the same
params whatever the call order).  `Linear` keeps its weight as
`[in, out]` so that `x @ weight` needs no transpose at run time;
`load_state_dict(..., torch_layout=True)` transposes PyTorch's `[out, in]`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from xunity.dialects.graph.quantized import BLOCK, PANEL_ROWS, quant_format
from xunity.frontends.builder.core import (
    GraphBuilder,
    Tensor,
    attention,
    concat,
    quant_matmul,
    quant_take,
    rotary,
)
from xunity.frontends.builder.parameter import (
    Init,
    Parameter,
    constant_init,
    normal_init,
)
from xunity.strategies.quant_packing import PackedQuantWeight


class Module:
    """Holds Parameters and child Modules as attributes; `forward` builds ops.

    Calling a module on Tensors runs `forward`; the first module called on
    a builder names every parameter under it (`GraphBuilder.name_parameters`).
    """

    _parameters: dict[str, Parameter]
    _modules: dict[str, Module]

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        for name, param in self._parameters.items():
            yield prefix + name, param
        for name, child in self._modules.items():
            yield from child.named_parameters(f"{prefix}{name}.")

    def state_dict(self) -> dict[str, np.ndarray]:
        """Every parameter's value (made now where none was assigned)."""
        return {name: p.materialize(name) for name, p in self.named_parameters()}

    def load_state_dict(
        self,
        state: Mapping[str, np.ndarray],
        strict: bool = True,
        torch_layout: bool = False,
    ) -> None:
        """Assign values by name; `strict` rejects missing and unexpected names."""
        params = dict(self.named_parameters())
        if strict:
            missing = sorted(params.keys() - state.keys())
            unexpected = sorted(state.keys() - params.keys())
            if missing or unexpected:
                raise KeyError(
                    f"state dict mismatch: missing {missing}, unexpected {unexpected}"
                )
        for name, param in params.items():
            if name not in state:
                continue
            try:
                param.assign(np.asarray(state[name]), torch_layout)
            except ValueError as error:
                raise ValueError(f'parameter "{name}": {error}') from None

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Subclasses build their ops here; containers (ModuleList) have none."""
        raise TypeError(f"{type(self).__name__} has no forward: call its children")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        builder = next(
            (a.builder for a in (*args, *kwargs.values()) if isinstance(a, Tensor)),
            None,
        )
        if builder is None:
            raise TypeError(f"{type(self).__name__} must be called on a Tensor")
        builder.name_parameters(self.named_parameters())
        return self.forward(*args, **kwargs)


class ModuleList(Module):
    """Numbered children ("layers.0", "layers.1", ...), iterable in order."""

    def __init__(self, modules: Sequence[Module]):
        super().__init__()
        for index, module in enumerate(modules):
            self._modules[str(index)] = module

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __len__(self) -> int:
        return len(self._modules)

    def __getitem__(self, index: int) -> Module:
        return self._modules[str(index)]


class Linear(Module):
    """`x @ weight + bias` with `weight` stored `[in, out]` (no run-time transpose)."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True):
        super().__init__()
        bound = 1.0 / np.sqrt(in_features)  # PyTorch's default init range
        uniform: Init = lambda rng, shape: rng.uniform(-bound, bound, shape)  # noqa: E731
        self.weight = Parameter(
            (in_features, out_features), init=uniform, torch_transposed=True
        )
        self.bias = Parameter((out_features,), init=uniform) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        y = x @ self.weight
        return y if self.bias is None else y + self.bias


class QuantLinear(Module):
    """`x @ W^T` with `W [out, in]` kept in a GGUF block format (q8_0, q4_0,
    q4_1): its parts are parameters in graph.quant_matmul's panel layout
    (assign them with `assign_packed`).  `lookup(ids)` reads rows of the same
    `W`, so one table serves a tied embedding and LM head."""

    def __init__(self, in_features: int, out_features: int, format: str):
        super().__init__()
        fmt = quant_format(format)
        if in_features % BLOCK:
            raise ValueError(
                f"{format}: in_features {in_features} is not a multiple of {BLOCK}"
            )
        self.format = format
        self.in_features = in_features
        self.out_features = out_features
        lead = (-(-out_features // PANEL_ROWS), in_features // BLOCK)
        self.codes = Parameter((*lead, fmt.block_bytes, PANEL_ROWS), "i8")
        self.scales = Parameter((*lead, PANEL_ROWS), "f16")
        self.mins = Parameter((*lead, PANEL_ROWS), "f16") if fmt.has_mins else None

    def assign_packed(self, weight: PackedQuantWeight) -> None:
        if weight.format != self.format or weight.rows != self.out_features:
            raise ValueError(
                f"expected {self.format} with {self.out_features} rows, got "
                f"{weight.format} with {weight.rows}"
            )
        for param, value in zip(self._parts(), weight.parts, strict=True):
            param.assign(value)

    def forward(self, x: Tensor) -> Tensor:
        return quant_matmul(x, self._tensors(x.builder), self.format, self.out_features)

    def lookup(self, ids: Tensor) -> Tensor:
        """Rows `ids` of `W`, dequantised (an embedding lookup)."""
        return quant_take(
            ids, self._tensors(ids.builder), self.format, self.out_features
        )

    def _parts(self) -> list[Parameter]:
        return [self.codes, self.scales, *([] if self.mins is None else [self.mins])]

    def _tensors(self, builder: GraphBuilder) -> list[Tensor]:
        return [builder.parameter(p) for p in self._parts()]


class StackedQuantLinear(QuantLinear):
    """Several QuantLinears of one input and format as one product, their
    panels stacked (each member padded to whole PANEL_ROWS-row panels) and
    the output sliced back (`split`).

    Decoding then launches one GEMV instead of one per projection (Llama's
    q, k and v; gate and up), and the small projections share the big one's
    parallel tasks instead of running a few panels each.  Its parameters
    are the members' panels concatenated in member order
    (xunity/models/llama.py's `gguf_state_dict` packs them so).
    """

    def __init__(self, members: Sequence[QuantLinear]):
        first = members[0]
        if any(
            (m.format, m.in_features) != (first.format, first.in_features)
            for m in members
        ):
            raise ValueError("stacked QuantLinears need one format and input size")
        self.sizes = [m.out_features for m in members]
        padded = [-(-size // PANEL_ROWS) * PANEL_ROWS for size in self.sizes]
        self.offsets = [sum(padded[:index]) for index in range(len(padded))]
        super().__init__(first.in_features, sum(padded), first.format)

    def split(self, x: Tensor) -> list[Tensor]:
        """Each member's product with `x`."""
        y = self(x)
        axis = len(y.shape) - 1
        return [
            y.slice(axis, offset, offset + size)
            for offset, size in zip(self.offsets, self.sizes, strict=True)
        ]


def stack_children(owner: Module, names: Sequence[str], stacked_name: str) -> bool:
    """Replace `owner`'s QuantLinear children `names` by one
    StackedQuantLinear `stacked_name`, if they share format and input."""
    members = [owner._modules.get(name) for name in names]
    quantised = [m for m in members if isinstance(m, QuantLinear)]
    if (
        len(quantised) != len(names)
        or len({(m.format, m.in_features) for m in quantised}) != 1
    ):
        return False
    for name in names:
        del owner._modules[name]
        object.__setattr__(owner, name, None)
    setattr(owner, stacked_name, StackedQuantLinear(quantised))
    return True


class Embedding(Module):
    """Rows of a `[num, dim]` table picked by integer ids."""

    def __init__(self, num_embeddings: int, dim: int):
        super().__init__()
        self.weight = Parameter((num_embeddings, dim), init=normal_init(1.0))

    def forward(self, ids: Tensor) -> Tensor:
        return ids.builder.parameter(self.weight).take(ids)


class LayerNorm(Module):
    """LayerNorm over the last axis, with weight (gamma) and bias (beta)."""

    def __init__(self, dim: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.weight = Parameter((dim,), init=constant_init(1.0))
        self.bias = Parameter((dim,), init=constant_init(0.0))

    def forward(self, x: Tensor) -> Tensor:
        return x.layer_norm(self.weight, self.bias, self.eps)


class RMSNorm(Module):
    """RMSNorm over the last axis (Llama), with a weight."""

    def __init__(self, dim: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.weight = Parameter((dim,), init=constant_init(1.0))

    def forward(self, x: Tensor) -> Tensor:
        return x.rms_norm(self.weight, self.eps)


class MLP(Module):
    """`down(gelu(up(x)))`: BERT's and GPT-2's feed-forward block."""

    def __init__(self, dim: int, hidden: int, bias: bool = True, tanh: bool = False):
        super().__init__()
        self.tanh = tanh
        self.up = Linear(dim, hidden, bias)
        self.down = Linear(hidden, dim, bias)

    def forward(self, x: Tensor) -> Tensor:
        h = self.up(x)
        return self.down(h.gelu_tanh() if self.tanh else h.gelu())


class GatedMLP(Module):
    """`down(silu(gate(x)) * up(x))`: Llama's SwiGLU feed-forward block."""

    def __init__(self, dim: int, hidden: int, bias: bool = False):
        super().__init__()
        self.gate = Linear(dim, hidden, bias)
        self.up = Linear(dim, hidden, bias)
        self.down = Linear(hidden, dim, bias)
        self.gate_up: StackedQuantLinear | None = None

    def stack_projections(self) -> bool:
        """Compute gate and up as one product, if both are quantised alike."""
        return stack_children(self, ("gate", "up"), "gate_up")

    def forward(self, x: Tensor) -> Tensor:
        if self.gate_up is not None:
            gate, up = self.gate_up.split(x)
        else:
            gate, up = self.gate(x), self.up(x)
        return self.down(gate.silu() * up)


def rotary_tables(
    positions: int, head_dim: int, base: float = 10000.0
) -> tuple[np.ndarray, np.ndarray]:
    """cos and sin `[positions, head_dim]` for rotate-half rotary embedding.

    Frequencies are computed in float32 as Hugging Face does, so that
    results match its models to float32 rounding.
    """
    exponents = np.arange(0, head_dim, 2, dtype=np.int64).astype(np.float32) / head_dim
    inv_freq = (1.0 / (np.float32(base) ** exponents)).astype(np.float32)
    angles = np.outer(np.arange(positions, dtype=np.float32), inv_freq)
    angles = np.concatenate([angles, angles], axis=-1)
    return np.cos(angles).astype(np.float32), np.sin(angles).astype(np.float32)


class Attention(Module):
    """Multi-head self-attention on `[batch, seq, dim]`, optionally grouped-query.

    `kv_heads < heads` shares each key/value head among `heads / kv_heads`
    query heads; `rotary_base` applies rotary embedding to queries and keys
    at positions `0..seq-1` (tables for `max_positions` are built once per
    graph and sliced to the symbolic length; a longer input would repeat the
    last position, as the slice clamps); `causal` masks future keys.
    `mask` (i1 keep, or additive) broadcasts to `[batch, heads, seq, seq]`.
    """

    def __init__(
        self,
        dim: int,
        heads: int,
        kv_heads: int | None = None,
        head_dim: int | None = None,
        bias: bool = True,
        causal: bool = False,
        rotary_base: float | None = None,
        max_positions: int = 2048,
    ):
        super().__init__()
        self.heads = heads
        self.kv_heads = kv_heads or heads
        self.head_dim = head_dim or dim // heads
        self.causal = causal
        self.rotary_base = rotary_base
        self.max_positions = max_positions
        self.query = Linear(dim, heads * self.head_dim, bias)
        self.key = Linear(dim, self.kv_heads * self.head_dim, bias)
        self.value = Linear(dim, self.kv_heads * self.head_dim, bias)
        self.output = Linear(heads * self.head_dim, dim, bias)
        self.qkv: StackedQuantLinear | None = None

    def stack_projections(self) -> bool:
        """Compute q, k and v as one product, if all are quantised alike."""
        return stack_children(self, ("query", "key", "value"), "qkv")

    def _project(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """q `[batch, seq, heads, head_dim]`, k and v `[.., kv_heads, ..]`."""
        batch, seq, _ = x.shape
        if self.qkv is not None:
            q, k, v = self.qkv.split(x)
        else:
            q, k, v = self.query(x), self.key(x), self.value(x)
        return (
            q.reshape(batch, seq, self.heads, self.head_dim),
            k.reshape(batch, seq, self.kv_heads, self.head_dim),
            v.reshape(batch, seq, self.kv_heads, self.head_dim),
        )

    def forward(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        batch, seq, _ = x.shape
        q, k, v = self._project(x)
        if self.rotary_base is not None:
            cos, sin = self._rotary_tables(x.builder, seq)
            q = rotary(q, cos, sin)
            k = rotary(k, cos, sin)
        o = attention(q, k, v, mask=mask, causal=self.causal)
        return self.output(o.reshape(batch, seq, self.heads * self.head_dim))

    def step(
        self, x: Tensor, past: tuple[Tensor, Tensor], rope: tuple[Tensor, Tensor]
    ) -> tuple[Tensor, Tensor, Tensor]:
        """Attention of `seq` new positions over the `past` keys and values too.

        `past` is (keys, values) `[batch, past, kv_heads, head_dim]` of the
        positions before; `rope` the (cos, sin) rows `[seq, head_dim]` of the
        new positions (a KV cache knows where they are, the graph need not).
        Returns the output and the new positions' keys and values, which the
        caller appends to its cache.  Causal masking is bottom-right aligned,
        so new position i sees every past one and new ones up to i.
        """
        batch, seq, _ = x.shape
        q, k, v = self._project(x)
        if self.rotary_base is not None:
            q, k = rotary(q, *rope), rotary(k, *rope)
        keys = concat([past[0], k], axis=1)
        values = concat([past[1], v], axis=1)
        o = attention(q, keys, values, causal=self.causal)
        return self.output(o.reshape(batch, seq, self.heads * self.head_dim)), k, v

    def _rotary_tables(self, builder: GraphBuilder, seq: Any) -> tuple[Tensor, Tensor]:
        assert self.rotary_base is not None
        key = ("rotary", self.max_positions, self.head_dim, self.rotary_base)
        tables = [
            builder.cached_constant(
                (*key, index),
                lambda index=index: rotary_tables(*key[1:])[index],
            )
            for index in (0, 1)
        ]
        return tables[0].slice(0, 0, seq), tables[1].slice(0, 0, seq)
