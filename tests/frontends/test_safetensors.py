"""safetensors reader: numerics, memory mapping, and every malformed-file error.

Files are written by hand (8-byte length, JSON header, data) so malformed ones
are as easy to make as good ones; real files from the reference writer are
read by the MiniLM model tests.
"""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from xunity.frontends.weights import (
    MissingTensorError,
    SafetensorsFile,
    WeightFileError,
    load_safetensors,
)

NAMES = {
    np.dtype("float64"): "F64",
    np.dtype("float32"): "F32",
    np.dtype("float16"): "F16",
    np.dtype("int64"): "I64",
    np.dtype("int32"): "I32",
    np.dtype("int16"): "I16",
    np.dtype("int8"): "I8",
    np.dtype("uint8"): "U8",
    np.dtype("bool"): "BOOL",
}


def write_raw(path: Path, header: dict[str, Any] | bytes, data: bytes = b"") -> Path:
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + data)
    return path


def write_tensors(
    path: Path,
    tensors: dict[str, np.ndarray],
    metadata: dict[str, str] | None = None,
    align_header: bool = True,
) -> Path:
    """The reference writer's layout; `align_header=False` misaligns the data."""
    header: dict[str, Any] = {"__metadata__": metadata} if metadata else {}
    data = b""
    for name, array in tensors.items():
        dtype = "BF16" if array.dtype == np.dtype("<u2") else NAMES[array.dtype]
        raw = array.astype(array.dtype.newbyteorder("<")).tobytes()
        header[name] = {
            "dtype": dtype,
            "shape": list(array.shape),
            "data_offsets": [len(data), len(data) + len(raw)],
        }
        data += raw
    text = json.dumps(header).encode()
    pad = -(8 + len(text)) % 8 + (0 if align_header else 1)
    return write_raw(path, text + b" " * pad, data)


def test_round_trips_every_dtype(tmp_path: Path):
    rng = np.random.default_rng(0)
    tensors = {
        "f64": rng.standard_normal((2, 3)),
        "f32": rng.standard_normal((4, 5)).astype(np.float32),
        "f16": rng.standard_normal((3,)).astype(np.float16),
        "i64": np.array([-(2**40), 7], dtype=np.int64),
        "i32": rng.integers(-1000, 1000, (2, 2, 2)).astype(np.int32),
        "i16": np.array([-3, 4], dtype=np.int16),
        "i8": np.array([-128, 127], dtype=np.int8),
        "u8": np.array([0, 255], dtype=np.uint8),
        "bool": np.array([True, False, True]),
        "scalar": np.array(2.5, dtype=np.float32),
        "empty": np.zeros((0, 4), dtype=np.float32),
    }
    loaded = load_safetensors(write_tensors(tmp_path / "m.safetensors", tensors))
    assert list(loaded) == list(tensors)
    for name, expected in tensors.items():
        assert loaded[name].dtype == expected.dtype, name
        np.testing.assert_array_equal(loaded[name], expected, err_msg=name)


def test_tensors_are_read_only_views_of_the_file(tmp_path: Path):
    weight = np.arange(12, dtype=np.float32).reshape(3, 4)
    file = SafetensorsFile(write_tensors(tmp_path / "m.safetensors", {"w": weight}))
    array = file["w"]
    assert isinstance(array.base, np.ndarray)
    assert np.shares_memory(array, file["w"])
    assert not array.flags.writeable
    assert array.flags.c_contiguous and array.flags.aligned


def test_unaligned_tensor_is_copied_aligned(tmp_path: Path):
    weight = np.arange(6, dtype=np.float32)
    path = write_tensors(tmp_path / "m.safetensors", {"w": weight}, align_header=False)
    array = SafetensorsFile(path)["w"]
    assert array.flags.aligned
    np.testing.assert_array_equal(array, weight)


def bf16_bits(values: np.ndarray) -> np.ndarray:
    """Truncate float32 to bfloat16 bit patterns (exact for the values used)."""
    return (values.astype(np.float32).view(np.uint32) >> 16).astype("<u2")


def test_bf16_widens_to_float32_exactly(tmp_path: Path):
    values = np.array([[1.0, -2.5, 2.0**120], [0.0, -0.0, 1.0 / 128]], dtype=np.float32)
    path = write_tensors(tmp_path / "m.safetensors", {"w": bf16_bits(values)})
    loaded = load_safetensors(path)["w"]
    assert loaded.dtype == np.float32
    np.testing.assert_array_equal(loaded, values)


