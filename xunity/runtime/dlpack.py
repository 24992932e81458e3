"""ctypes mirrors of DLPack's DLTensor and tvm-ffi's TVMFFIAny, built zero-copy.

The packed ABI (docs/lowering.md) takes an array of 16-byte `TVMFFIAny`
values; a tensor is passed as `kTVMFFIDLTensorPtr` pointing at a `DLTensor`
that borrows the numpy array's memory.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from typing import Any

import numpy as np

TVM_FFI_INT = 1
TVM_FFI_DLTENSOR_PTR = 7
DL_CPU = 1

NUMPY_TO_DLPACK: dict[np.dtype[Any], tuple[int, int]] = {
    np.dtype(np.float32): (2, 32),
    np.dtype(np.float16): (2, 16),
    np.dtype(np.float64): (2, 64),
    np.dtype(np.int64): (0, 64),
    np.dtype(np.int32): (0, 32),
    np.dtype(np.int16): (0, 16),
    np.dtype(np.int8): (0, 8),
    np.dtype(np.uint8): (1, 8),
    np.dtype(np.bool_): (6, 8),
}


class DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class DLDataType(ctypes.Structure):
    _fields_ = [
        ("code", ctypes.c_uint8),
        ("bits", ctypes.c_uint8),
        ("lanes", ctypes.c_uint16),
    ]


class DLTensor(ctypes.Structure):
    _fields_ = [
        ("data", ctypes.c_void_p),
        ("device", DLDevice),
        ("ndim", ctypes.c_int32),
        ("dtype", DLDataType),
        ("shape", ctypes.POINTER(ctypes.c_int64)),
        ("strides", ctypes.POINTER(ctypes.c_int64)),
        ("byte_offset", ctypes.c_uint64),
    ]


class TVMFFIAny(ctypes.Structure):
    _fields_ = [
        ("type_index", ctypes.c_int32),
        ("zero_padding", ctypes.c_uint32),
        ("v_int64", ctypes.c_int64),
    ]


PackedCFunc = ctypes.CFUNCTYPE(
    ctypes.c_int32,
    ctypes.c_void_p,
    ctypes.POINTER(TVMFFIAny),
    ctypes.c_int32,
    ctypes.POINTER(TVMFFIAny),
)


class PackedArgs:
    """A TVMFFIAny array for one call; keeps every borrowed buffer alive."""

    def __init__(self, values: Sequence[object]):
        self._keep: list[object] = []
        self.array = (TVMFFIAny * max(len(values), 1))()
        self.count = len(values)
        for slot, value in zip(self.array, values, strict=False):
            self._fill(slot, value)

    def _fill(self, slot: TVMFFIAny, value: object) -> None:
        if isinstance(value, np.ndarray) and value.dtype in NUMPY_TO_DLPACK:
            slot.type_index = TVM_FFI_DLTENSOR_PTR
            slot.v_int64 = ctypes.addressof(self._tensor(value))
            return
        # Anything else goes through as an integer so the callee can name it.
        slot.type_index = TVM_FFI_INT
        slot.v_int64 = value if isinstance(value, int) else 0

    def _tensor(self, array: np.ndarray) -> DLTensor:
        code, bits = NUMPY_TO_DLPACK[array.dtype]
        shape = (ctypes.c_int64 * max(array.ndim, 1))(*array.shape)
        strides = None
        if not array.flags.c_contiguous:
            itemsize = array.itemsize
            strides = (ctypes.c_int64 * max(array.ndim, 1))(
                *(s // itemsize for s in array.strides)
            )
        tensor = DLTensor(
            data=array.ctypes.data if array.size else _EMPTY_DATA,
            device=DLDevice(DL_CPU, 0),
            ndim=array.ndim,
            dtype=DLDataType(code, bits, 1),
            shape=shape,
            strides=strides,
            byte_offset=0,
        )
        self._keep += [array, shape, strides, tensor]
        return tensor


_EMPTY_STORAGE = ctypes.create_string_buffer(64)
_EMPTY_DATA = ctypes.addressof(_EMPTY_STORAGE)
"""A valid address for 0-size arrays, whose numpy data pointer may be null."""
