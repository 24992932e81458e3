"""Read .safetensors files with numpy alone, memory-mapped.

The format: an 8-byte little-endian header length N, N bytes of JSON
(`{"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]},
"__metadata__": {str: str}}`), then the data section; offsets are relative to
its start and tensors are C-order, little-endian.

Tensors are numpy views of one read-only `np.memmap` of the file, so opening a
multi-GB checkpoint costs only its header; a tensor whose offset is not a
multiple of its element size is copied (numpy can view it, but unaligned arrays
are slow and not every consumer accepts them).  BF16 has no numpy dtype: by
default it is widened to float32, exactly but as a copy; `bf16="bits"` keeps the
raw bits as a zero-copy uint16 array instead.  The whole header is validated
when the file is opened, so a malformed file fails before any tensor is used.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from os import PathLike, fspath
from typing import Any, BinaryIO, Literal

import numpy as np

from xunity.frontends.weights.base import (
    MissingTensorError,
    TensorDict,
    WeightFileError,
    bf16_bits_to_float32,
)

BF16Mode = Literal["float32", "bits"]
"""How BF16 tensors come out: widened to float32 (a copy) or as uint16 bits."""

DTYPES: dict[str, np.dtype[Any]] = {
    "F64": np.dtype("<f8"),
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "BF16": np.dtype("<u2"),
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
    "I16": np.dtype("<i2"),
    "I8": np.dtype("i1"),
    "U64": np.dtype("<u8"),
    "U32": np.dtype("<u4"),
    "U16": np.dtype("<u2"),
    "U8": np.dtype("u1"),
    "BOOL": np.dtype("?"),
}
"""Storage dtype of each safetensors dtype name (BF16 as its 16-bit pattern)."""

MAX_HEADER_BYTES = 100 * 1024 * 1024
"""The reference implementation's limit; a larger length means a corrupt file."""


@dataclass(frozen=True)
class TensorInfo:
    """One header entry: dtype name, shape and [begin, end) in the data section."""

    dtype: str
    shape: tuple[int, ...]
    begin: int
    end: int


class SafetensorsFile:
    """An opened .safetensors file: validated header, tensors viewed on demand."""

    def __init__(self, path: str | PathLike[str], *, bf16: BF16Mode = "float32"):
        if bf16 not in ("float32", "bits"):
            raise ValueError(f"bf16 must be 'float32' or 'bits', not {bf16!r}")
        self.path = fspath(path)
        self.bf16: BF16Mode = bf16
        with open(self.path, "rb") as file:
            header_bytes, data_start = _read_header(self.path, file)
            file.seek(0, 2)
            data_size = file.tell() - data_start
        self.metadata, self.infos = _parse_header(self.path, header_bytes, data_size)
        self._data = np.asarray(np.memmap(self.path, dtype=np.uint8, mode="r"))[
            data_start:
        ]

    def __contains__(self, name: object) -> bool:
        return name in self.infos

    def __iter__(self) -> Iterator[str]:
        return iter(self.infos)

    def __len__(self) -> int:
        return len(self.infos)

    def keys(self) -> list[str]:
        return list(self.infos)

    def __getitem__(self, name: str) -> np.ndarray:
        info = self.infos.get(name)
        if info is None:
            raise MissingTensorError(self.path, name, self.infos)
        array = self._data[info.begin : info.end].view(DTYPES[info.dtype])
        if not array.flags.aligned:
            array = array.copy()
        array = array.reshape(info.shape)
        if info.dtype == "BF16" and self.bf16 == "float32":
            return bf16_bits_to_float32(array)
        return array

    def load(self) -> TensorDict:
        """Every tensor by name: file views, except BF16 and unaligned ones (copies)."""
        return TensorDict(self.path, {name: self[name] for name in self.infos})


def load_safetensors(
    path: str | PathLike[str], *, bf16: BF16Mode = "float32"
) -> TensorDict:
    """All tensors of a .safetensors file; its metadata is on `SafetensorsFile`."""
    return SafetensorsFile(path, bf16=bf16).load()


def _read_header(path: str, file: BinaryIO) -> tuple[bytes, int]:
    prefix = file.read(8)
    if len(prefix) < 8:
        raise WeightFileError(
            path,
            f"truncated file: {len(prefix)} bytes, less than the 8-byte header length",
        )
    length = int.from_bytes(prefix, "little")
    if length == 0 or length > MAX_HEADER_BYTES:
        raise WeightFileError(
            path, f"bad header length {length} (must be 1..{MAX_HEADER_BYTES} bytes)"
        )
    header = file.read(length)
    if len(header) < length:
        raise WeightFileError(
            path,
            f"bad header length {length}: only {len(header)} bytes follow it "
            "(truncated file, or not a safetensors file)",
        )
    return header, 8 + length


def _parse_header(
    path: str, header: bytes, data_size: int
) -> tuple[dict[str, str], dict[str, TensorInfo]]:
    try:
        entries = json.loads(header.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise WeightFileError(path, f"header is not valid JSON: {error}") from None
    if not isinstance(entries, dict):
        raise WeightFileError(path, "header JSON is not an object")
    metadata = entries.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(
        isinstance(value, str) for value in metadata.values()
    ):
        raise WeightFileError(path, "__metadata__ must map strings to strings")
    infos = {
        name: _parse_entry(path, name, entry, data_size)
        for name, entry in entries.items()
    }
    _check_disjoint(path, infos)
    return metadata, infos


def _parse_entry(path: str, name: str, entry: Any, data_size: int) -> TensorInfo:
    def fail(problem: str) -> WeightFileError:
        return WeightFileError(path, f"tensor '{name}': {problem}")

    if not isinstance(entry, dict) or not {"dtype", "shape", "data_offsets"} <= set(
        entry
    ):
        raise fail("entry must be an object with dtype, shape and data_offsets")
    dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
    if dtype not in DTYPES:
        raise fail(f"unknown dtype {dtype!r} (supported: {', '.join(DTYPES)})")
    if not isinstance(shape, list) or not all(_is_count(dim) for dim in shape):
        raise fail(f"shape {shape!r} is not a list of non-negative integers")
    if (
        not isinstance(offsets, list)
        or len(offsets) != 2
        or not all(_is_count(offset) for offset in offsets)
        or offsets[0] > offsets[1]
    ):
        raise fail(f"data_offsets {offsets!r} are not [begin, end] with begin <= end")
    begin, end = offsets
    if end > data_size:
        raise fail(
            f"data_offsets [{begin}, {end}] are out of range: the data section has "
            f"{data_size} bytes (truncated file?)"
        )
    nbytes = math.prod(shape) * DTYPES[dtype].itemsize
    if end - begin != nbytes:
        raise fail(
            f"shape {shape} of {dtype} needs {nbytes} bytes but data_offsets "
            f"[{begin}, {end}] hold {end - begin}"
        )
    return TensorInfo(dtype, tuple(shape), begin, end)


def _is_count(value: Any) -> bool:
    # bool is an int subclass; JSON `true` is no dimension.
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_disjoint(path: str, infos: dict[str, TensorInfo]) -> None:
    spans = sorted(
        (info.begin, info.end, name)
        for name, info in infos.items()
        if info.end > info.begin
    )
    for (_, prev_end, prev_name), (begin, end, name) in itertools.pairwise(spans):
        if begin < prev_end:
            raise WeightFileError(
                path,
                f"tensors '{prev_name}' and '{name}' overlap "
                f"(bytes up to {prev_end} vs [{begin}, {end}])",
            )
