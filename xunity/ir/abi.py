"""Names, codes and byte layouts shared by the compiler, the runtime and their callers.

The compiled functions follow tvm-ffi's packed-function ABI (docs/abi.md);
the symbols, codes and offsets below are spelled once here, because the
lowering passes emit them, the LLVM backend and the runtime IR implement
them and the Python side (and C hosts, through
xunity/runtime/include/xunity_runtime.h) read them.  The header and this
module must agree: tests/runtime/test_abi_header.py checks every value the
header spells.  Standard library only, nothing from xunity: every layer may
import it.

Layouts are byte offsets on a 64-bit little-endian target (the only kind
xunity compiles for); the structs are DLPack's (dlpack.h) and tvm-ffi's
(c_api.h, object.h).
"""

# ------------------------------------------------------------------ symbols
PACKED_SYMBOL_PREFIX = "__tvm_ffi_"
"""`__tvm_ffi_<name>`: the packed entry point of compiled function `<name>`."""

DESTINATION_SUFFIX = "_out"
"""`<name>_out`: the destination-passing entry of graph function `<name>`."""

PROFILE_COUNTERS_ACCESSOR = "__xunity_profile_counters"
"""Returns the per-kernel (calls, nanoseconds) counters of a profiled build."""

PROFILE_NAMES_ACCESSOR = "__xunity_profile_names"
"""Returns the kernel names, in the order of the profile counters."""

METADATA_SYMBOL = "__xunity_metadata"
"""The NUL-terminated JSON description of an exported library's functions."""

METADATA_ACCESSOR = "XUModuleMetadata"
"""`const char* XUModuleMetadata(void)`: returns METADATA_SYMBOL."""

METADATA_FORMAT = "xunity.module"
METADATA_VERSION = 2
"""2: graph functions return their results (`symbol`) and have a
destination-passing entry (`destination_symbol`); 1 took outputs only."""

TVM_FFI_SET_RAISED = "TVMFFIErrorSetRaisedFromCStr"
"""tvm-ffi's error setter, looked up with dlsym when a packed call fails."""

NUM_THREADS_ENV = "XUNITY_NUM_THREADS"
"""The default thread count of parallel regions, when a positive number."""


def packed_symbol(name: str) -> str:
    """The packed entry point of compiled function `name`."""
    return PACKED_SYMBOL_PREFIX + name


# ------------------------------------------------------------------ calls
PACKED_FAILED = -1
"""What a packed call returns when it fails (0 on success); the message is
the calling thread's XUGetLastError()."""

ERROR_BUFFER_SIZE = 1024
"""Bytes of a thread's error buffer: messages keep at most 1023 and a NUL."""

MIN_ALIGN = 64
"""Every runtime allocation is aligned to max(align, MIN_ALIGN) bytes."""

# ------------------------------------------------------------------ DLPack
DL_CPU = 1
"""DLDeviceType kDLCPU: the only device xunity libraries accept."""

DL_INT, DL_UINT, DL_FLOAT, DL_BFLOAT, DL_BOOL = 0, 1, 2, 4, 6
"""DLDataTypeCode: kDLInt, kDLUInt, kDLFloat, kDLBfloat, kDLBool."""

DLTENSOR_DATA, DLTENSOR_DEVICE, DLTENSOR_NDIM, DLTENSOR_DTYPE = 0, 8, 16, 20
DLTENSOR_SHAPE, DLTENSOR_STRIDES, DLTENSOR_BYTE_OFFSET = 24, 32, 40
DLTENSOR_BYTES = 48
"""DLTensor: data, device {type, id}, ndim, dtype {code, bits, lanes} (one
i32), shape, strides, byte_offset."""

DLPACK_VERSION = 1
"""DLManagedTensorVersioned.version as one little-endian i64: major 1, minor 0."""

MANAGED_VERSION, MANAGED_CONTEXT, MANAGED_DELETER, MANAGED_FLAGS = 0, 8, 16, 24
MANAGED_DLTENSOR = 32
"""DLManagedTensorVersioned: version, manager_ctx, deleter, flags, dl_tensor."""


