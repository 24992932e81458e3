"""GGUF reader: numpy order, our dequantisation vs `gguf.quants`, metadata, errors.

Files are written with `gguf.GGUFWriter` and quantised with
`gguf.quants.quantize`, the package llama.cpp's converters use.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import gguf  # in the `test` extra (optional for users: xunity[models])
import numpy as np
import pytest
from gguf import GGMLQuantizationType as QT
from gguf import GGUFWriter

from xunity.frontends.weights import MissingTensorError, WeightFileError
from xunity.frontends.weights.gguf import GGUFFile, load_gguf
from xunity.strategies.quant_packing import pack_quant_bytes, pack_quant_weight

QUANTS = [QT.Q8_0, QT.Q4_0, QT.Q4_1]


def write_gguf(
    path: Path,
    tensors: dict[str, tuple[np.ndarray, QT]],
    add_metadata: Callable[[GGUFWriter], None] | None = None,
) -> Path:
    writer = GGUFWriter(path, "llama")
    if add_metadata is not None:
        add_metadata(writer)
    for name, (values, qtype) in tensors.items():
        if qtype in (QT.F32, QT.F16, QT.I32):
            writer.add_tensor(name, values)
        else:
            writer.add_tensor(
                name, gguf.quants.quantize(values, qtype), raw_dtype=qtype
            )
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def random(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def test_plain_tensors_in_numpy_order_as_views(tmp_path: Path):
    weight = random(3, 64)
    half = random(5, 2, seed=1).astype(np.float16)
    ids = np.arange(7, dtype=np.int32)
    path = write_gguf(
        tmp_path / "m.gguf",
        {"w": (weight, QT.F32), "h": (half, QT.F16), "ids": (ids, QT.I32)},
    )
    file = GGUFFile(path)
    # GGUF lists dims innermost first: ne = [64, 3] for a (3, 64) array.
    assert [int(d) for d in file.reader.tensors[0].shape] == [64, 3]
    assert file.tensor_info("w").shape == (3, 64)
    assert file.tensor_info("w").qtype == "F32"
    w = file.tensor("w")
    np.testing.assert_array_equal(w, weight)
    assert w.dtype == np.float32 and not w.flags.writeable
    assert np.shares_memory(w, file.reader.data)
    assert file.tensor("h").dtype == np.float16
    np.testing.assert_array_equal(file.tensor("h"), half)
    np.testing.assert_array_equal(file.tensor("ids"), ids)


@pytest.mark.parametrize("qtype", QUANTS, ids=lambda q: q.name)
def test_dequantize_matches_gguf_reference(tmp_path: Path, qtype: QT):
    values = random(2, 3, 96)
    path = write_gguf(tmp_path / "m.gguf", {"w": (values, qtype)})
    file = GGUFFile(path)
    ours = file.tensor("w")
    reference = gguf.quants.dequantize(file.reader.tensors[0].data, qtype)
    assert ours.dtype == np.float32 and ours.shape == (2, 3, 96)
    # Same operations in the same order as ggml's reference: bit-identical.
    np.testing.assert_array_equal(ours, reference)
    # And close to the original: half a quantisation step of each block's range.
    step = 2 * np.abs(values).max() / (255 if qtype == QT.Q8_0 else 15)
    np.testing.assert_allclose(ours, values, rtol=0, atol=step)


def test_q8_0_blocks_are_scales_and_int8_codes(tmp_path: Path):
    values = random(4, 64)
    file = GGUFFile(write_gguf(tmp_path / "m.gguf", {"w": (values, QT.Q8_0)}))
    blocks = file.quant_blocks("w")
    assert blocks.qtype == "Q8_0" and blocks.shape == (4, 64) and blocks.mins is None
    assert blocks.scales.dtype == np.float16 and blocks.scales.shape == (4, 2)
    assert blocks.codes.dtype == np.int8 and blocks.codes.shape == (4, 2, 32)
    assert np.shares_memory(blocks.codes, file.reader.data)
    assert blocks.code_bytes is blocks.codes  # Q8_0's bytes are its codes
    # ggml's Q8_0 scale maps each block's largest magnitude to +-127.
    assert (np.abs(blocks.codes).max(axis=-1) == 127).all()
    rebuilt = blocks.codes * blocks.scales.astype(np.float32)[..., None]
    np.testing.assert_array_equal(rebuilt.reshape(4, 64), file.tensor("w"))


def test_q4_0_codes_are_centred_nibbles(tmp_path: Path):
    values = random(2, 32)
    file = GGUFFile(write_gguf(tmp_path / "m.gguf", {"w": (values, QT.Q4_0)}))
    blocks = file.quant_blocks("w")
    assert blocks.codes.dtype == np.int8 and blocks.codes.shape == (2, 1, 32)
    assert blocks.codes.min() >= -8 and blocks.codes.max() <= 7
    assert blocks.mins is None
    # Element 0 is byte 0's low nibble, element 16 its high nibble.
    packed = file.reader.tensors[0].data.reshape(2, 18)[:, 2]
    np.testing.assert_array_equal(
        blocks.codes[:, 0, 0], (packed & 15).astype(np.int8) - 8
    )
    np.testing.assert_array_equal(
        blocks.codes[:, 0, 16], (packed >> 4).astype(np.int8) - 8
    )
    # The bytes as stored, a view of the file.
    assert blocks.code_bytes.dtype == np.uint8 and blocks.code_bytes.shape == (2, 1, 16)
    np.testing.assert_array_equal(blocks.code_bytes[:, 0, 0], packed)
    assert np.shares_memory(blocks.code_bytes, file.reader.data)


def test_q4_1_codes_scales_and_mins(tmp_path: Path):
    values = random(3, 64) + 2.0
    file = GGUFFile(write_gguf(tmp_path / "m.gguf", {"w": (values, QT.Q4_1)}))
    blocks = file.quant_blocks("w")
    assert blocks.codes.dtype == np.uint8 and blocks.codes.max() <= 15
    assert blocks.mins is not None and blocks.mins.shape == (3, 2)
    # Q4_1's min is the block minimum (rounded to f16).
    block_min = values.reshape(3, 2, 32).min(axis=-1)
    np.testing.assert_allclose(blocks.mins, block_min, rtol=1e-3)


@pytest.mark.parametrize("qtype", QUANTS, ids=lambda q: q.name)
def test_code_bytes_pack_as_the_codes(tmp_path: Path, qtype: QT):
    """The stored bytes are the panel layout's: packing them as they are
    (no unpacking) gives what packing the per-element codes gives."""
    path = write_gguf(tmp_path / "m.gguf", {"w": (random(100, 96), qtype)})
    blocks = GGUFFile(path).quant_blocks("w")
    fmt = qtype.name.lower()
    codes = pack_quant_weight(fmt, blocks.scales, blocks.mins, blocks.codes)
    stored = pack_quant_bytes(fmt, blocks.scales, blocks.mins, blocks.code_bytes)
    for part, same in zip(codes.parts, stored.parts, strict=True):
        assert part.dtype == same.dtype and part.flags.c_contiguous
        np.testing.assert_array_equal(part, same)


def test_release_drops_pages_not_values(tmp_path: Path):
    values = random(64, 1024)
    path = write_gguf(
        tmp_path / "m.gguf", {"w": (values, QT.F32), "q": (values, QT.Q4_1)}
    )
    file = GGUFFile(path)
    view, dequantized = file.tensor("w"), file.tensor("q")
    file.release("w")
    file.release("q")
    np.testing.assert_array_equal(view, values)  # read from the file again
    np.testing.assert_array_equal(file.tensor("q"), dequantized)
    file.release()
    np.testing.assert_array_equal(file.tensor("w"), values)


def test_bf16_widens_to_float32(tmp_path: Path):
    values = np.array([[1.0, -2.5, 2.0**-10, 3.0]], dtype=np.float32)
    path = tmp_path / "m.gguf"
    writer = GGUFWriter(path, "llama")
    writer.add_tensor("w", gguf.quants.quantize(values, QT.BF16), raw_dtype=QT.BF16)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    loaded = GGUFFile(path).tensor("w")
    assert loaded.dtype == np.float32 and loaded.shape == (1, 4)
    np.testing.assert_array_equal(loaded, values)


def llama_metadata(writer: GGUFWriter) -> None:
    writer.add_block_count(2)
    writer.add_embedding_length(64)
    writer.add_feed_forward_length(172)
    writer.add_head_count(4)
    writer.add_head_count_kv(2)
    writer.add_context_length(128)
    writer.add_rope_freq_base(500000.0)
    writer.add_rope_dimension_count(16)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_token_list(["<s>", "</s>", "a", "b"])


def test_model_config_is_typed_from_metadata(tmp_path: Path):
    path = write_gguf(tmp_path / "m.gguf", {}, llama_metadata)
    file = GGUFFile(path)
    config = file.config()
    assert config.architecture == "llama"
    assert (config.embedding_length, config.block_count) == (64, 2)
    assert (config.head_count, config.head_count_kv) == (4, 2)
    assert (config.feed_forward_length, config.context_length) == (172, 128)
    assert config.rope_freq_base == 500000.0 and config.rope_dimension_count == 16
    # Stored as float32; read back as the value that was written.
    assert config.rms_norm_eps == 1e-5
    assert config.layer_norm_eps is None
    assert config.vocab_size == 4
    assert file.tokens() == ["<s>", "</s>", "a", "b"]
    assert "llama.block_count" in file.metadata_keys()
    assert file.int_value("llama.block_count") == 2


def test_model_config_defaults(tmp_path: Path):
    def minimal(writer: GGUFWriter) -> None:
        writer.add_block_count(1)
        writer.add_embedding_length(8)
        writer.add_head_count(2)

    config = GGUFFile(write_gguf(tmp_path / "m.gguf", {}, minimal)).config()
    assert config.head_count_kv == 2 and config.rope_freq_base == 10000.0
    assert config.vocab_size is None and config.rms_norm_eps is None


def test_metadata_arrays_read_as_the_package_reads_them(tmp_path: Path):
    """Arrays are parsed as one view each (not two numpy arrays per item):
    every field's contents, whole and by index, are the stock reader's."""
    arrays = {
        "t.strings": ["<s>", "", "é ü", "日本", "a b", "Ġthe"],
        "t.ints": [3, -1, 7],
        "t.floats": [0.5, -1e-5, 3.25],
        "t.bools": [True, False, True],
        "t.nested": [[1, 2], [3], [4, 5, 6]],
        "t.one": ["only"],
    }

    def metadata(writer: GGUFWriter) -> None:
        writer.add_uint32("t.scalar", 5)
        writer.add_string("t.text", "hello")
        for key, value in arrays.items():
            writer.add_array(key, value)
        writer.add_array("t.uint8", b"\x00\xff")

    path = write_gguf(tmp_path / "m.gguf", {"w": (random(1, 32), QT.F32)}, metadata)
    ours, stock = GGUFFile(path).reader.fields, gguf.GGUFReader(path).fields
    assert list(ours) == list(stock)
    for key, field in stock.items():
        assert ours[key].types == field.types, key
        assert ours[key].contents() == field.contents(), key
        if field.types[0] == gguf.GGUFValueType.ARRAY:
            assert ours[key].contents(0) == field.contents(0), key
            assert ours[key].contents(-1) == field.contents(-1), key
            assert ours[key].contents(slice(1, 3)) == field.contents(slice(1, 3))
    file = GGUFFile(path)
    assert file.value("t.strings") == arrays["t.strings"]
    assert file.value("t.nested") == [1, 2, 3, 4, 5, 6]  # the package flattens


def test_load_gguf_returns_every_tensor(tmp_path: Path):
    path = write_gguf(
        tmp_path / "m.gguf",
        {"a": (random(2, 32), QT.F32), "b": (random(1, 32), QT.Q8_0)},
    )
    loaded = load_gguf(path)
    assert sorted(loaded) == ["a", "b"]
    assert loaded["b"].dtype == np.float32 and loaded["b"].shape == (1, 32)


def expect_error(path: Path, problem: str, action: Callable[[], object]) -> None:
    with pytest.raises(
        WeightFileError, match=f"^{re.escape(str(path))}: .*{re.escape(problem)}"
    ):
        action()


def test_wrong_magic(tmp_path: Path):
    path = tmp_path / "m.gguf"
    path.write_bytes(b"GGML" + bytes(60))
    expect_error(
        path,
        "not a GGUF file: magic is b'GGML', expected b'GGUF'",
        lambda: GGUFFile(path),
    )
    empty = tmp_path / "empty.gguf"
    empty.write_bytes(b"")
    expect_error(empty, "not a GGUF file: magic is b''", lambda: GGUFFile(empty))


def test_truncated_file(tmp_path: Path):
    good = write_gguf(
        tmp_path / "m.gguf", {"w": (random(3, 64), QT.F32)}, llama_metadata
    )
    content = good.read_bytes()
    for size in (6, 40, 200, len(content) - 1):
        cut = tmp_path / f"cut{size}.gguf"
        cut.write_bytes(content[:size])
        expect_error(
            cut,
            f"truncated file: {size} bytes, but its header and tensor data need at least",
            lambda p=cut: GGUFFile(p),
        )


def test_unsupported_quant_type_is_named(tmp_path: Path):
    path = write_gguf(
        tmp_path / "m.gguf",
        {"w": (random(2, 32), QT.Q5_0), "f": (random(2, 32), QT.F32)},
    )
    file = GGUFFile(path)
    assert file.tensor_info("w").qtype == "Q5_0"
    expect_error(
        path,
        "tensor 'w' has unsupported type Q5_0 (supported here: F32",
        lambda: file.tensor("w"),
    )
    expect_error(
        path,
        "tensor 'f' has unsupported type F32 (supported here: Q8_0, Q4_0, Q4_1)",
        lambda: file.quant_blocks("f"),
    )
    expect_error(path, "unsupported type Q5_0", lambda: load_gguf(path))


def test_missing_tensor_names_close_matches(tmp_path: Path):
    path = write_gguf(
        tmp_path / "m.gguf",
        {
            "blk.0.attn_q.weight": (random(1, 32), QT.F32),
            "blk.0.attn_k.weight": (random(1, 32), QT.F32),
        },
    )
    file = GGUFFile(path)
    with pytest.raises(
        MissingTensorError,
        match=re.escape(
            "no tensor named 'blk.0.attn_v.weight'; close names: blk.0.attn_"
        ),
    ):
        file.tensor("blk.0.attn_v.weight")
    with pytest.raises(KeyError, match="holds 2 tensors"):
        load_gguf(path)["output.weight"]


def test_missing_or_mistyped_metadata(tmp_path: Path):
    path = write_gguf(tmp_path / "m.gguf", {}, llama_metadata)
    file = GGUFFile(path)
    expect_error(
        path,
        "no metadata key 'llama.expert_count'",
        lambda: file.value("llama.expert_count"),
    )
    expect_error(
        path,
        "metadata 'llama.block_count' is 2, expected a string",
        lambda: file.str_value("llama.block_count"),
    )
    expect_error(
        path, "expected an integer", lambda: file.int_value("llama.rope.freq_base")
    )
