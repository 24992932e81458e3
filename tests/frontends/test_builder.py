"""The Python builder: module numerics vs numpy / torch, naming, state dicts.

Every module under test is an output of ONE graph function with a symbolic
sequence length `n`, compiled once for the file and run at two lengths, so
the suite pays one compile.  References are independent: numpy for the
norms and linear layers, torch (its SDPA with `enable_gqa`, and Hugging
Face's rotate-half rotary written out in torch) for attention.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from xdsl.utils.exceptions import VerifyException

import xunity
from xunity.dialects.graph.creation import WeightOp
from xunity.dialects.graph.linalg import MatmulOp, PackedMatmulOp
from xunity.frontends.builder import (
    MLP,
    Attention,
    Embedding,
    GatedMLP,
    GraphBuilder,
    LayerNorm,
    Linear,
    Module,
    RMSNorm,
    Tensor,
    rotary_tables,
)

DIM = 32
LENGTHS = (5, 12)
RTOL = ATOL = 1e-5


class Zoo(Module):
    """One of each module, all fed the same `[1, n, DIM]` input."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = Linear(DIM, 24)
        self.layer_norm = LayerNorm(DIM, eps=1e-6)
        self.rms_norm = RMSNorm(DIM, eps=1e-6)
        self.mlp = MLP(DIM, 48)
        self.gated_mlp = GatedMLP(DIM, 40)
        self.attention = Attention(DIM, heads=4)
        self.causal_gqa = Attention(
            DIM,
            heads=4,
            kv_heads=2,
            bias=False,
            causal=True,
            rotary_base=10000.0,
            max_positions=64,
        )
        self.embedding = Embedding(50, DIM)

    def forward(self, x: Tensor, ids: Tensor) -> tuple[Tensor, ...]:
        return (
            self.linear(x),
            self.layer_norm(x),
            self.rms_norm(x),
            self.mlp(x),
            self.gated_mlp(x),
            self.attention(x),
            self.causal_gqa(x),
            self.embedding(ids),
        )


OUTPUTS = (
    "linear",
    "layer_norm",
    "rms_norm",
    "mlp",
    "gated_mlp",
    "attention",
    "causal_gqa",
    "embedding",
)


@pytest.fixture(scope="module")
def zoo() -> tuple[Zoo, dict[str, np.ndarray], dict[int, dict[str, Any]]]:
    """The model, its params, and per length: inputs and the compiled outputs."""
    model = Zoo()
    b = GraphBuilder()
    x = b.input("x", [1, "n", DIM])
    ids = b.input("ids", [1, "n"], "i64")
    module, params = b.build(model(x, ids))
    exe = xunity.compile(module, params=params)
    rng = np.random.default_rng(0)
    runs: dict[int, dict[str, Any]] = {}
    for n in LENGTHS:
        xs = rng.standard_normal((1, n, DIM)).astype(np.float32)
        id_values = rng.integers(0, 50, (1, n)).astype(np.int64)
        outputs = exe["main"](xs, id_values)
        runs[n] = {
            "x": xs,
            "ids": id_values,
            **dict(zip(OUTPUTS, outputs, strict=True)),
        }
    return model, params, runs


def _params(model: Module, prefix: str) -> dict[str, np.ndarray]:
    state = model.state_dict()
    return {k.removeprefix(prefix): v for k, v in state.items() if k.startswith(prefix)}


def _t(array: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(array)).double()


@pytest.mark.parametrize("n", LENGTHS)
def test_linear_is_x_times_weight_plus_bias(zoo: Any, n: int) -> None:
    model, _, runs = zoo
    p = _params(model, "linear.")
    expected = runs[n]["x"] @ p["weight"] + p["bias"]
    assert runs[n]["linear"].shape == (1, n, 24)
    np.testing.assert_allclose(runs[n]["linear"], expected, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("n", LENGTHS)
def test_layer_norm_matches_numpy(zoo: Any, n: int) -> None:
    model, _, runs = zoo
    p = _params(model, "layer_norm.")
    x = runs[n]["x"].astype(np.float64)
    normed = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-6)
    np.testing.assert_allclose(
        runs[n]["layer_norm"], normed * p["weight"] + p["bias"], rtol=RTOL, atol=ATOL
    )


