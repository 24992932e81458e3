"""Read GGUF files (llama.cpp's format) with the `gguf` package's parser.

`gguf.GGUFReader` parses the header and memory-maps the file; this module adds
what a compiler needs on top: tensors in numpy order, our own vectorised
dequantisation of the common block formats, their raw blocks for quantised
kernels, typed model hyper-parameters, and errors that name the file.

Dimension order: GGUF lists a tensor's dims innermost first (ggml's `ne[0]` is
the contiguous one), so the numpy shape is the reverse: a llama
`token_embd.weight` with ne = [n_embd, n_vocab] is a (n_vocab, n_embd) array,
and a linear weight with ne = [n_in, n_out] is (n_out, n_in), PyTorch's
`nn.Linear.weight` layout.  Quantisation blocks run along the last numpy axis.

Block formats (32 elements per block, scales are float16):
  Q8_0: d, int8 q[32]                      x = d * q
  Q4_0: d, 16 bytes of nibbles             x = d * (q - 8)
  Q4_1: d, m, 16 bytes of nibbles          x = d * q + m
where element j < 16 of a block is the low nibble of byte j and element
j + 16 its high nibble.  F32/F16 (and integer) tensors are zero-copy read-only
views of the file; BF16 is widened to float32; quantised tensors are
dequantised to float32.

Memory: a metadata array (a vocabulary, its merges) is parsed as one view of
its bytes and decoded when asked for, not as the reader's two numpy arrays
per element (SmolLM2's 49152 tokens and 48900 merges cost 71 MB that way);
`release` drops a tensor's pages of the mapping once it has been copied out.
"""

from __future__ import annotations

import mmap
import struct
import sys
from dataclasses import dataclass
from functools import cached_property
from os import PathLike, fspath
from typing import Any

import numpy as np
import numpy.typing as npt
from gguf import (
    GGMLQuantizationType,
    GGUFReader,
    GGUFValueType,
    ReaderField,
    ReaderTensor,
)

from xunity.frontends.weights.base import (
    MissingTensorError,
    TensorDict,
    WeightFileError,
    bf16_bits_to_float32,
)

MAGIC = b"GGUF"

QUANT_BLOCK_SIZE = 32
"""Elements per block of every format dequantised here."""

_NIBBLES = QUANT_BLOCK_SIZE // 2

BLOCK_DTYPES: dict[GGMLQuantizationType, np.dtype[Any]] = {
    GGMLQuantizationType.Q8_0: np.dtype([("d", "<f2"), ("q", "i1", QUANT_BLOCK_SIZE)]),
    GGMLQuantizationType.Q4_0: np.dtype([("d", "<f2"), ("q", "u1", _NIBBLES)]),
    GGMLQuantizationType.Q4_1: np.dtype(
        [("d", "<f2"), ("m", "<f2"), ("q", "u1", _NIBBLES)]
    ),
}
"""One block of each supported quantised format, as a numpy structured dtype."""

_PLAIN_TYPES = {
    GGMLQuantizationType.F32,
    GGMLQuantizationType.F16,
    GGMLQuantizationType.F64,
    GGMLQuantizationType.I8,
    GGMLQuantizationType.I16,
    GGMLQuantizationType.I32,
    GGMLQuantizationType.I64,
}
"""Types GGUFReader already returns as typed arrays in numpy order."""

SUPPORTED_TYPES = (*_PLAIN_TYPES, GGMLQuantizationType.BF16, *BLOCK_DTYPES)


@dataclass(frozen=True)
class QuantBlocks:
    """A quantised tensor's blocks: value = scales * codes (+ mins), per block.

    `shape` is the logical numpy shape; `scales` (and `mins`, Q4_1 only) are
    float16 of shape (*shape[:-1], shape[-1] // 32).  `code_bytes` are the
    blocks' code bytes as the file stores them, (*shape[:-1], shape[-1] //
    32, 32) int8 codes for Q8_0 and (..., 16) uint8 for Q4_0 and Q4_1
    (element j < 16 of a block in the low nibble of byte j, j + 16 in its
    high nibble); `codes` has them one per element, (..., shape[-1] // 32,
    32): int8 in [-127, 127] for Q8_0, int8 in [-8, 7] for Q4_0 (already
    centred) and uint8 in [0, 15] for Q4_1.  Scales, mins and code bytes are
    views of the file; `codes` is one too for Q8_0, unpacked when first read
    otherwise.
    """

    qtype: str
    shape: tuple[int, ...]
    scales: np.ndarray
    mins: np.ndarray | None
    code_bytes: np.ndarray

    @cached_property
    def codes(self) -> np.ndarray:
        if self.qtype == "Q8_0":
            return self.code_bytes
        nibbles = np.concatenate(
            [self.code_bytes & 0x0F, self.code_bytes >> 4], axis=-1
        )
        if self.qtype == "Q4_0":
            return nibbles.astype(np.int8) - np.int8(8)
        return nibbles

    def dequantize(self) -> np.ndarray:
        """The float32 values, computed in the same order as ggml's reference."""
        values = (
            self.codes.astype(np.float32) * self.scales.astype(np.float32)[..., None]
        )
        if self.mins is not None:
            values += self.mins.astype(np.float32)[..., None]
        return values.reshape(self.shape)


