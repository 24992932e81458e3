"""torch.export importer: op families vs torch eager, dynamic dims, errors.

Each family is one small nn.Module with several outputs, exported, imported,
compiled once (`xunity.compile(module, params=params)`) and compared with
eager PyTorch at rtol/atol 1e-5 (1e-4 where a reduction is long).
Dynamic-dim models run at two sizes on one compiled module.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pytest
import torch
from xdsl.dialects import func

import xunity
from xunity.dialects.graph.creation import WeightOp
from xunity.frontends.torch import (
    ImportedModel,
    TorchImportError,
    UnsupportedOpsError,
    import_exported_program,
)
from xunity.runtime.executable import Executable

nn = torch.nn
F = torch.nn.functional
Dim = torch.export.Dim


def import_module(
    module: Any, args: Sequence[Any], dynamic_shapes: Mapping[str, Any] | None = None
) -> ImportedModel:
    program = torch.export.export(
        module.eval(), tuple(args), dynamic_shapes=dynamic_shapes
    )
    return import_exported_program(program)


def compile_model(imported: ImportedModel) -> Executable:
    return xunity.compile(imported.module, params=imported.params)


def check(
    exe: Executable,
    module: Any,
    args: Sequence[Any],
    tolerance: float = 1e-5,
) -> None:
    """Outputs of the compiled function equal torch eager's on `args`."""
    with torch.no_grad():
        expected = module(*args)
    expected = expected if isinstance(expected, tuple) else (expected,)
    got = exe["main"](*(a.numpy() for a in args))
    got = got if isinstance(got, tuple) else (got,)
    assert len(got) == len(expected)
    for index, (have, want) in enumerate(zip(got, expected, strict=True)):
        want = want.numpy()
        assert have.shape == want.shape, f"output {index}"
        assert have.dtype == want.dtype, f"output {index}"
        np.testing.assert_allclose(
            have, want, rtol=tolerance, atol=tolerance, err_msg=f"output {index}"
        )


def rand(*shape: int, seed: int = 0) -> Any:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


# ------------------------------------------------------------------ families
class Elementwise(nn.Module):
    def forward(self, x: Any, y: Any) -> tuple[Any, ...]:
        positive = x.abs() + 0.5
        return (
            F.relu(x) + F.gelu(y) + F.gelu(x, approximate="tanh"),
            F.silu(x) * torch.sigmoid(y) - torch.tanh(x),
            torch.exp(x) / positive + torch.log(positive),
            torch.sqrt(positive) + torch.rsqrt(positive) - (-x),
            positive.pow(2) + positive**3.0 + positive**0.5,
            x + y * 2 - 1.5 + (3 - x) / y.abs().add(1, alpha=2.0),
            torch.where(x > y, x, y) + x.masked_fill(y < 0, -1.0),
            torch.clamp(x, -0.5, 0.5) + 1 / positive,
            (x >= 0).to(torch.float32) + (x == y).float() + (x != 0).logical_not(),
            x.to(torch.float16),
            torch.maximum(x, y) - torch.minimum(x, y) + torch.sin(x) * torch.cos(y),
        )


def test_elementwise_ops_match_torch() -> None:
    args = [rand(3, 8), rand(3, 8, seed=1)]
    imported = import_module(Elementwise(), args)
    check(compile_model(imported), Elementwise(), args)


