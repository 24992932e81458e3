"""Runtime objects (tvm-ffi tensors and arrays) and the workspace arena.

Called through ctypes on the process runtime the JIT shares; the layouts are
tvm-ffi's (c_api.h), so these tests read the bytes as tvm-ffi would.
"""

import ctypes
import struct
import threading

import numpy as np
import pytest

from xunity.backends.llvm.runtime import (
    WORKSPACE_BYTES,
    _process_runtime,  # pyright: ignore[reportPrivateUsage]
)
from xunity.ir.abi import (
    ARRAY_DATA,
    ARRAY_ITEMS,
    ARRAY_SIZE,
    COMBINED_REF_ONE,
    OBJECT_PREFIX_BYTES,
    TENSOR_DLTENSOR,
    TVM_FFI_ARRAY,
    TVM_FFI_TENSOR,
)
from xunity.runtime.dlpack import tensor_to_numpy

_ADDRESSES = _process_runtime()
_P = ctypes.c_void_p
create = ctypes.CFUNCTYPE(_P, ctypes.c_int32, _P, ctypes.c_uint32)(
    _ADDRESSES["XUTensorCreate"]
)
create_array = ctypes.CFUNCTYPE(_P, ctypes.c_int64, _P)(_ADDRESSES["XUArrayCreate"])
incref = ctypes.CFUNCTYPE(None, _P)(_ADDRESSES["XUObjectIncRef"])
decref = ctypes.CFUNCTYPE(None, _P)(_ADDRESSES["XUObjectDecRef"])
workspace_alloc = ctypes.CFUNCTYPE(_P, ctypes.c_int64, ctypes.c_int64)(
    _ADDRESSES["XUWorkspaceAlloc"]
)
workspace_free = ctypes.CFUNCTYPE(None, _P)(_ADDRESSES["XUWorkspaceFree"])

F32 = 2 | (32 << 8) | (1 << 16)
BOOL = 6 | (8 << 8) | (1 << 16)
F16 = 2 | (16 << 8) | (1 << 16)


def _tensor(shape: tuple[int, ...], dtype: int = F32) -> int:
    dims = (ctypes.c_int64 * max(len(shape), 1))(*shape)
    obj = create(len(shape), ctypes.addressof(dims), dtype)
    assert obj is not None
    return obj


def _words(address: int, count: int) -> tuple[int, ...]:
    return struct.unpack(f"<{count}q", ctypes.string_at(address, 8 * count))


# ------------------------------------------------------------ tensors
@pytest.mark.parametrize(
    ("shape", "dtype"), [((3, 5), F32), ((2, 0, 4), F32), ((), F16), ((7,), BOOL)]
)
def test_tensor_layout_is_tvm_ffi_s(shape: tuple[int, ...], dtype: int) -> None:
    obj = _tensor(shape, dtype)
    assert obj % 16 == 0
    prefix = _words(obj - OBJECT_PREFIX_BYTES, 2)
    assert prefix == (0, 0)  # the allocation header tvm-ffi may look at
    count, type_word = _words(obj, 2)
    assert count == COMBINED_REF_ONE and type_word & 0xFFFFFFFF == TVM_FFI_TENSOR
    data, device, ndim_dtype, shape_ptr, strides_ptr, offset = _words(
        obj + TENSOR_DLTENSOR, 6
    )
    assert data % 64 == 0 and device == 1 and offset == 0
    assert ndim_dtype & 0xFFFFFFFF == len(shape) and (ndim_dtype >> 32) == dtype
    assert _words(shape_ptr, len(shape)) == shape
    row_major = tuple(int(np.prod(shape[axis + 1 :])) for axis in range(len(shape)))
    assert _words(strides_ptr, len(shape)) == row_major  # in elements
    decref(obj)


@pytest.mark.parametrize(
    "shape",
    [(-1,), (1 << 62, 1 << 62), (1 << 61,)],
    ids=["negative", "overflow", "huge"],
)
def test_impossible_tensors_are_null(shape: tuple[int, ...]) -> None:
    dims = (ctypes.c_int64 * len(shape))(*shape)
    assert create(len(shape), ctypes.addressof(dims), F32) is None


