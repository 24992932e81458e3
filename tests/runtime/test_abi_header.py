"""xunity/ir/abi.py and the C header of exported libraries say the same thing.

C hosts read xunity/runtime/include/xunity_runtime.h; the compiler, the
runtime IR and the Python side read xunity/ir/abi.py.  Every enum value and
`XU_` define of the header must equal its Python constant (and every one of
them must be checked here), and the struct layouts the header declares must
have the offsets abi.py spells (compiled with the system C compiler).
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from xunity.ir import abi
from xunity.runtime.export import INCLUDE_DIR, find_c_compiler

HEADER = (INCLUDE_DIR / "xunity_runtime.h").read_text()

HEADER_NAMES = {
    "kDLCPU": abi.DL_CPU,
    "kDLInt": abi.DL_INT,
    "kDLUInt": abi.DL_UINT,
    "kDLFloat": abi.DL_FLOAT,
    "kDLBfloat": abi.DL_BFLOAT,
    "kDLBool": abi.DL_BOOL,
    "kTVMFFINone": abi.TVM_FFI_NONE,
    "kTVMFFIInt": abi.TVM_FFI_INT,
    "kTVMFFIDLTensorPtr": abi.TVM_FFI_DLTENSOR_PTR,
    "kTVMFFIStaticObjectBegin": abi.TVM_FFI_STATIC_OBJECT_BEGIN,
    "kTVMFFITensor": abi.TVM_FFI_TENSOR,
    "kTVMFFIArray": abi.TVM_FFI_ARRAY,
    "XU_PACKED_SYMBOL_PREFIX": abi.PACKED_SYMBOL_PREFIX,
    "XU_DESTINATION_SUFFIX": abi.DESTINATION_SUFFIX,
}


def _header_values() -> dict[str, int | str]:
    """Enumerators (`kName = 1`) and string defines (`#define XU_NAME "..."`)."""
    code = re.sub(r"/\*.*?\*/", "", HEADER, flags=re.DOTALL)
    values: dict[str, int | str] = {}
    for body in re.findall(r"enum\s*\{(.*?)\}", code, flags=re.DOTALL):
        for name, value in re.findall(r"(\w+)\s*=\s*(\d+)", body):
            values[name] = int(value)
    for name, value in re.findall(r'#define\s+(XU_\w+)\s+"([^"]*)"', code):
        values[name] = value
    return values


def test_header_enums_and_defines_match_abi() -> None:
    values = _header_values()
    assert set(values) == set(HEADER_NAMES)
    assert values == HEADER_NAMES


def test_header_prose_matches_abi() -> None:
    """The limits and metadata names the header documents."""
    assert f"truncated to {abi.ERROR_BUFFER_SIZE - 1} bytes" in HEADER
    assert f"aligned to max(align, {abi.MIN_ALIGN})" in HEADER
    assert f"const char* {abi.METADATA_ACCESSOR}(void);" in HEADER
    assert f"global `{abi.METADATA_SYMBOL}`" in HEADER
    metadata = f'"format": "{abi.METADATA_FORMAT}", "version": {abi.METADATA_VERSION}'
    assert metadata in HEADER
    assert f'"symbol": "{abi.packed_symbol("main")}"' in HEADER


LAYOUT = {
    "offsetof(DLTensor, data)": abi.DLTENSOR_DATA,
    "offsetof(DLTensor, device)": abi.DLTENSOR_DEVICE,
    "offsetof(DLTensor, ndim)": abi.DLTENSOR_NDIM,
    "offsetof(DLTensor, dtype)": abi.DLTENSOR_DTYPE,
    "offsetof(DLTensor, shape)": abi.DLTENSOR_SHAPE,
    "offsetof(DLTensor, strides)": abi.DLTENSOR_STRIDES,
    "offsetof(DLTensor, byte_offset)": abi.DLTENSOR_BYTE_OFFSET,
    "sizeof(DLTensor)": abi.DLTENSOR_BYTES,
    "sizeof(TVMFFIAny)": abi.ANY_BYTES,
    "offsetof(TVMFFIAny, type_index)": abi.ANY_TYPE_INDEX,
    "offsetof(TVMFFIAny, v_ptr)": abi.ANY_VALUE,
    "offsetof(TVMFFIObject, combined_ref_count)": abi.OBJECT_REF_COUNT,
    "offsetof(TVMFFIObject, type_index)": abi.OBJECT_TYPE_INDEX,
    "offsetof(TVMFFIObject, deleter)": abi.OBJECT_DELETER,
    "sizeof(TVMFFIObject)": abi.OBJECT_HEADER_BYTES,
    "sizeof(TVMFFIObject) + offsetof(TVMFFISeqCell, data)": abi.ARRAY_DATA,
    "sizeof(TVMFFIObject) + offsetof(TVMFFISeqCell, size)": abi.ARRAY_SIZE,
    "sizeof(TVMFFIObject) + offsetof(TVMFFISeqCell, capacity)": abi.ARRAY_CAPACITY,
    "sizeof(TVMFFIObject) + offsetof(TVMFFISeqCell, data_deleter)": (
        abi.ARRAY_DATA_DELETER
    ),
    "sizeof(TVMFFIObject) + sizeof(TVMFFISeqCell)": abi.ARRAY_ITEMS,
    "dtype_word(kDLFloat, 32)": abi.dlpack_dtype_word(abi.DL_FLOAT, 32),
    "dtype_word(kDLBool, 8)": abi.dlpack_dtype_word(abi.DL_BOOL, 8),
}

PROGRAM = """
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "xunity_runtime.h"

static long dtype_word(int code, int bits) {
  DLDataType dtype = {(uint8_t)code, (uint8_t)bits, 1};
  uint32_t word;
  memcpy(&word, &dtype, sizeof word);
  return (long)word;
}

int main(void) {
%s
  return 0;
}
"""


@pytest.mark.skipif(
    not any(shutil.which(name) for name in ("cc", "gcc", "clang")),
    reason="no C compiler on PATH",
)
def test_header_layouts_match_abi(tmp_path: Path) -> None:
    prints = "\n".join(f'  printf("%ld\\n", (long)({e}));' for e in LAYOUT)
    source = tmp_path / "layout.c"
    source.write_text(PROGRAM % prints)
    binary = tmp_path / "layout"
    compile_command = [find_c_compiler(), f"-I{INCLUDE_DIR}", "-o", binary, source]
    subprocess.run(compile_command, check=True)
    printed = subprocess.run([binary], check=True, capture_output=True, text=True)
    measured = dict(zip(LAYOUT, map(int, printed.stdout.split()), strict=True))
    assert measured == LAYOUT
