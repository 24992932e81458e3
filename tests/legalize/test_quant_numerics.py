"""graph.quant_matmul and graph.quant_take vs numpy on the dequantised weight.

Weights are random GGUF-style blocks (f16 scales and mins, codes over their
whole range) packed by `pack_quant_weight`; the reference dequantises them
with numpy (`dequantize_packed`, checked against the blocks' own formula)
and multiplies in f64.  Tolerance: rtol = atol = 1e-5 relative to the
largest |reference| (the kernels sum per block, d * sum(q x) + m * sum(x),
in another order than the reference); a q4 GEMV (at most 5 rows) rounds
the activations to int16 per block (xunity/strategies/quant_dot.py), so
there atol = 1e-4 of the largest |reference| (measured: up to 4e-5).  The
row count is symbolic, so one
compiled module per (format, K, N) runs every n: the few-row and many-row
paths that a strategy picks at run time, and the generic rule (strategies
off) on the same shapes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import gguf
import numpy as np
import pytest
from legalize_harness import run
from xdsl.dialects.builtin import StringAttr

import xunity
import xunity.strategies as strategies
from xunity.frontends.weights.gguf import GGUFFile
from xunity.runtime.executable import Executable
from xunity.strategies.quant_gemv import QUANT_GEMV_MAX_ROWS
from xunity.strategies.quant_packing import (
    PackedQuantWeight,
    dequantize_packed,
    pack_quant_weight,
)

RNG = np.random.default_rng(11)
TOLERANCE = 1e-5
INT16_TOLERANCE = 1e-4
FORMATS = ("q8_0", "q4_0", "q4_1")
ROWS = (1, 2, 3, 7, 64, 130)
SHAPES = [(32, 50), (64, 97), (576, 160)]
"""(K, N): one block, two, SmolLM's 18; N never a multiple of 16 or 48."""


def random_blocks(fmt: str, rows: int, depth: int):
    """scales, mins, codes as QuantBlocks holds them (q4_0 codes centred)."""
    blocks = depth // 32
    scales = RNG.uniform(0.001, 0.05, (rows, blocks)).astype(np.float16)
    mins = None
    if fmt == "q8_0":
        codes = RNG.integers(-127, 128, (rows, blocks, 32))
    elif fmt == "q4_0":
        codes = RNG.integers(-8, 8, (rows, blocks, 32))
    else:
        codes = RNG.integers(0, 16, (rows, blocks, 32))
        mins = RNG.uniform(-0.2, 0.0, (rows, blocks)).astype(np.float16)
    return scales, mins, codes.astype(np.int8)


def random_weight(fmt: str, rows: int, depth: int) -> PackedQuantWeight:
    return pack_quant_weight(fmt, *random_blocks(fmt, rows, depth))


def _type(shape: tuple[int, ...] | list[str], dtype: str) -> str:
    return f"!graph.tensor<[{', '.join(map(str, shape))}], {dtype}>"


def _parts(weight: PackedQuantWeight) -> tuple[list[str], list[str]]:
    """The operand names of the weight's parts, and their types."""
    names = ["%codes", "%scales", "%mins"][: len(weight.parts)]
    types = [
        _type(p.shape, "i8" if p.dtype == np.int8 else "f16") for p in weight.parts
    ]
    return names, types


def _main(first: str, first_type: str, op: str, weight: PackedQuantWeight, out: str):
    names, types = _parts(weight)
    params = ", ".join(f"{n}: {t}" for n, t in zip(names, types, strict=True))
    return (
        f"func.func @main({first}: {first_type}, {params}) -> {out} {{\n"
        f'  %y = {op} {first}, {", ".join(names)} format = "{weight.format}" '
        f"rows = {weight.rows} : {first_type}, {', '.join(types)} -> {out}\n"
        f"  func.return %y : {out}\n}}\n"
    )


def matmul_program(weight: PackedQuantWeight, lhs: list[str]) -> str:
    depth = weight.codes.shape[1] * 32
    x, out = _type([*lhs, str(depth)], "f32"), _type([*lhs, str(weight.rows)], "f32")
    return _main("%x", x, "graph.quant_matmul", weight, out)


@contextmanager
def generic_rules_only() -> Iterator[None]:
    saved = strategies.KERNEL_STRATEGIES
    strategies.KERNEL_STRATEGIES = ()
    try:
        yield
    finally:
        strategies.KERNEL_STRATEGIES = saved