@dataclass(frozen=True)
class GGUFTensorInfo:
    """A tensor's name, storage type name (`"Q8_0"`) and numpy-order shape."""

    name: str
    qtype: str
    shape: tuple[int, ...]
    nbytes: int


@dataclass(frozen=True)
class GGUFModelConfig:
    """The hyper-parameters a decoder needs, from `<arch>.*` metadata keys.

    Defaults follow llama.cpp: `head_count_kv` = `head_count`, `rope_freq_base`
    = 10000; `vocab_size` falls back to the tokenizer's token count.
    """

    architecture: str
    embedding_length: int
    block_count: int
    head_count: int
    head_count_kv: int
    feed_forward_length: int | None
    context_length: int | None
    rope_freq_base: float
    rope_dimension_count: int | None
    rms_norm_eps: float | None
    layer_norm_eps: float | None
    vocab_size: int | None


class _Truncated(Exception):
    def __init__(self, end: int):
        self.end = end


class _ArrayField(ReaderField):
    """A metadata array of scalars or strings, held as one view of its bytes.

    `parts` are the item type, the count and that view: for scalars, the
    typed array; for strings, the bytes of every (u64 length, UTF-8 data)
    item, decoded when `contents` is called.  `contents` answers as the
    reader's own per-element fields do.
    """

    __slots__ = ()

    @property
    def length(self) -> int:
        """The number of items."""
        return int(self.parts[-2][0])

    def contents(self, index_or_slice: int | slice = slice(None)) -> Any:
        payload = self.parts[-1]
        if self.types[-1] != GGUFValueType.STRING:
            if isinstance(index_or_slice, int):
                return payload[index_or_slice].item()
            return payload[index_or_slice].tolist()
        strings = _decode_strings(payload, self.length, self.parts[-2].dtype)
        return strings[index_or_slice]


def _decode_strings(
    payload: np.ndarray, count: int, length_dtype: np.dtype[Any]
) -> list[str]:
    data = payload.tobytes()
    length = struct.Struct(length_dtype.str[0] + "Q")  # "<" or ">"
    strings: list[str] = []
    position = 0
    for _ in range(count):
        (size,) = length.unpack_from(data, position)
        position += length.size
        strings.append(str(data[position : position + size], encoding="utf-8"))
        position += size
    return strings


class _CheckedReader(GGUFReader):
    """GGUFReader that reports a read past the end of the file as truncation,
    and parses metadata arrays of scalars or strings as `_ArrayField`s.

    The stock reader slices the memmap silently short and then fails with an
    unrelated reshape or index error; every read goes through `_get`.
    """

    _elementwise = False
    """Inside an array of arrays: the stock per-element parse."""

    mapping: mmap.mmap | None = None
    """The mapped file, for `GGUFFile.release`."""

    def _get(
        self,
        offset: int,
        dtype: npt.DTypeLike,
        count: int = 1,
        override_order: Any = None,
    ) -> npt.NDArray[Any]:
        end = int(offset) + np.dtype(dtype).itemsize * int(count)
        if end > len(self.data):
            raise _Truncated(end)
        if type(self.data) is np.memmap:
            # A plain view of the same mapping: slicing a memmap subclass
            # costs several times more.
            if isinstance(self.data.base, mmap.mmap):
                self.mapping = self.data.base
            self.data = self.data.view(np.ndarray)
        return super()._get(offset, dtype, count, override_order)

    def _get_field_parts(
        self, orig_offs: int, raw_type: int
    ) -> tuple[int, list[npt.NDArray[Any]], list[int], list[GGUFValueType]]:
        if self._elementwise or raw_type != GGUFValueType.ARRAY:
            return super()._get_field_parts(orig_offs, raw_type)
        item_type = self._get(orig_offs, np.uint32)
        count = self._get(orig_offs + 4, np.uint64)
        start = orig_offs + 12
        kind = GGUFValueType(item_type[0])
        scalar = self.gguf_scalar_to_np.get(kind)
        if scalar is not None:
            payload = self._get(start, scalar, count[0])
        elif kind == GGUFValueType.STRING:
            end = self._strings_end(start, int(count[0]), count.dtype)
            payload = self._get(start, np.uint8, end - start)
        else:
            self._elementwise = True
            try:
                return super()._get_field_parts(orig_offs, raw_type)
            finally:
                self._elementwise = False
        size = start + int(payload.nbytes) - orig_offs
        return size, [item_type, count, payload], [2], [GGUFValueType.ARRAY, kind]

    def _strings_end(self, start: int, count: int, length_dtype: np.dtype[Any]) -> int:
        """The offset after `count` strings (u64 length, then data) at `start`."""
        length = struct.Struct(length_dtype.str[0] + "Q")  # "<" or ">"
        data, position, end = self.data.data, start, len(self.data)
        for _ in range(count):
            if position + length.size > end:
                raise _Truncated(position + length.size)
            (size,) = length.unpack_from(data, position)
            position += length.size + size
        if position > end:
            raise _Truncated(position)
        return position

    def _push_field(self, field: ReaderField, skip_sum: bool = False) -> int:
        # Fields of `_get_field_parts`' compact arrays are exactly those typed
        # [ARRAY, item]: the stock parse types nested arrays [ARRAY, ARRAY, ...].
        types = field.types
        array = GGUFValueType.ARRAY
        if len(types) == 2 and types[0] == array and types[1] != array:
            field = _ArrayField(*field)
        return super()._push_field(field, skip_sum)