def test_tensor_to_numpy_owns_the_data() -> None:
    obj = _tensor((4, 6))
    array = tensor_to_numpy(obj)
    assert array.shape == (4, 6) and array.dtype == np.float32
    assert array.flags.writeable
    data = _words(obj + TENSOR_DLTENSOR, 1)[0]
    assert array.ctypes.data == data
    array[...] = 3.0
    incref(obj)  # a second owner: the array may go, the object stays
    del array
    assert _words(obj, 1)[0] == COMBINED_REF_ONE
    assert _words(data, 1)[0] == struct.unpack("<q", struct.pack("<2f", 3, 3))[0]
    decref(obj)


def test_reference_counts_follow_tvm_ffi() -> None:
    obj = _tensor((2,))
    incref(obj)
    assert _words(obj, 1)[0] == COMBINED_REF_ONE + 1
    decref(obj)
    assert _words(obj, 1)[0] == COMBINED_REF_ONE
    decref(obj)  # frees it
    decref(None)  # allowed


# ------------------------------------------------------------ arrays
def test_array_holds_and_releases_its_items() -> None:
    items = [_tensor((3,)), _tensor((1, 2))]
    incref(items[0])  # kept beyond the array
    array = create_array(2, ctypes.addressof((ctypes.c_void_p * 2)(*items)))
    assert array is not None
    count, type_word = _words(array, 2)
    assert count == COMBINED_REF_ONE and type_word & 0xFFFFFFFF == TVM_FFI_ARRAY
    data, size, capacity, data_deleter = _words(array + ARRAY_DATA, 4)
    assert (data, size, capacity, data_deleter) == (array + ARRAY_ITEMS, 2, 2, 0)
    assert ARRAY_SIZE == ARRAY_DATA + 8
    slots = _words(array + ARRAY_ITEMS, 4)
    assert [slots[0] & 0xFFFFFFFF, slots[1], slots[2] & 0xFFFFFFFF, slots[3]] == [
        TVM_FFI_TENSOR,
        items[0],
        TVM_FFI_TENSOR,
        items[1],
    ]
    decref(array)
    assert _words(items[0], 1)[0] == COMBINED_REF_ONE  # one owner left: us
    decref(items[0])


def test_negative_array_size_is_null() -> None:
    assert create_array(-1, None) is None


# ------------------------------------------------------------ workspace
def test_workspace_is_a_lifo_arena() -> None:
    first = workspace_alloc(100, 64)
    second = workspace_alloc(10, 256)
    assert first % 64 == 0 and second % 256 == 0
    assert 100 <= second - first < 100 + 256  # bumped, not a new block
    workspace_free(second)
    workspace_free(first)
    assert workspace_alloc(100, 64) == first  # popped back
    workspace_free(first)


def test_workspace_falls_back_to_the_heap_when_full() -> None:
    first = workspace_alloc(64, 64)
    big = workspace_alloc(4 * WORKSPACE_BYTES, 64)  # arena busy: cannot grow
    assert big is not None and big % 64 == 0
    ctypes.memset(big, 1, 4 * WORKSPACE_BYTES)
    workspace_free(big)
    workspace_free(first)
    grown = workspace_alloc(4 * WORKSPACE_BYTES, 64)  # empty arena: grows
    assert workspace_alloc(64, 64) == grown + 4 * WORKSPACE_BYTES
    workspace_free(grown + 4 * WORKSPACE_BYTES)
    workspace_free(grown)
    assert workspace_alloc(16, 64) == grown


def test_each_thread_has_its_own_workspace() -> None:
    here = workspace_alloc(64, 64)
    there: list[int] = []

    def other() -> None:
        block = workspace_alloc(64, 64)
        there.append(block)
        workspace_free(block)

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert there and there[0] != here
    workspace_free(here)