class Linalg(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(6, 5)
        self.head = nn.Linear(5, 3, bias=False)

    def forward(self, x: Any, a: Any, b: Any) -> tuple[Any, ...]:
        return (
            self.head(self.proj(x)),
            torch.addmm(a[0, :, 0], a[0], b[0], beta=0.5, alpha=2.0),
            torch.mm(a[1], b[1]),
            torch.bmm(a, b),
            torch.matmul(x, a[0].t()[:6, :4]),
        )


def test_linalg_ops_match_torch() -> None:
    args = [rand(2, 4, 6), rand(2, 4, 7, seed=1), rand(2, 7, 4, seed=2)]
    module = Linalg()
    check(compile_model(import_module(module, args)), module, args)


class Shapes(nn.Module):
    def forward(self, x: Any, z: Any) -> tuple[Any, ...]:
        a, b = x.split(3, dim=-1)
        c, d, e = torch.split(x, [1, 2, 3], dim=2)
        first, _ = torch.chunk(x, 2, dim=1)
        rows = x.unbind(0)
        return (
            x.view(2, -1, 3).permute(2, 0, 1).reshape(6, -1),
            torch.cat([a, b * 2, c], dim=-1).transpose(0, 2),
            d.unsqueeze(1).squeeze(1).squeeze() + e[..., :2],
            x[:, 1:, ::2] + x[:, -3:, 1::2],
            x.select(1, -1) + rows[0][0],
            z.expand(2, 4, 6) + first.contiguous().clone().sum(),
            x.flatten(1) + x.flatten().unflatten(0, (2, 24)),
        )


def test_shape_ops_match_torch() -> None:
    args = [rand(2, 4, 6), rand(1, 6, seed=1)]
    check(compile_model(import_module(Shapes(), args)), Shapes(), args)


class Normalization(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(16)
        self.bare = nn.LayerNorm([4, 16], elementwise_affine=False)
        self.rms = nn.RMSNorm(16, eps=1e-6)
        self.embed = nn.Embedding(10, 16)
        self.dropout = nn.Dropout(0.3)
        with torch.no_grad():
            for p in (self.norm.weight, self.norm.bias, self.rms.weight):
                p.copy_(rand(16, seed=3) * 0.5 + 1)

    def forward(self, x: Any, ids: Any) -> tuple[Any, ...]:
        h = self.dropout(x + self.embed(ids))
        return (
            torch.softmax(h, dim=-1) + F.log_softmax(h, dim=1),
            self.norm(h) + self.bare(h) + self.rms(h),
            h.mean(dim=-1)
            + h.sum(dim=(0, 1)).amax()
            + h.amax(dim=1).sum(dim=-1, keepdim=True),
            h.mean(dim=1, keepdim=True) - h.amin(dim=-1, keepdim=True),
            h.sum(),
            h.argmax(dim=-1),
        )


def test_normalization_and_reduction_ops_match_torch() -> None:
    args = [rand(2, 4, 16), torch.tensor([[1, 2, 3, 9], [0, 0, 5, 7]])]
    module = Normalization()
    check(compile_model(import_module(module, args)), module, args, 1e-4)


class Cnn(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.grouped = nn.Conv2d(8, 8, 3, stride=2, padding="valid", groups=4)
        self.same = nn.Conv1d(3, 4, 4, padding="same", bias=False)
        self.bn = nn.BatchNorm2d(8)
        self.fc = nn.Linear(8, 5)
        with torch.no_grad():
            self.bn.running_mean.copy_(rand(8, seed=4) * 0.1)
            self.bn.running_var.copy_(rand(8, seed=5).abs() + 0.5)

    def forward(self, image: Any, signal: Any) -> tuple[Any, ...]:
        h = F.relu(self.bn(self.conv(image)))
        pooled = F.max_pool2d(h, 2)
        g = self.grouped(h)
        return (
            self.fc(torch.flatten(F.adaptive_avg_pool2d(pooled, 1), 1)),
            F.avg_pool2d(pooled, 2) + F.adaptive_avg_pool2d(pooled, (2, 2)),
            F.max_pool2d(g, 3, stride=2, padding=1, ceil_mode=True),
            self.same(signal),
        )


def test_cnn_ops_match_torch() -> None:
    args = [rand(2, 3, 8, 8), rand(1, 3, 10, seed=1)]
    module = Cnn()
    check(compile_model(import_module(module, args)), module, args, 1e-4)


# ------------------------------------------------------------------ dynamic dims
class Block(nn.Module):
    """A pre-norm transformer block: nn.MultiheadAttention, then a GELU MLP."""

    def __init__(self, dim: int = 16, heads: int = 2) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attention = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(
            nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim)
        )

    def forward(self, x: Any) -> Any:
        h = self.norm1(x)
        x = x + self.attention(h, h, h, need_weights=False)[0]
        return x + self.mlp(self.norm2(x))


def test_transformer_block_with_dynamic_sequence_runs_at_two_lengths() -> None:
    module = Block()
    imported = import_module(module, [rand(2, 5, 16)], {"x": {1: Dim("seq")}})
    assert "!graph.tensor<[2, seq, 16], f32>" in str(imported.module)
    exe = compile_model(imported)
    for length in (3, 11):
        check(exe, module, [rand(2, length, 16, seed=length)], 1e-4)


class AttentionVariants(nn.Module):
    """F.scaled_dot_product_attention: causal with seq_q != seq_kv, masks, GQA."""

    def forward(self, q: Any, kv: Any, bias: Any) -> tuple[Any, ...]:
        keep = bias > 0
        grouped = kv[:, :2]
        return (
            F.scaled_dot_product_attention(q, kv, kv, is_causal=True),
            F.scaled_dot_product_attention(
                q, kv, kv, attn_mask=keep | keep.logical_not()
            ),
            F.scaled_dot_product_attention(q, kv, kv, attn_mask=bias, scale=0.3),
            F.scaled_dot_product_attention(q, grouped, grouped, enable_gqa=True),
        )


def test_attention_variants_with_two_dynamic_lengths() -> None:
    module = AttentionVariants()
    n, m = Dim("n"), Dim("m")
    args = [rand(1, 4, 3, 8), rand(1, 4, 5, 8, seed=1), rand(3, 5, seed=2)]
    shapes = {"q": {2: n}, "kv": {2: m}, "bias": {0: n, 1: m}}
    exe = compile_model(import_module(module, args, shapes))
    for q_len, kv_len in ((3, 5), (6, 2)):
        args = [
            rand(1, 4, q_len, 8),
            rand(1, 4, kv_len, 8, seed=1),
            rand(q_len, kv_len, seed=2),
        ]
        check(exe, module, args)


class Mlp(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.up = nn.Linear(12, 32)
        self.down = nn.Linear(32, 12)
        self.norm = nn.LayerNorm(12)

    def forward(self, x: Any) -> Any:
        b, n, d = x.shape
        h = self.down(F.silu(self.up(self.norm(x))))
        return torch.softmax(h.reshape(b * n, d), dim=-1).view(b, n * d)


def test_decomposed_mlp_with_dynamic_dims_runs_at_two_sizes() -> None:
    """Core-ATen spellings (addmm, native_layer_norm, _softmax, view of sizes)."""
    module = Mlp().eval()
    program = torch.export.export(
        module, (rand(2, 3, 12),), dynamic_shapes={"x": {0: Dim("b"), 1: Dim("n")}}
    ).run_decompositions()
    targets = {str(node.target) for node in program.graph.nodes}
    assert {"aten.addmm.default", "aten.native_layer_norm.default"} <= targets
    imported = import_exported_program(program)
    function = imported.module.ops.first
    assert isinstance(function, func.FuncOp)
    function_type = str(function.function_type)
    assert "!graph.tensor<[b, 12 * n], f32>" in function_type
    exe = compile_model(imported)
    for shape in ((2, 3, 12), (5, 1, 12)):
        check(exe, module, [rand(*shape, seed=shape[0])])


# ------------------------------------------------------------------ import details
def test_parameters_and_buffers_become_weights_named_by_state_dict() -> None:
    module = Cnn()
    imported = import_module(module, [rand(1, 3, 8, 8), rand(1, 3, 10)])
    names = {
        op.weight_name.data  # pyright: ignore[reportAttributeAccessIssue]
        for op in imported.module.walk()
        if isinstance(op, WeightOp)
    }
    state = module.state_dict()
    assert names == set(imported.params)
    assert {"conv.weight", "bn.running_var", "fc.bias"} <= names
    assert "bn.num_batches_tracked" not in names  # unused in eval mode
    for name in names:
        np.testing.assert_array_equal(imported.params[name], state[name].numpy())
    assert imported.input_names == ("image", "signal")


def test_small_lifted_constants_are_inline_and_large_ones_weights() -> None:
    class Lifted(nn.Module):
        def forward(self, x: Any) -> Any:
            table = torch.tensor([float(i) for i in range(60)]).reshape(20, 3)
            return x + torch.tensor([1.0, 2.0, 3.0]) + table

    imported = import_module(Lifted(), [rand(20, 3)])
    assert "graph.constant dense<[1.000000e+00, 2.000000e+00" in str(imported.module)
    [(name, table)] = imported.params.items()
    assert name.startswith("lifted_tensor")
    np.testing.assert_array_equal(table, np.arange(60.0, dtype=np.float32))


def test_unsupported_ops_are_listed_in_one_error() -> None:
    class Unsupported(nn.Module):
        def forward(self, x: Any) -> Any:
            values, _ = torch.sort(x, dim=-1)
            return torch.cumsum(values, dim=0) + torch.cumsum(x, dim=1).relu()

    program = torch.export.export(Unsupported(), (rand(3, 4),))
    with pytest.raises(UnsupportedOpsError) as info:
        import_exported_program(program)
    assert info.value.ops == {"aten.cumsum.default": 2, "aten.sort.default": 1}
    assert str(info.value) == (
        "2 unsupported torch ops: aten.cumsum.default x2 (first: 'cumsum'), "
        "aten.sort.default x1 (first: 'sort')"
    )


def test_training_mode_dropout_is_rejected() -> None:
    program = torch.export.export(nn.Dropout(0.5).train(), (rand(3, 4),))
    with pytest.raises(TorchImportError, match="training mode"):
        import_exported_program(program)


def test_import_xunity_does_not_import_torch() -> None:
    code = "import sys, xunity, xunity.frontends; print('torch' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
