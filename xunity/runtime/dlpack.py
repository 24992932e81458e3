"""Packed arguments and results over DLPack, without copying.

A packed call (docs/abi.md) takes an array of 16-byte `TVMFFIAny` values.  A
tensor argument is `kTVMFFIDLTensorPtr` pointing at the `DLTensor` that the
value's own `__dlpack__` exported (numpy, torch, any DLPack producer): the
producer fills it in C, we only read its address out of the capsule.  The
capsules are kept until the call returns; their destructors then release the
exports (nothing was consumed).

A returned tensor is the runtime's `kTVMFFITensor` object, which embeds a
`DLManagedTensorVersioned` owning one reference (abi.TENSOR_DLPACK):
`tensor_to_numpy` hands it to `np.from_dlpack`, so the array owns the
runtime's memory and frees it (through the tensor's deleter) when it dies.
"""

from __future__ import annotations

import ctypes
import struct
import threading
from collections.abc import Callable, Sequence

import numpy as np

from xunity.ir.abi import (
    ANY_BYTES,
    ARRAY_ITEMS,
    ARRAY_SIZE,
    DL_CPU,
    MANAGED_DLTENSOR,
    TENSOR_DLPACK,
    TVM_FFI_ARRAY,
    TVM_FFI_DLTENSOR_PTR,
    TVM_FFI_INT,
    TVM_FFI_NONE,
    TVM_FFI_TENSOR,
)

_capsule_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_capsule_pointer.restype = ctypes.c_void_p
_capsule_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
_capsule_new = ctypes.pythonapi.PyCapsule_New
_capsule_new.restype = ctypes.py_object
_capsule_new.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]


def _find_capsule_pointer_offset() -> int | None:
    """Where a capsule object stores its pointer, if this interpreter is CPython.

    Reading it directly costs a third of a `PyCapsule_GetPointer` call through
    ctypes, on the hot path of every call; a probe capsule proves the offset
    (16 on 64-bit CPython: after refcount and type), else the C API is used.
    """
    probe_value = 0x5EED_0000_C0DE_0040
    probe = _capsule_new(probe_value, b"xunity.probe", None)
    offset = 2 * ctypes.sizeof(ctypes.c_void_p)
    found = ctypes.c_void_p.from_address(id(probe) + offset).value
    return offset if found == probe_value else None


_CAPSULE_POINTER_OFFSET = _find_capsule_pointer_offset()
_pointer_at = ctypes.c_void_p.from_address


def _legacy_capsule_pointer(capsule: object) -> int:
    """The pointer of a "dltensor" capsule (no name check: numpy made it)."""
    if _CAPSULE_POINTER_OFFSET is None:
        return _capsule_pointer(capsule, b"dltensor")
    return _pointer_at(id(capsule) + _CAPSULE_POINTER_OFFSET).value or 0


PackedCFunc = ctypes.CFUNCTYPE(ctypes.c_int32)
"""The packed ABI through ctypes, which releases the GIL during the call.

No argtypes: callers pass None and the ctypes values of `Slots` (void*,
int32, void*), which ctypes converts faster than through argtypes."""
ObjectFunc = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
"""XUObjectIncRef / XUObjectDecRef."""
ObjectCall = Callable[[int], None]
"""What an `ObjectFunc` is to the type checker."""


def borrow_dltensor(value: object, keep: list[object]) -> int | None:
    """The address of a DLTensor viewing `value`, or None if it exports none.

    The capsule goes to `keep`, which must outlive every use of the address.
    numpy exports read-only arrays only as versioned DLPack.
    """
    export = getattr(value, "__dlpack__", None)
    if export is None:
        return None
    try:
        capsule = export()
    except BufferError:
        try:
            capsule = export(max_version=(1, 0))
        except (BufferError, TypeError):
            return None
        keep.append(capsule)
        try:
            return _capsule_pointer(capsule, b"dltensor_versioned") + MANAGED_DLTENSOR
        except ValueError:
            return _capsule_pointer(capsule, b"dltensor")
    keep.append(capsule)
    return _capsule_pointer(capsule, b"dltensor")


class ArgumentSlots(threading.local):
    """Per-thread TVMFFIAny arrays for calls with `count` arguments, reused.

    Slot i is words 2i (type index, padding) and 2i + 1 (the value); the two
    words after the last argument are the result.  `get` also returns the
    ctypes values a call passes (array, count, result), built once: ctypes
    converts them faster than Python ints.
    """

    def __init__(self) -> None:
        self.last: Slots | None = None
        self.by_count: dict[int, Slots] = {}

    def get(self, count: int) -> Slots:
        last = self.last
        if last is not None and last.count == count:
            return last
        found = self.by_count.get(count)
        if found is None:
            found = self.by_count[count] = Slots(count)
        self.last = found
        return found