class GGUFFile:
    """An opened GGUF file: metadata, tensor infos, tensors on demand."""

    def __init__(self, path: str | PathLike[str]):
        self.path = fspath(path)
        self.reader = _open_reader(self.path)
        self._tensors: dict[str, ReaderTensor] = {
            tensor.name: tensor for tensor in self.reader.tensors
        }

    # -- metadata ---------------------------------------------------------

    def metadata_keys(self) -> list[str]:
        """Metadata keys, without the reader's synthetic `GGUF.*` entries."""
        return [key for key in self.reader.fields if not key.startswith("GGUF.")]

    def has(self, key: str) -> bool:
        return key in self.reader.fields

    def value(self, key: str) -> Any:
        """A metadata value as Python data (float32 values by their shortest repr)."""
        field = self.reader.fields.get(key)
        if field is None:
            raise WeightFileError(self.path, f"no metadata key '{key}'")
        value = field.contents()
        if field.types == [GGUFValueType.FLOAT32]:
            # Writers store 1e-5 as float32; read it back as 1e-5, not 9.99e-06.
            return float(str(np.float32(value)))
        return value

    def int_value(self, key: str) -> int:
        value = self.value(key)
        if not isinstance(value, int) or isinstance(value, bool):
            raise WeightFileError(
                self.path, f"metadata '{key}' is {value!r}, expected an integer"
            )
        return value

    def float_value(self, key: str) -> float:
        value = self.value(key)
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise WeightFileError(
                self.path, f"metadata '{key}' is {value!r}, expected a number"
            )
        return float(value)

    def str_value(self, key: str) -> str:
        value = self.value(key)
        if not isinstance(value, str):
            raise WeightFileError(
                self.path, f"metadata '{key}' is {value!r}, expected a string"
            )
        return value

    @property
    def architecture(self) -> str:
        return self.str_value("general.architecture")

    def tokens(self) -> list[str]:
        """The tokenizer's vocabulary (`tokenizer.ggml.tokens`)."""
        return list(self.value("tokenizer.ggml.tokens"))

    def config(self) -> GGUFModelConfig:
        """Typed hyper-parameters of the file's architecture."""
        arch = self.architecture

        def optional_int(key: str) -> int | None:
            return self.int_value(key) if self.has(key) else None

        def optional_float(key: str) -> float | None:
            return self.float_value(key) if self.has(key) else None

        head_count = self.int_value(f"{arch}.attention.head_count")
        vocab_size = optional_int(f"{arch}.vocab_size")
        tokens = self.reader.fields.get("tokenizer.ggml.tokens")
        if vocab_size is None and tokens is not None:
            vocab_size = (
                tokens.length if isinstance(tokens, _ArrayField) else len(tokens.data)
            )
        return GGUFModelConfig(
            architecture=arch,
            embedding_length=self.int_value(f"{arch}.embedding_length"),
            block_count=self.int_value(f"{arch}.block_count"),
            head_count=head_count,
            head_count_kv=optional_int(f"{arch}.attention.head_count_kv") or head_count,
            feed_forward_length=optional_int(f"{arch}.feed_forward_length"),
            context_length=optional_int(f"{arch}.context_length"),
            rope_freq_base=optional_float(f"{arch}.rope.freq_base") or 10000.0,
            rope_dimension_count=optional_int(f"{arch}.rope.dimension_count"),
            rms_norm_eps=optional_float(f"{arch}.attention.layer_norm_rms_epsilon"),
            layer_norm_eps=optional_float(f"{arch}.attention.layer_norm_epsilon"),
            vocab_size=vocab_size,
        )

    # -- tensors ----------------------------------------------------------

    def __contains__(self, name: object) -> bool:
        return name in self._tensors

    def tensor_names(self) -> list[str]:
        return list(self._tensors)

    def tensor_info(self, name: str) -> GGUFTensorInfo:
        tensor = self._lookup(name)
        return GGUFTensorInfo(
            name,
            tensor.tensor_type.name,
            tuple(reversed([int(dim) for dim in tensor.shape])),
            int(tensor.n_bytes),
        )

    def tensor(self, name: str) -> np.ndarray:
        """The tensor in numpy order: F32/F16 as file views, BF16/quants as float32."""
        tensor = self._lookup(name)
        if tensor.tensor_type not in SUPPORTED_TYPES:
            raise self._unsupported(tensor, SUPPORTED_TYPES)
        if tensor.tensor_type in _PLAIN_TYPES:
            return tensor.data
        if tensor.tensor_type == GGMLQuantizationType.BF16:
            shape = self.tensor_info(name).shape
            return bf16_bits_to_float32(tensor.data.view("<u2").reshape(shape))
        return self.quant_blocks(name).dequantize()

    def quant_blocks(self, name: str) -> QuantBlocks:
        """The scales and integer codes of a Q8_0, Q4_0 or Q4_1 tensor."""
        tensor = self._lookup(name)
        block_dtype = BLOCK_DTYPES.get(tensor.tensor_type)
        if block_dtype is None:
            raise self._unsupported(tensor, list(BLOCK_DTYPES))
        shape = self.tensor_info(name).shape
        blocks = tensor.data.view(block_dtype).reshape(
            (*shape[:-1], shape[-1] // QUANT_BLOCK_SIZE)
        )
        mins = blocks["m"] if tensor.tensor_type == GGMLQuantizationType.Q4_1 else None
        return QuantBlocks(
            tensor.tensor_type.name, shape, blocks["d"], mins, blocks["q"]
        )

    def release(self, name: str | None = None) -> None:
        """Drop tensor `name`'s pages (None: the whole file's) of the mapping
        from this process's resident memory; they are read from the file
        again if used.  Once a tensor has been copied out, its file pages
        need not stay counted on top of the copy."""
        mapping = self.reader.mapping
        if mapping is None or not hasattr(mmap, "MADV_DONTNEED"):
            return
        if name is None:
            mapping.madvise(mmap.MADV_DONTNEED)
            return
        tensor = self._lookup(name)
        start = tensor.data_offset - tensor.data_offset % mmap.PAGESIZE
        end = tensor.data_offset + int(tensor.n_bytes)
        # Read-only and file-backed: dropping pages cannot lose data, even
        # those of a neighbouring tensor sharing the first or last page.
        mapping.madvise(mmap.MADV_DONTNEED, start, end - start)

    def load(self) -> TensorDict:
        """Every tensor, by name, as `tensor` returns it."""
        return TensorDict(
            self.path, {name: self.tensor(name) for name in self._tensors}
        )

    def _lookup(self, name: str) -> ReaderTensor:
        tensor = self._tensors.get(name)
        if tensor is None:
            raise MissingTensorError(self.path, name, self._tensors)
        return tensor

    def _unsupported(self, tensor: ReaderTensor, supported: Any) -> WeightFileError:
        names = ", ".join(qtype.name for qtype in supported)
        return WeightFileError(
            self.path,
            f"tensor '{tensor.name}' has unsupported type "
            f"{tensor.tensor_type.name} (supported here: {names})",
        )


def load_gguf(path: str | PathLike[str]) -> TensorDict:
    """All tensors of a GGUF file in numpy order (quantised ones dequantised)."""
    return GGUFFile(path).load()


def _open_reader(path: str) -> _CheckedReader:
    with open(path, "rb") as file:
        magic = file.read(4)
        file.seek(0, 2)
        size = file.tell()
    if magic != MAGIC:
        raise WeightFileError(
            path, f"not a GGUF file: magic is {magic!r}, expected {MAGIC!r}"
        )
    try:
        reader = _CheckedReader(path)
    except _Truncated as error:
        raise WeightFileError(
            path,
            f"truncated file: {size} bytes, but its header and tensor data "
            f"need at least {error.end}",
        ) from None
    except (ValueError, KeyError, IndexError) as error:
        raise WeightFileError(path, f"malformed GGUF file: {error}") from None
    if reader.byte_order != "I" or sys.byteorder != "little":
        raise WeightFileError(path, "big-endian GGUF files are not supported")
    return reader
