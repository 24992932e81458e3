"""attention / rotary kernels vs numpy references, end to end through
`xunity.compile`.

Tolerances: f32 rtol/atol 1e-5, f16 1e-2 (inputs in [-1, 1]; the kernels
compute in f32 and round once).  A query row that sees no key outputs zeros.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import pytest
from legalize_harness import DTYPES, RNG, check, compiled, random_array, run
from xdsl.dialects.builtin import f16, f32, i1
from xdsl.ir import Attribute

from xunity.dialects.graph.attention import AttentionOp
from xunity.dialects.graph.types import TensorType
from xunity.ir.symbolic import SymExpr

Dim = int | str | SymExpr
ELEMENT: dict[str, Attribute] = {"f32": f32, "f16": f16, "i1": i1}

# Inputs in [-1, 1] (the tolerances assume it); i1 masks keep ~70% of the keys.
random = functools.partial(random_array, true_fraction=0.7, unit_floats=True)


# ------------------------------------------------------------------ programs
def attention_program(
    q: Sequence[Dim],
    kv: Sequence[Dim],
    dtype: str,
    mask: tuple[Sequence[Dim], str] | None = None,
    causal: bool = False,
    scale: float | None = None,
) -> str:
    el = ELEMENT[dtype]
    tq, tk = TensorType(q, el), TensorType(kv, el)
    tm = None if mask is None else TensorType(mask[0], ELEMENT[mask[1]])
    ty = AttentionOp.infer_from(tq, tk, tk, tm)
    args = f"%q: {tq}, %k: {tk}, %v: {tk}" + (f", %m: {tm}" if tm else "")
    attrs = (" mask %m" if tm else "") + (" causal" if causal else "")
    attrs += f" scale = {scale:e}" if scale is not None else ""
    types = f"{tq}, {tk}, {tk}" + (f", {tm}" if tm else "")
    return f"""
func.func @main({args}) -> {ty} {{
  %o = graph.attention %q, %k, %v{attrs} : {types} -> {ty}
  func.return %o : {ty}
}}
"""


def rotary_program(x: Sequence[Dim], table: Sequence[Dim], dtype: str) -> str:
    tx, tt = TensorType(x, ELEMENT[dtype]), TensorType(table, ELEMENT[dtype])
    return f"""
