"""conv2d / max_pool2d / avg_pool2d kernels vs numpy references, end to end
through `xunity.compile`.

Tolerances: f32 rtol 1e-5 (atol 1e-5 for sums that cancel), f16 1e-2 (inputs
in [-1, 1]; the kernels accumulate in f32 and round once), integers exact.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import pytest
from legalize_harness import RNG, check, compiled, random_array, run
from xdsl.dialects.builtin import f16, f32, i1, i32
from xdsl.ir import Attribute

from xunity.dialects.graph.conv import AvgPool2dOp, Conv2dOp, MaxPool2dOp
from xunity.dialects.graph.types import TensorType

Dim = int | str
ELEMENT: dict[str, Attribute] = {"f32": f32, "f16": f16, "i32": i32, "i1": i1}

# Inputs in [-1, 1] (the tolerances assume it); small integers; sparse booleans.
random = functools.partial(
    random_array, ints=(-5, 6), true_fraction=0.3, unit_floats=True
)


# ------------------------------------------------------------------ programs
def window_attrs(
    strides: Sequence[int], padding: Sequence[int], dilation: Sequence[int]
) -> str:
    return (
        f"strides = {list(strides)} padding = {list(padding)} "
        f"dilation = {list(dilation)}"
    )


def conv_program(
    x: Sequence[Dim],
    w: Sequence[Dim],
    bias: bool,
    dtype: str,
    strides: Sequence[int],
    padding: Sequence[int],
    dilation: Sequence[int],
    groups: int,
) -> str:
    el = ELEMENT[dtype]
    tx, tw = TensorType(x, el), TensorType(w, el)
    tb = TensorType([w[0]], el) if bias else None
    ty = Conv2dOp.infer_from(tx, tw, tb, strides, padding, dilation, groups)
    args = f"%x: {tx}, %w: {tw}" + (f", %b: {tb}" if bias else "")
    operands = "%x, %w" + (", %b" if bias else "")
    types = f"{tx}, {tw}" + (f", {tb}" if bias else "")
    return f"""
func.func @main({args}) -> {ty} {{
  %y = graph.conv2d {operands} {window_attrs(strides, padding, dilation)}
      groups = {groups} : {types} -> {ty}
  func.return %y : {ty}
}}
"""


def pool_program(
    op: str,
    x: Sequence[Dim],
    dtype: str,
    kernel: Sequence[int],
    strides: Sequence[int],
    padding: Sequence[int],
    dilation: Sequence[int],
) -> str:
    cls = MaxPool2dOp if op == "max_pool2d" else AvgPool2dOp
    tx = TensorType(x, ELEMENT[dtype])
    ty = cls.infer_from(tx, kernel, strides, padding, dilation)
    return f"""