@pytest.mark.parametrize("n", LENGTHS)
def test_rms_norm_matches_numpy(zoo: Any, n: int) -> None:
    model, _, runs = zoo
    p = _params(model, "rms_norm.")
    x = runs[n]["x"].astype(np.float64)
    expected = x / np.sqrt((x * x).mean(-1, keepdims=True) + 1e-6) * p["weight"]
    np.testing.assert_allclose(runs[n]["rms_norm"], expected, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("n", LENGTHS)
def test_mlp_is_gelu_erf_between_two_linears(zoo: Any, n: int) -> None:
    model, _, runs = zoo
    p = {k: _t(v) for k, v in _params(model, "mlp.").items()}
    h = _t(runs[n]["x"]) @ p["up.weight"] + p["up.bias"]
    expected = torch.nn.functional.gelu(h) @ p["down.weight"] + p["down.bias"]
    np.testing.assert_allclose(runs[n]["mlp"], expected.numpy(), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("n", LENGTHS)
def test_gated_mlp_is_silu_gated(zoo: Any, n: int) -> None:
    model, _, runs = zoo
    p = {k: _t(v) for k, v in _params(model, "gated_mlp.").items()}
    x = _t(runs[n]["x"])
    gated = torch.nn.functional.silu(x @ p["gate.weight"]) * (x @ p["up.weight"])
    np.testing.assert_allclose(
        runs[n]["gated_mlp"], (gated @ p["down.weight"]).numpy(), rtol=RTOL, atol=ATOL
    )


def _torch_attention(
    x: torch.Tensor,
    p: dict[str, torch.Tensor],
    heads: int,
    kv_heads: int,
    causal: bool,
    rotary: bool,
) -> torch.Tensor:
    """Hugging Face's layout: [b, heads, seq, head_dim], rotate_half rotary, SDPA."""

    def project(name: str, count: int) -> torch.Tensor:
        y = x @ p[f"{name}.weight"]
        if f"{name}.bias" in p:
            y = y + p[f"{name}.bias"]
        return y.reshape(1, x.shape[1], count, -1).transpose(1, 2)

    q, k, v = (
        project("query", heads),
        project("key", kv_heads),
        project("value", kv_heads),
    )
    if rotary:
        head_dim = q.shape[-1]
        inv_freq = 1.0 / 10000.0 ** (torch.arange(0, head_dim, 2).double() / head_dim)
        angles = torch.outer(torch.arange(x.shape[1]).double(), inv_freq)
        angles = torch.cat([angles, angles], dim=-1)

        def rotate(t: torch.Tensor) -> torch.Tensor:
            half = t.shape[-1] // 2
            rotated = torch.cat([-t[..., half:], t[..., :half]], dim=-1)
            return t * angles.cos() + rotated * angles.sin()

        q, k = rotate(q), rotate(k)
    o = torch.nn.functional.scaled_dot_product_attention(
        q, k, v, is_causal=causal, enable_gqa=kv_heads != heads
    )
    y = o.transpose(1, 2).reshape(1, x.shape[1], -1) @ p["output.weight"]
    return y + p["output.bias"] if "output.bias" in p else y


@pytest.mark.parametrize("n", LENGTHS)
def test_multi_head_attention_matches_torch(zoo: Any, n: int) -> None:
    model, _, runs = zoo
    p = {k: _t(v) for k, v in _params(model, "attention.").items()}
    expected = _torch_attention(_t(runs[n]["x"]), p, 4, 4, causal=False, rotary=False)
    np.testing.assert_allclose(
        runs[n]["attention"], expected.numpy(), rtol=RTOL, atol=ATOL
    )


@pytest.mark.parametrize("n", LENGTHS)
def test_causal_grouped_query_rotary_attention_matches_torch(zoo: Any, n: int) -> None:
    model, _, runs = zoo
    p = {k: _t(v) for k, v in _params(model, "causal_gqa.").items()}
    assert p["key.weight"].shape == (DIM, 2 * DIM // 4)  # 2 kv heads of 8
    expected = _torch_attention(_t(runs[n]["x"]), p, 4, 2, causal=True, rotary=True)
    np.testing.assert_allclose(
        runs[n]["causal_gqa"], expected.numpy(), rtol=RTOL, atol=ATOL
    )


@pytest.mark.parametrize("n", LENGTHS)
def test_embedding_picks_rows(zoo: Any, n: int) -> None:
    model, _, runs = zoo
    table = _params(model, "embedding.")["weight"]
    np.testing.assert_array_equal(runs[n]["embedding"], table[runs[n]["ids"]])


def test_parameters_are_weights_named_by_attribute_path(zoo: Any) -> None:
    model, params, _ = zoo
    assert set(params) == {name for name, _ in model.named_parameters()}
    assert "causal_gqa.query.weight" in params
    assert "causal_gqa.query.bias" not in params  # bias=False
    assert params["linear.weight"].shape == (DIM, 24)  # [in, out]


def test_rotary_tables_match_float64_angles() -> None:
    cos, sin = rotary_tables(16, 8)
    angles = np.outer(np.arange(16), 10000.0 ** -(np.arange(0, 8, 2) / 8))
    np.testing.assert_allclose(cos[:, :4], np.cos(angles), atol=1e-6)
    np.testing.assert_allclose(sin[:, 4:], np.sin(angles), atol=1e-6)


def test_weights_as_inputs_become_trailing_arguments() -> None:
    model = Linear(4, 3)
    b = GraphBuilder()
    module, params = b.build(model(b.input("x", ["n", 4])), weights_as_inputs=True)
    assert not any(isinstance(op, WeightOp) for op in module.walk())
    assert list(params) == ["weight", "bias"]
    exe = xunity.compile(module)
    x = np.arange(8, dtype=np.float32).reshape(2, 4)
    np.testing.assert_allclose(
        exe["main"](x, *params.values()),
        x @ params["weight"] + params["bias"],
        rtol=RTOL,
        atol=ATOL,
    )


class UpDown(Module):
    """Two linears; the first one's bias is also used on its own."""

    def __init__(self) -> None:
        super().__init__()
        self.up, self.down = Linear(4, 50), Linear(50, 3)

    def forward(self, x: Tensor) -> list[Tensor]:
        hidden = self.up(x)
        return [self.down(hidden), hidden + self.up.bias]


def test_prepacked_weight_inputs_come_packed() -> None:
    """With `prepack`, a weight only used as a GEMM rhs is a packed argument
    (and its params entry is packed); a weight used otherwise, or by a
    matmul of decode shape, keeps its layout."""
    b = GraphBuilder()
    module, params = b.build(UpDown()(b.input("x", ["n", 4])), True, prepack=True)
    assert params["up.weight"].shape == (2, 4, 48)  # 50 columns: two panels
    assert params["down.weight"].shape == (1, 50, 48)
    assert params["up.bias"].shape == (50,)  # added, never multiplied
    assert sum(isinstance(op, PackedMatmulOp) for op in module.walk()) == 2
    assert not any(isinstance(op, MatmulOp) for op in module.walk())
    w_up = params["up.weight"].transpose(1, 0, 2).reshape(4, 96)[:, :50]
    w_down = params["down.weight"][0, :, :3]
    x = np.random.default_rng(3).standard_normal((9, 4)).astype(np.float32)
    hidden = x @ w_up + params["up.bias"]
    y, hidden_plus_bias = xunity.compile(module)["main"](x, *params.values())
    want = hidden @ w_down + params["down.bias"]
    np.testing.assert_allclose(y, want, rtol=RTOL, atol=ATOL)
    want = hidden + params["up.bias"]
    np.testing.assert_allclose(hidden_plus_bias, want, rtol=RTOL, atol=ATOL)
    b = GraphBuilder()
    _, params = b.build(Linear(4, 50)(b.input("x", [1, 4])), True, prepack=True)
    assert params["weight"].shape == (4, 50)  # one row: GEMV reads it in place


def test_load_state_dict_transposes_torch_linear_weights() -> None:
    model = Linear(4, 3)
    torch_weight = np.arange(12, dtype=np.float32).reshape(3, 4)  # [out, in]
    model.load_state_dict(
        {"weight": torch_weight, "bias": np.zeros(3, np.float32)}, torch_layout=True
    )
    np.testing.assert_array_equal(model.state_dict()["weight"], torch_weight.T)


def test_load_state_dict_reports_missing_and_unexpected_names() -> None:
    with pytest.raises(KeyError, match=r"missing \['bias'\], unexpected \['b'\]"):
        Linear(4, 3).load_state_dict({"weight": np.zeros((4, 3)), "b": np.zeros(3)})


def test_load_state_dict_rejects_wrong_shapes() -> None:
    with pytest.raises(ValueError, match=r'"weight": expected shape \(4, 3\)'):
        Linear(4, 3).load_state_dict({"weight": np.zeros((3, 4))}, strict=False)


def test_two_top_level_modules_with_clashing_names_are_rejected() -> None:
    b = GraphBuilder()
    x = b.input("x", ["n", 4])
    Linear(4, 4)(x)
    with pytest.raises(ValueError, match='two parameters are named "weight"'):
        Linear(4, 4)(x)


def test_shape_errors_name_the_op_at_build_time() -> None:
    b = GraphBuilder()
    x = b.input("x", ["n", 4])
    with pytest.raises(VerifyException, match=r"graph\.matmul"):
        Linear(5, 3)(x)


def test_symbolic_dims_flow_through_modules() -> None:
    b = GraphBuilder()
    x = b.input("x", ["b", "n", 16])
    y = Attention(16, heads=2)(x)
    assert [str(d) for d in y.shape] == ["b", "n", "16"]


def test_a_container_module_cannot_be_called() -> None:
    """ModuleList holds children; calling it (rather than them) is a TypeError."""
    from xunity.frontends.builder import GraphBuilder
    from xunity.frontends.builder.nn import Linear, ModuleList

    builder = GraphBuilder()
    x = builder.input("x", ["n", 4], "f32")
    with pytest.raises(TypeError, match="ModuleList has no forward: call its children"):
        ModuleList([Linear(4, 4)])(x)