class Slots:
    """One TVMFFIAny array with room for `count` arguments and the result."""

    __slots__ = ("args", "count", "num_args", "result", "result_word", "words")

    def __init__(self, count: int):
        self.count = count
        self.words = (ctypes.c_uint64 * (2 * count + 2))()
        base = ctypes.addressof(self.words)
        self.args = ctypes.c_void_p(base)
        self.num_args = ctypes.c_int32(count)
        self.result = ctypes.c_void_p(base + ANY_BYTES * count)
        self.result_word = 2 * count

    def fill(self, values: Sequence[object], keep: list[object]) -> None:
        """Tensors as DLTensor pointers; other values as ints (for error messages)."""
        words = self.words
        index = 0
        for value in values:
            _put(words, index, value, keep)
            index += 2
        words[index] = TVM_FFI_NONE

    def fill_bound(
        self, bound: BoundArguments, values: Sequence[object], keep: list[object]
    ) -> None:
        """`bound`'s fixed arguments, and `values` in its free slots, in order."""
        if len(values) != len(bound.free):
            raise TypeError(
                f"{len(bound.free)} arguments expected besides the bound ones, "
                f"got {len(values)}"
            )
        words = self.words
        ctypes.memmove(words, bound.words, len(bound.words))
        for position, value in zip(bound.free, values, strict=True):
            _put(words, 2 * position, value, keep)


def _put(
    words: ctypes.Array[ctypes.c_uint64], index: int, value: object, keep: list[object]
) -> None:
    """Argument `value` into the TVMFFIAny at `words[index]`."""
    address = None
    if type(value) is np.ndarray and value.flags.writeable:
        # The common case, inlined: a writable numpy array's legacy
        # export, whose DLTensor is the capsule's pointer.
        try:
            capsule = value.__dlpack__()
        except BufferError:  # a dtype DLPack cannot carry
            capsule = None
        if capsule is not None:
            keep.append(capsule)
            address = _legacy_capsule_pointer(capsule)
    else:
        address = borrow_dltensor(value, keep)
    if address is not None:
        words[index] = TVM_FFI_DLTENSOR_PTR
        words[index + 1] = address
    else:
        words[index] = TVM_FFI_INT
        words[index + 1] = value & (2**64 - 1) if isinstance(value, int) else 0


class BoundArguments:
    """Arguments exported once for many calls (`PackedFunction.bind`).

    A model's weights are most of a decoder step's arguments; exporting
    hundreds of DLPack tensors per token would cost a good part of a
    millisecond.  The fixed arguments' TVMFFIAny words are made once and
    copied into the call's slots; their exports live as long as this does.
    """

    def __init__(self, template: Sequence[object | None]):
        self.count = len(template)
        self.free = tuple(i for i, value in enumerate(template) if value is None)
        self._keep: list[object] = []
        slots = Slots(self.count)
        slots.fill([0 if v is None else v for v in template], self._keep)
        self.words = bytes(slots.words)


class _Exported:
    """Hands one DLPack capsule to `np.from_dlpack`."""

    __slots__ = ("capsule",)

    def __init__(self, capsule: object):
        self.capsule = capsule

    def __dlpack__(self, **_: object) -> object:
        return self.capsule

    def __dlpack_device__(self) -> tuple[int, int]:
        return (DL_CPU, 0)


def tensor_to_numpy(obj: int) -> np.ndarray:
    """A numpy array over a runtime tensor object, taking over its reference."""
    capsule = _capsule_new(obj + TENSOR_DLPACK, b"dltensor_versioned", None)
    return np.from_dlpack(_Exported(capsule))  # pyright: ignore[reportArgumentType]


_ITEM = struct.Struct("<iIQ")


def result_to_numpy(
    type_index: int, value: int, incref: ObjectCall, decref: ObjectCall
) -> np.ndarray | tuple[np.ndarray, ...] | None:
    """The arrays of a packed call's result, which this takes over."""
    if type_index == TVM_FFI_TENSOR:
        return tensor_to_numpy(value)
    if type_index != TVM_FFI_ARRAY:
        return None
    (size,) = struct.unpack("<q", ctypes.string_at(value + ARRAY_SIZE, 8))
    raw = ctypes.string_at(value + ARRAY_ITEMS, size * ANY_BYTES)
    items = [_ITEM.unpack_from(raw, i * ANY_BYTES) for i in range(size)]
    for _, _, item in items:
        incref(item)  # each array keeps its item; the array itself goes
    decref(value)
    return tuple(tensor_to_numpy(item) for _, _, item in items)