def compile_program(program: str, generic: bool = False) -> Executable:
    """Legalized here, so that the compile cache keys on the kernels built."""
    if generic:
        with generic_rules_only():
            return xunity.compile(xunity.legalize(program))
    return xunity.compile(xunity.legalize(program))


def check_matmul(
    exe: Executable, weight: PackedQuantWeight, x: np.ndarray, exact: bool = False
) -> None:
    """`exact`: f32 arithmetic throughout (the generic rule), whatever the rows."""
    out = run(exe, x, *weight.parts)
    w = dequantize_packed(weight).astype(np.float64)
    ref = x.astype(np.float64) @ w.T
    assert out.shape == ref.shape
    scale = max(1.0, float(np.abs(ref).max(initial=0.0)))
    int16 = weight.format != "q8_0" and x.shape[-2] <= QUANT_GEMV_MAX_ROWS
    if int16 and not exact:
        np.testing.assert_allclose(out, ref, rtol=0, atol=INT16_TOLERANCE * scale)
    else:
        np.testing.assert_allclose(out, ref, rtol=TOLERANCE, atol=TOLERANCE * scale)


@pytest.mark.parametrize("fmt", FORMATS)
def test_packing_round_trips_the_block_formula(fmt: str) -> None:
    """dequantize_packed (the reference) is d * q (+ m) of the original
    blocks; the last panel's padding rows are zero."""
    scales, mins, codes = random_blocks(fmt, 50, 64)
    weight = pack_quant_weight(fmt, scales, mins, codes)
    want = codes.astype(np.float32) * scales.astype(np.float32)[..., None]
    if mins is not None:
        want += mins.astype(np.float32)[..., None]
    np.testing.assert_array_equal(dequantize_packed(weight), want.reshape(50, 64))
    assert weight.codes.shape[0] == 2 and not weight.codes[1, :, :, 2:].any()
    assert not weight.scales[1, :, 2:].any()


@pytest.mark.parametrize("fmt", FORMATS)
def test_weight_from_a_gguf_file(tmp_path: Path, fmt: str) -> None:
    """A tensor quantised by the gguf package (llama.cpp's converters), read
    back as blocks and packed: the reference equals the file's dequantised
    tensor, and the kernel multiplies by it."""
    qtype = gguf.GGMLQuantizationType[fmt.upper()]
    values = RNG.standard_normal((100, 96)).astype(np.float32)
    path = tmp_path / "w.gguf"
    writer = gguf.GGUFWriter(path, "llama")
    writer.add_tensor("w", gguf.quants.quantize(values, qtype), raw_dtype=qtype)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    file = GGUFFile(path)
    blocks = file.quant_blocks("w")
    weight = pack_quant_weight(fmt, blocks.scales, blocks.mins, blocks.codes)
    np.testing.assert_array_equal(dequantize_packed(weight), file.tensor("w"))
    exe = compile_program(matmul_program(weight, ["n"]))
    check_matmul(exe, weight, RNG.standard_normal((3, 96), dtype=np.float32))


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("depth", "rows"), SHAPES)
def test_quant_matmul(fmt: str, depth: int, rows: int) -> None:
    weight = random_weight(fmt, rows, depth)
    exe = compile_program(matmul_program(weight, ["n"]))
    for n in ROWS:
        check_matmul(exe, weight, RNG.standard_normal((n, depth), dtype=np.float32))


@pytest.mark.parametrize(
    ("fmt", "rows", "strategy"),
    [
        ("q8_0", 1, "quant-gemv"),
        ("q4_0", 1, "quant-gemv"),
        ("q4_1", 1, "quant-gemv"),
        ("q4_1", 5, "quant-gemv"),
        ("q4_1", 6, "quant-gemm"),
    ],
)
def test_quant_matmul_static_rows(fmt: str, rows: int, strategy: str) -> None:
    """A static row count picks the strategy at compile time."""
    weight = random_weight(fmt, 160, 576)
    module = xunity.legalize(matmul_program(weight, [str(rows)]))
    kernel = next(iter(xunity.kernels(module).values()))
    assert kernel.attributes["tir.scheduled"] == StringAttr(strategy)
    exe = xunity.compile(module)
    check_matmul(exe, weight, RNG.standard_normal((rows, 576), dtype=np.float32))