func.func @main(%x: {tx}, %c: {tt}, %s: {tt}) -> {tx} {{
  %y = graph.rotary %x, %c, %s : {tx}, {tt}, {tt}
  func.return %y : {tx}
}}
"""


# ------------------------------------------------------------------ references
def attention_ref(
    q: np.ndarray,
    k: np.ndarray,
    v: np.ndarray,
    mask: np.ndarray | None = None,
    causal: bool = False,
    scale: float | None = None,
) -> np.ndarray:
    q, k, v = (a.astype(np.float64) for a in (q, k, v))
    batch, seq_q, heads, head_dim = q.shape
    seq_kv, kv_heads = k.shape[1], k.shape[2]
    group = heads // kv_heads if kv_heads else 1
    k, v = np.repeat(k, group, axis=2), np.repeat(v, group, axis=2)
    if scale is None:
        scale = 1.0 / np.sqrt(max(head_dim, 1))
    scores = np.einsum("bihd,bjhd->bhij", q, k) * scale
    keep = np.ones((batch, heads, seq_q, seq_kv), dtype=bool)
    if mask is not None and mask.dtype == np.bool_:
        keep &= np.broadcast_to(mask, keep.shape)
    elif mask is not None:
        scores = scores + mask.astype(np.float64)
    if causal:
        i = np.arange(seq_q)[:, None]
        j = np.arange(seq_kv)[None, :]
        keep &= j <= i + seq_kv - seq_q
    scores = np.where(keep, scores, -np.inf)
    top = scores.max(axis=-1, keepdims=True, initial=-np.inf)
    top = np.where(np.isneginf(top), 0.0, top)
    p = np.exp(scores - top)
    total = p.sum(axis=-1, keepdims=True)
    p = np.divide(p, total, out=np.zeros_like(p), where=total > 0)
    return np.einsum("bhij,bjhe->bihe", p, v)


def rotary_ref(x: np.ndarray, cos: np.ndarray, sin: np.ndarray) -> np.ndarray:
    x, cos, sin = (a.astype(np.float64) for a in (x, cos, sin))
    if cos.ndim == 2:
        cos, sin = cos[None, :, None, :], sin[None, :, None, :]
    half = x.shape[-1] // 2
    rotated = np.concatenate([-x[..., half:], x[..., :half]], axis=-1)
    return x * cos + rotated * sin


# ------------------------------------------------------------------ attention
@pytest.mark.parametrize("kv_heads", [4, 2, 1])
def test_attention_f32_grouped_heads_symbolic_sizes(kv_heads: int) -> None:
    exe = compiled(attention_program(["b", "n", 4, 8], ["b", "m", kv_heads, 8], "f32"))
    for b, n, m in ((2, 5, 7), (1, 1, 3), (1, 4, 1)):
        q = random((b, n, 4, 8), "f32")
        k, v = random((b, m, kv_heads, 8), "f32"), random((b, m, kv_heads, 8), "f32")
        check(run(exe, q, k, v), attention_ref(q, k, v), "f32")


def test_attention_causal_is_bottom_right_aligned() -> None:
    """n < m is KV-cache decoding; n > m leaves the first n - m rows seeing
    no key, which output zeros."""
    exe = compiled(
        attention_program([1, "n", 2, 8], [1, "m", 2, 8], "f32", causal=True)
    )
    for n, m in ((3, 7), (5, 5), (6, 3), (1, 1)):
        q = random((1, n, 2, 8), "f32")
        k, v = random((1, m, 2, 8), "f32"), random((1, m, 2, 8), "f32")
        out = run(exe, q, k, v)
        check(out, attention_ref(q, k, v, causal=True), "f32")
        if n > m:
            assert not out[:, : n - m].any()


def test_attention_bool_mask_broadcasts_and_masked_rows_are_zero() -> None:
    exe = compiled(
        attention_program(
            ["b", "n", 2, 8], ["b", "m", 1, 8], "f32", mask=(["n", "m"], "i1")
        )
    )
    for b, n, m in ((2, 4, 6), (1, 3, 2)):
        q = random((b, n, 2, 8), "f32")
        k, v = random((b, m, 1, 8), "f32"), random((b, m, 1, 8), "f32")
        mask = random((n, m), "i1")
        mask[0] = False
        out = run(exe, q, k, v, mask)
        check(out, attention_ref(q, k, v, mask), "f32")
        assert not out[:, 0].any()


def test_attention_bool_mask_with_causal() -> None:
    exe = compiled(
        attention_program(
            [1, "n", 2, 4],
            [1, "m", 2, 4],
            "f32",
            mask=([1, 2, "n", "m"], "i1"),
            causal=True,
        )
    )
    q = random((1, 4, 2, 4), "f32")
    k, v = random((1, 6, 2, 4), "f32"), random((1, 6, 2, 4), "f32")
    mask = random((1, 2, 4, 6), "i1")
    check(run(exe, q, k, v, mask), attention_ref(q, k, v, mask, causal=True), "f32")


def test_attention_additive_mask_and_explicit_scale() -> None:
    exe = compiled(
        attention_program(
            ["b", "n", 2, 8],
            ["b", "m", 2, 8],
            "f32",
            mask=(["b", 1, "n", "m"], "f32"),
            scale=0.3,
        )
    )
    for b, n, m in ((2, 3, 5), (1, 2, 2)):
        q = random((b, n, 2, 8), "f32")
        k, v = random((b, m, 2, 8), "f32"), random((b, m, 2, 8), "f32")
        mask = random((b, 1, n, m), "f32") * 4
        mask[..., 0] = -np.inf  # -inf biases behave like masked keys
        check(run(exe, q, k, v, mask), attention_ref(q, k, v, mask, scale=0.3), "f32")


def test_attention_symbolic_head_dim() -> None:
    exe = compiled(attention_program([1, 3, 2, "d"], [1, 4, 2, "d"], "f32"))
    for d in (16, 5, 0):
        q = random((1, 3, 2, d), "f32")
        k, v = random((1, 4, 2, d), "f32"), random((1, 4, 2, d), "f32")
        check(run(exe, q, k, v), attention_ref(q, k, v), "f32")


def test_attention_empty_sequences() -> None:
    """seq_kv = 0: every row sees nothing (zeros); seq_q = 0: empty output."""
    exe = compiled(attention_program([2, "n", 2, 4], [2, "m", 2, 4], "f32"))
    for n, m in ((3, 0), (0, 3)):
        q = random((2, n, 2, 4), "f32")
        k, v = random((2, m, 2, 4), "f32"), random((2, m, 2, 4), "f32")
        check(run(exe, q, k, v), attention_ref(q, k, v), "f32")


def test_attention_f16_large_scores_are_stable() -> None:
    exe = compiled(
        attention_program(["b", "n", 4, 16], ["b", "n", 2, 16], "f16", causal=True)
    )
    for b, n in ((1, 6), (2, 3)):
        q = random((b, n, 4, 16), "f16") * np.float16(8)  # scores up to ~256
        k, v = random((b, n, 2, 16), "f16"), random((b, n, 2, 16), "f16")
        check(run(exe, q, k, v), attention_ref(q, k, v, causal=True), "f16")


def test_attention_symbolic_grouped_heads() -> None:
    """heads = 2 * g query heads over g kv heads, g known only at run time."""
    heads = SymExpr.of("g") * 2
    exe = compiled(attention_program([1, "n", heads, 4], [1, "n", "g", 4], "f32"))
    for n, g in ((3, 2), (2, 1), (2, 0)):
        q = random((1, n, 2 * g, 4), "f32")
        k, v = random((1, n, g, 4), "f32"), random((1, n, g, 4), "f32")
        check(run(exe, q, k, v), attention_ref(q, k, v), "f32")


# ------------------------------------------------------------------ rotary
@pytest.mark.parametrize("dtype", ["f32", "f16"])
@pytest.mark.parametrize("table", [["n", 8], [1, "n", 1, 8], ["b", "n", 3, 8]])
def test_rotary(dtype: str, table: list[int | str]) -> None:
    exe = compiled(rotary_program(["b", "n", 3, 8], table, dtype))
    for b, n in ((2, 5), (1, 1), (1, 0)):
        sizes = {"b": b, "n": n}
        shape = [sizes[d] if isinstance(d, str) else int(d) for d in table]
        angles = RNG.uniform(0, 2 * np.pi, size=shape)
        cos, sin = (
            np.cos(angles).astype(DTYPES[dtype]),
            np.sin(angles).astype(DTYPES[dtype]),
        )
        x = random((b, n, 3, 8), dtype)
        check(run(exe, x, cos, sin), rotary_ref(x, cos, sin), dtype)


def test_rotary_symbolic_head_dim() -> None:
    """head_dim = 2 * h; an unused [h] argument binds h for the graph function
    (its kernel, which sees h only inside 2 * h, gets no packed entry of its own)."""
    tx = TensorType([1, "n", 2, SymExpr.of("h") * 2], f32)
    tt = TensorType(["n", SymExpr.of("h") * 2], f32)
    th = TensorType(["h"], f32)
    exe = compiled(f"""
func.func @main(%x: {tx}, %c: {tt}, %s: {tt}, %h: {th}) -> {tx} {{
  %y = graph.rotary %x, %c, %s : {tx}, {tt}, {tt}
  func.return %y : {tx}
}}
""")
    for n, h in ((3, 4), (2, 1)):
        x = random((1, n, 2, 2 * h), "f32")
        cos, sin = random((n, 2 * h), "f32"), random((n, 2 * h), "f32")
        out = run(exe, x, cos, sin, np.zeros(h, np.float32))
        check(out, rotary_ref(x, cos, sin), "f32")