def dlpack_dtype_word(code: int, bits: int) -> int:
    """A one-lane DLDataType {code, bits, lanes = 1} as the i32 it is in memory."""
    return code | (bits << 8) | (1 << 16)


# ------------------------------------------------------------------ tvm-ffi
TVM_FFI_NONE = 0
TVM_FFI_INT = 1
TVM_FFI_DLTENSOR_PTR = 7
"""A TVMFFIAny whose value is a borrowed DLTensor*."""
TVM_FFI_STATIC_OBJECT_BEGIN = 64
"""Type indices from here on are reference-counted objects."""
TVM_FFI_TENSOR = 70
TVM_FFI_ARRAY = 71

ANY_BYTES = 16
ANY_TYPE_INDEX, ANY_VALUE = 0, 8
"""TVMFFIAny: i32 type_index, u32 zero padding, then the 8-byte value."""

OBJECT_REF_COUNT, OBJECT_TYPE_INDEX, OBJECT_DELETER = 0, 8, 16
OBJECT_HEADER_BYTES = 24
"""TVMFFIObject: u64 combined_ref_count, i32 type_index, u32 pad, deleter."""

OBJECT_PREFIX_BYTES = 16
"""Zeros in front of every object: where tvm-ffi allocators keep their header."""

COMBINED_REF_ONE = (1 << 32) | 1
"""A new object: one strong and one weak reference (tvm-ffi's convention)."""

DELETER_STRONG, DELETER_WEAK = 1, 2
"""The flags that tell an object's deleter which count reached zero."""

# The objects the runtime makes (offsets from the object, past its prefix).
TENSOR_DLTENSOR = OBJECT_HEADER_BYTES
"""A tensor object: header, DLTensor, ..."""
TENSOR_DLPACK = 72
"""... a DLManagedTensorVersioned (80 bytes) owning one reference once handed out ..."""
TENSOR_SHAPE = 152
"""... then shape[ndim] and strides[ndim]; the data starts at the next 64-byte
boundary of the block."""

ARRAY_DATA, ARRAY_SIZE, ARRAY_CAPACITY, ARRAY_DATA_DELETER = 24, 32, 40, 48
ARRAY_ITEMS = 56
"""An array object: header, TVMFFISeqCell {data, size, capacity, data_deleter},
then the TVMFFIAny items (data points at them)."""

# ------------------------------------------------------------------ argument tables
ARG_TABLE_COUNT, ARG_TABLE_NUM_VARS, ARG_TABLE_SPECS = 0, 4, 8
ARG_TABLE_BINDINGS, ARG_TABLE_VAR_NAMES = 16, 24
ARG_TABLE_BYTES = 32
"""What a packed wrapper passes XUCheckArguments: i32 count (its inputs),
i32 num_vars (its shape variables, sorted by name), ArgSpec specs[count],
i32 bindings[num_vars][2] (the {argument, axis} each variable is read from)
and const char* var_names[num_vars].  Empty arrays may be NULL."""

ARG_SPEC_PREFIX, ARG_SPEC_SHAPE_TEXT, ARG_SPEC_DTYPE_NAME = 0, 8, 16
ARG_SPEC_DIMS, ARG_SPEC_WHERE = 24, 32
ARG_SPEC_NDIM, ARG_SPEC_DTYPE, ARG_SPEC_NUM_WHERE = 40, 44, 48
ARG_SPEC_BYTES = 56
"""ArgSpec, one input: the texts of its messages (`main: argument 0 (x)`,
`[n, 16]`, `float32`), i64 dims[ndim][2] ({ARG_DIM_* kind, value}), i32
where[num_where] (the variables of its shape, ascending), i32 ndim, the
expected dtype (dlpack_dtype_word), i32 num_where, 4 bytes of padding."""

ARG_DIM_BYTES = 16
ARG_DIM_CONSTANT, ARG_DIM_VARIABLE, ARG_DIM_SKIP = 0, 1, 2
"""A dim's kind: the value is its size; the value is its variable's index;
or a compound expression (`n*2`), which the wrapper checks itself."""