def test_bf16_bits_mode_keeps_uint16_storage(tmp_path: Path):
    bits = bf16_bits(np.array([1.0, -2.0], dtype=np.float32))
    path = write_tensors(tmp_path / "m.safetensors", {"w": bits})
    raw = load_safetensors(path, bf16="bits")["w"]
    assert raw.dtype == np.uint16
    np.testing.assert_array_equal(raw, bits)


def test_metadata(tmp_path: Path):
    path = write_tensors(
        tmp_path / "m.safetensors",
        {"w": np.ones(2, dtype=np.float32)},
        metadata={"format": "pt"},
    )
    file = SafetensorsFile(path)
    assert file.metadata == {"format": "pt"}
    assert file.infos["w"].dtype == "F32" and file.infos["w"].shape == (2,)
    assert "w" in file and "__metadata__" not in file and len(file) == 1


def test_missing_tensor_names_close_matches(tmp_path: Path):
    tensors = {
        "encoder.layer.0.attention.self.query.weight": np.ones(1, np.float32),
        "encoder.layer.1.attention.self.query.weight": np.ones(1, np.float32),
    }
    loaded = load_safetensors(write_tensors(tmp_path / "m.safetensors", tensors))
    with pytest.raises(MissingTensorError) as info:
        loaded["encoder.layer.0.attention.self.querry.weight"]
    message = str(info.value)
    assert message.startswith(str(tmp_path / "m.safetensors"))
    assert "no tensor named 'encoder.layer.0.attention.self.querry.weight'" in message
    assert "close names: encoder.layer.0.attention.self.query.weight" in message
    assert loaded.get("nope") is None and "nope" not in loaded
    with pytest.raises(KeyError, match="holds 2 tensors"):
        SafetensorsFile(tmp_path / "m.safetensors")["zzz"]


def f32_entry(offsets: list[int], shape: list[int] | None = None) -> dict[str, Any]:
    return {"dtype": "F32", "shape": shape or [2], "data_offsets": offsets}


@pytest.mark.parametrize(
    ("header", "data", "problem"),
    [
        (b"", b"", "bad header length 0"),
        (
            {"w": f32_entry([0, 8])},
            b"",
            "tensor 'w': data_offsets [0, 8] are out of range: the data section has 0 bytes",
        ),
        (b"{not json", b"", "header is not valid JSON"),
        (b"\xff\xfe", b"", "header is not valid JSON"),
        (b"[1, 2]", b"", "header JSON is not an object"),
        ({"__metadata__": {"a": 1}}, b"", "__metadata__ must map strings to strings"),
        ({"w": {"dtype": "F32"}}, b"", "tensor 'w': entry must be an object"),
        (
            {"w": {"dtype": "F8_E4M3", "shape": [2], "data_offsets": [0, 2]}},
            bytes(2),
            "tensor 'w': unknown dtype 'F8_E4M3'",
        ),
        (
            {"w": f32_entry([0, 8], [2, -1])},
            bytes(8),
            "shape [2, -1] is not a list of non-negative integers",
        ),
        (
            {"w": f32_entry([8, 0])},
            bytes(8),
            "data_offsets [8, 0] are not [begin, end]",
        ),
        (
            {"w": f32_entry([0, 12])},
            bytes(12),
            "shape [2] of F32 needs 8 bytes but data_offsets [0, 12] hold 12",
        ),
        (
            {"a": f32_entry([0, 8]), "b": f32_entry([4, 12])},
            bytes(12),
            "tensors 'a' and 'b' overlap",
        ),
    ],
)
def test_malformed_header_errors(
    tmp_path: Path, header: dict[str, Any] | bytes, data: bytes, problem: str
):
    path = write_raw(tmp_path / "bad.safetensors", header, data)
    with pytest.raises(WeightFileError) as info:
        SafetensorsFile(path)
    assert str(info.value).startswith(f"{path}: ")
    assert problem in str(info.value)


def test_truncated_file_errors(tmp_path: Path):
    good = write_tensors(tmp_path / "m.safetensors", {"w": np.ones(4, np.float32)})
    content = good.read_bytes()
    cases = {
        4: "truncated file: 4 bytes, less than the 8-byte header length",
        20: "only 12 bytes follow it (truncated file",
        len(content)
        - 1: "are out of range: the data section has 15 bytes (truncated file?)",
    }
    for size, problem in cases.items():
        path = tmp_path / f"cut{size}.safetensors"
        path.write_bytes(content[:size])
        with pytest.raises(WeightFileError, match=re.escape(problem)):
            SafetensorsFile(path)


def test_huge_header_length_errors(tmp_path: Path):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(struct.pack("<Q", 2**62) + b"{}")
    with pytest.raises(WeightFileError, match="bad header length 4611686018427387904"):
        SafetensorsFile(path)