func.func @main(%x: {tx}) -> {ty} {{
  %y = graph.{op} %x kernel = {list(kernel)} {window_attrs(strides, padding, dilation)}
      : {tx} -> {ty}
  func.return %y : {ty}
}}
"""


# ------------------------------------------------------------------ references
def windows(
    x: np.ndarray,
    kernel: Sequence[int],
    strides: Sequence[int],
    padding: Sequence[int],
    dilation: Sequence[int],
    fill: float | int | bool,
) -> np.ndarray:
    """[N, C, OH, OW, KH, KW] window elements of x padded with `fill`."""
    pt, pl, pb, pr = padding
    padded = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)), constant_values=fill)
    out = [
        (padded.shape[2 + a] - dilation[a] * (kernel[a] - 1) - 1) // strides[a] + 1
        for a in range(2)
    ]
    result = np.empty((*x.shape[:2], *out, *kernel), dtype=x.dtype)
    for kh in range(kernel[0]):
        for kw in range(kernel[1]):
            h0, w0 = kh * dilation[0], kw * dilation[1]
            result[..., kh, kw] = padded[
                :,
                :,
                h0 : h0 + strides[0] * (out[0] - 1) + 1 : strides[0],
                w0 : w0 + strides[1] * (out[1] - 1) + 1 : strides[1],
            ]
    return result


def conv2d_ref(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None,
    strides: Sequence[int],
    padding: Sequence[int],
    dilation: Sequence[int],
    groups: int,
) -> np.ndarray:
    wide = np.int64 if x.dtype.kind == "i" else np.float64
    x, w = x.astype(wide), w.astype(wide)
    out_channels, in_per_group = w.shape[:2]
    out_per_group = out_channels // groups
    patches = windows(x, w.shape[2:], strides, padding, dilation, 0)
    parts = [
        np.einsum(
            "ncyxhw,ochw->noyx",
            patches[:, g * in_per_group : (g + 1) * in_per_group],
            w[g * out_per_group : (g + 1) * out_per_group],
        )
        for g in range(groups)
    ]
    out = np.concatenate(parts, axis=1)
    if b is not None:
        out = out + b.astype(wide)[None, :, None, None]
    return out


def max_pool2d_ref(x: np.ndarray, *window: Sequence[int]) -> np.ndarray:
    if x.dtype == np.bool_:
        fill: float | int | bool = False
    elif x.dtype.kind == "i":
        fill = int(np.iinfo(x.dtype).min)
    else:
        fill = -np.inf
    return windows(x, *window, fill=fill).max(axis=(-2, -1))


def avg_pool2d_ref(x: np.ndarray, *window: Sequence[int]) -> np.ndarray:
    sums = windows(x.astype(np.float64), *window, fill=0.0).sum(axis=(-2, -1))
    ones = np.ones_like(x, dtype=np.float64)
    counts = windows(ones, *window, fill=0.0).sum(axis=(-2, -1))
    with np.errstate(invalid="ignore"):
        return sums / counts


# ------------------------------------------------------------------ conv2d
CONV_CONFIGS = [
    # (in channels, weight, bias, strides, padding, dilation, groups)
    pytest.param(3, (4, 3, 1, 1), False, (1, 1), (0, 0, 0, 0), (1, 1), 1, id="1x1"),
    pytest.param(3, (4, 3, 3, 3), True, (2, 2), (1, 1, 1, 1), (1, 1), 1, id="s2p1"),
    pytest.param(
        2, (3, 2, 3, 2), True, (1, 2), (2, 0, 1, 3), (2, 1), 1, id="asym_dilated"
    ),
    pytest.param(4, (6, 2, 3, 3), True, (1, 1), (1, 1, 1, 1), (1, 1), 2, id="groups"),
    pytest.param(4, (8, 1, 3, 3), False, (1, 1), (1, 1, 1, 1), (1, 1), 4, id="dw"),
]


@pytest.mark.parametrize(
    "channels, weight, bias, strides, padding, dilation, groups", CONV_CONFIGS
)
def test_conv2d_f32_symbolic_sizes(
    channels: int,
    weight: tuple[int, int, int, int],
    bias: bool,
    strides: tuple[int, int],
    padding: tuple[int, int, int, int],
    dilation: tuple[int, int],
    groups: int,
) -> None:
    window = (strides, padding, dilation)
    exe = compiled(
        conv_program(["n", channels, "h", "w"], weight, bias, "f32", *window, groups)
    )
    for n, h, w in ((2, 7, 9), (1, 5, 4)):
        x = random((n, channels, h, w), "f32")
        wt = random(weight, "f32")
        b = random(weight[:1], "f32") if bias else None
        args = (x, wt) if b is None else (x, wt, b)
        check(run(exe, *args), conv2d_ref(x, wt, b, *window, groups=groups), "f32")


def test_conv2d_empty_batch_and_unit_spatial() -> None:
    """n = 0 gives an empty output; a 1x1 image under a padded 3x3 kernel
    reads only its centre."""
    window = ((1, 1), (1, 1, 1, 1), (1, 1))
    exe = compiled(
        conv_program(["n", 2, "h", "w"], (3, 2, 3, 3), True, "f32", *window, 1)
    )
    for n, h, w in ((0, 4, 4), (1, 1, 1), (2, 1, 3)):
        x = random((n, 2, h, w), "f32")
        wt, b = random((3, 2, 3, 3), "f32"), random((3,), "f32")
        check(run(exe, x, wt, b), conv2d_ref(x, wt, b, *window, groups=1), "f32")


def test_conv2d_zero_input_channels_gives_bias() -> None:
    window = ((1, 1), (0, 0, 0, 0), (1, 1))
    exe = compiled(
        conv_program([1, "c", 4, 4], (2, "c", 3, 3), True, "f32", *window, 1)
    )
    x, wt, b = (
        random((1, 0, 4, 4), "f32"),
        random((2, 0, 3, 3), "f32"),
        random((2,), "f32"),
    )
    out = run(exe, x, wt, b)
    check(out, np.broadcast_to(b[None, :, None, None], (1, 2, 2, 2)), "f32")


@pytest.mark.parametrize("dtype", ["f16", "i32"])
def test_conv2d_other_dtypes(dtype: str) -> None:
    window = ((2, 1), (1, 2, 1, 0), (1, 2))
    exe = compiled(conv_program([2, 4, "h", 6], (4, 2, 3, 3), True, dtype, *window, 2))
    for h in (5, 8):
        x, wt = random((2, 4, h, 6), dtype), random((4, 2, 3, 3), dtype)
        b = random((4,), dtype)
        check(run(exe, x, wt, b), conv2d_ref(x, wt, b, *window, groups=2), dtype)


# ------------------------------------------------------------------ pooling
POOL_CONFIGS = [
    # (kernel, strides, padding, dilation)
    pytest.param((2, 2), (2, 2), (0, 0, 0, 0), (1, 1), id="k2s2"),
    pytest.param((3, 3), (2, 2), (1, 1, 1, 1), (1, 1), id="k3s2p1"),
    pytest.param((3, 2), (1, 2), (1, 0, 2, 1), (2, 1), id="asym_dilated"),
]


@pytest.mark.parametrize("op", ["max_pool2d", "avg_pool2d"])
@pytest.mark.parametrize("kernel, strides, padding, dilation", POOL_CONFIGS)
def test_pool_f32_symbolic_sizes(
    op: str,
    kernel: tuple[int, int],
    strides: tuple[int, int],
    padding: tuple[int, int, int, int],
    dilation: tuple[int, int],
) -> None:
    window = (kernel, strides, padding, dilation)
    ref = max_pool2d_ref if op == "max_pool2d" else avg_pool2d_ref
    exe = compiled(pool_program(op, ["n", 3, "h", "w"], "f32", *window))
    for n, h, w in ((2, 8, 7), (1, 5, 6), (0, 5, 5)):
        x = random((n, 3, h, w), "f32")
        check(run(exe, x), ref(x, *window), "f32")


@pytest.mark.parametrize("dtype", ["f16", "i32", "i1"])
def test_max_pool2d_other_dtypes(dtype: str) -> None:
    window = ((3, 3), (2, 2), (1, 1, 1, 1), (1, 1))
    exe = compiled(pool_program("max_pool2d", [1, 2, "h", "h"], dtype, *window))
    for h in (1, 6):
        x = random((1, 2, h, h), dtype)
        check(run(exe, x), max_pool2d_ref(x, *window), dtype)


def test_max_pool2d_negative_inputs_beat_padding() -> None:
    window = ((3, 3), (1, 1), (1, 1, 1, 1), (1, 1))
    exe = compiled(pool_program("max_pool2d", [1, 1, 3, 3], "f32", *window))
    x = -1.0 - RNG.random((1, 1, 3, 3)).astype(np.float32)
    check(run(exe, x), max_pool2d_ref(x, *window), "f32")


def test_avg_pool2d_f16_and_unit_image() -> None:
    window = ((3, 3), (1, 1), (1, 1, 1, 1), (1, 1))
    exe = compiled(pool_program("avg_pool2d", [2, 3, "h", "w"], "f16", *window))
    for h, w in ((1, 1), (6, 5)):
        x = random((2, 3, h, w), "f16")
        check(run(exe, x), avg_pool2d_ref(x, *window), "f16")


def test_avg_pool2d_window_wholly_in_padding_is_nan() -> None:
    window = ((1, 1), (1, 1), (1, 1, 0, 0), (1, 1))
    exe = compiled(pool_program("avg_pool2d", [1, 1, 2, 2], "f32", *window))
    out = run(exe, np.ones((1, 1, 2, 2), np.float32))
    assert np.isnan(out[0, 0, 0]).all() and np.isnan(out[0, 0, :, 0]).all()
    np.testing.assert_array_equal(out[0, 0, 1:, 1:], 1.0)