@pytest.mark.parametrize("fmt", ["q4_0", "q4_1"])
def test_q4_gemv_activation_blocks_scaled_apart(fmt: str) -> None:
    """The int16 rounding scales each 32-element block by its own largest
    magnitude: an all-zero block (scale 0), a block of 1e-4s next to one of
    1e4s, and a lone negative extreme all stay within the int16 tolerance."""
    weight = random_weight(fmt, 160, 128)
    exe = compile_program(matmul_program(weight, ["1"]))
    x = RNG.standard_normal((1, 128), dtype=np.float32)
    x[0, :32] = 0.0
    x[0, 32:64] *= 1e-4
    x[0, 64:96] *= 1e4
    x[0, 100] = -3e4
    check_matmul(exe, weight, x)


@pytest.mark.parametrize("fmt", ["q4_0", "q4_1"])
def test_q4_gemv_propagates_nan(fmt: str) -> None:
    """A NaN activation makes every output NaN, as in the f32 product."""
    weight = random_weight(fmt, 100, 96)
    exe = compile_program(matmul_program(weight, ["1"]))
    x = RNG.standard_normal((1, 96), dtype=np.float32)
    x[0, 40] = np.nan
    out = run(exe, x, *weight.parts)
    assert np.isnan(out).all()


@pytest.mark.parametrize("fmt", FORMATS)
def test_quant_matmul_generic_rule(fmt: str) -> None:
    weight = random_weight(fmt, 97, 64)
    exe = compile_program(matmul_program(weight, ["n"]), generic=True)
    for n in (1, 7, 130):
        x = RNG.standard_normal((n, 64), dtype=np.float32)
        check_matmul(exe, weight, x, exact=True)


def test_quant_matmul_many_rows() -> None:
    """More than 1024 rows: the GEMM's B panels dequantised once per
    (column, depth) block and shared by all tasks (fewer rows: each task
    dequantises its own)."""
    weight = random_weight("q4_1", 97, 64)
    exe = compile_program(matmul_program(weight, ["n"]))
    for n in (1024, 1100):
        check_matmul(exe, weight, RNG.standard_normal((n, 64), dtype=np.float32))


def test_quant_matmul_batch_dims() -> None:
    weight = random_weight("q4_1", 60, 64)
    exe = compile_program(matmul_program(weight, ["b", "n"]))
    for shape in ((2, 1, 64), (3, 5, 64), (2, 70, 64)):
        check_matmul(exe, weight, RNG.standard_normal(shape, dtype=np.float32))


@pytest.mark.parametrize("fmt", FORMATS)
def test_quant_take(fmt: str) -> None:
    weight = random_weight(fmt, 100, 64)
    ids_type, out = _type(["a", "b"], "i64"), _type(["a", "b", "64"], "f32")
    exe = compile_program(_main("%ids", ids_type, "graph.quant_take", weight, out))
    ids = np.array([[0, 5, 99], [-1, 200, -300]], np.int64)
    out = run(exe, ids, *weight.parts)
    rows = np.clip(np.where(ids < 0, ids + 100, ids), 0, 99)
    np.testing.assert_allclose(out, dequantize_packed(weight)[rows], rtol=1e-6)


def test_tied_embedding_and_lm_head() -> None:
    """One q8_0 table serves as the embedding (quant_take) and, tied, as the
    [vocab, hidden] weight of the LM head (quant_matmul)."""
    table = random_weight("q8_0", 150, 64)
    names, types = _parts(table)
    hidden, logits = _type(["n", "64"], "f32"), _type(["n", "150"], "f32")
    ids_type = _type(["n"], "i32")
    parts, part_types = ", ".join(names), ", ".join(types)
    params = ", ".join(f"{n}: {t}" for n, t in zip(names, types, strict=True))
    attrs = 'format = "q8_0" rows = 150'
    program = (
        f"func.func @main(%ids: {ids_type}, {params}) -> {logits} {{\n"
        f"  %h = graph.quant_take %ids, {parts} {attrs} : {ids_type}, {part_types} "
        f"-> {hidden}\n"
        f"  %y = graph.quant_matmul %h, {parts} {attrs} : {hidden}, {part_types} "
        f"-> {logits}\n"
        f"  func.return %y : {logits}\n}}\n"
    )
    exe = compile_program(program)
    ids = np.array([3, 149, 0, 77], np.int32)
    w = dequantize_packed(table).astype(np.float64)
    ref = w[ids] @ w.T
    out = run(exe, ids, *table.parts)
    scale = float(np.abs(ref).max())
    np.testing.assert_allclose(out, ref, rtol=TOLERANCE, atol=TOLERANCE * scale)
