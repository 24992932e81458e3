"""Shared libraries: `Executable.export_library(path)` (xunity/runtime/library.py
loads them back with `load_module(path)`).

An exported library holds the program the JIT runs (its LLVM IR, compiled to
a position-independent object), the complete runtime (which the JIT shares
process-wide instead) and a JSON description of the module's functions,
linked by the system C compiler:

    cc -shared -fPIC -Wl,-Bsymbolic -o model.so <objects> -lm -lpthread -ldl

`-Wl,-Bsymbolic` binds the library's calls to its own runtime (error buffer,
allocator) even when another xunity library in the process exports the same
names.  The description is `const char* XUModuleMetadata(void)` (also the
global `__xunity_metadata`); `load_module` dlopens a library with ctypes and
rebuilds an `Executable` from it.  Objects a library returns (tensors, arrays)
are freed by that library's runtime: never `dlclose` it.  docs/abi.md
describes the ABI for C hosts.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llvmlite import ir

from xunity.backends.llvm.jit import JitEngine
from xunity.backends.llvm.packed import dlpack_dtype
from xunity.backends.llvm.runtime import standalone_runtime_ir
from xunity.dialects.graph.types import TensorType
from xunity.ir.abi import (
    DESTINATION_SUFFIX,
    METADATA_ACCESSOR,
    METADATA_FORMAT,
    METADATA_SYMBOL,
    METADATA_VERSION,
    packed_symbol,
)
from xunity.runtime.signature import Signature, type_text

if TYPE_CHECKING:
    from xunity.runtime.executable import Executable

INCLUDE_DIR = Path(__file__).parent / "include"
"""Where xunity_runtime.h, the C header of exported libraries, is installed."""

C_COMPILERS = ("cc", "gcc", "clang")
"""Tried in this order (after $CC) when no compiler is given."""
LINK_FLAGS = ("-shared", "-fPIC", "-Wl,-Bsymbolic")
LINK_LIBRARIES = ("-lm", "-lpthread", "-ldl")
"""libdl: the error path looks up tvm-ffi with dlsym (in libc since glibc 2.34)."""


class ExportError(RuntimeError):
    """A shared library could not be built or loaded."""


# ------------------------------------------------------------------ metadata
def module_metadata(functions: Mapping[str, Signature | None]) -> dict[str, Any]:
    """The JSON-able description of a module's packed functions."""
    return {
        "format": METADATA_FORMAT,
        "version": METADATA_VERSION,
        "functions": [
            _function_metadata(name, signature)
            for name, signature in sorted(functions.items())
        ],
    }


def _function_metadata(name: str, signature: Signature | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name, "symbol": packed_symbol(name)}
    if signature is None:
        return {**entry, "kind": "kernel"}
    return {
        **entry,
        "destination_symbol": packed_symbol(name + DESTINATION_SUFFIX),
        "kind": "graph",
        "inputs": [_tensor_metadata(t) for t in signature.inputs],
        "outputs": [_tensor_metadata(t) for t in signature.outputs],
    }


def _tensor_metadata(tensor: TensorType) -> dict[str, Any]:
    """A tensor for C hosts (dtype, shape) and for `load_module` (its type,
    which `Signature.from_json` reads back)."""
    return {
        "dtype": dlpack_dtype(tensor.element_type)[2],
        "shape": [str(dim) for dim in tensor.shape],
        "type": type_text(tensor),
    }


def metadata_ir(text: str, triple: str, data_layout: str) -> str:
    """LLVM IR defining `__xunity_metadata` (NUL-terminated) and its accessor."""
    module = ir.Module(name="xunity_metadata")
    module.triple = triple
    module.data_layout = data_layout
    data = bytearray(text.encode()) + b"\0"
    array_type = ir.ArrayType(ir.IntType(8), len(data))
    variable = ir.GlobalVariable(module, array_type, name=METADATA_SYMBOL)
    variable.global_constant = True
    variable.initializer = ir.Constant(array_type, data)  # pyright: ignore[reportAttributeAccessIssue]
    pointer = ir.IntType(8).as_pointer()
    accessor = ir.Function(module, ir.FunctionType(pointer, []), METADATA_ACCESSOR)
    builder = ir.IRBuilder(accessor.append_basic_block("entry"))
    builder.ret(builder.bitcast(variable, pointer))
    return str(module)


# ------------------------------------------------------------------ export
def find_c_compiler(compiler: str | None = None) -> str:
    """The path of `compiler`, else of $CC, cc, gcc or clang: the first on PATH."""
    if compiler is not None:
        candidates: Sequence[str] = (compiler,)
    else:
        from_env = os.environ.get("CC")
        candidates = (from_env, *C_COMPILERS) if from_env else C_COMPILERS
    for name in candidates:
        found = shutil.which(name)
        if found is not None:
            return found
    raise ExportError(
        "export_library links with the system C compiler, but none was found: "
        f"tried {', '.join(candidates)} on PATH; install one (e.g. gcc) or pass "
        "compiler=<path>"
    )


def export_library(
    exe: Executable, path: str | PathLike[str], compiler: str | None = None
) -> None:
    """Link `exe`'s runtime and program into the shared library `path`."""
    linker = find_c_compiler(compiler)
    engine = exe.engine
    if not isinstance(engine, JitEngine) or exe.llvm_ir is None:
        raise ExportError(
            "export_library needs a module compiled by xunity.compile in this "
            "process; a loaded library has no LLVM IR left to link"
        )
    functions = {name: exe[name].signature for name in exe.function_names}
    metadata = json.dumps(module_metadata(functions), separators=(",", ":"))
    target = engine.target
    sources = [
        standalone_runtime_ir(target.triple, target.data_layout),
        exe.llvm_ir,
        metadata_ir(metadata, target.triple, target.data_layout),
    ]
    out = Path(path)
    with tempfile.TemporaryDirectory(prefix="xunity-export-") as tmp:
        objects = []
        for index, text in enumerate(sources):
            obj = Path(tmp) / f"part{index}.o"
            obj.write_bytes(engine.compile_object(text))
            objects.append(str(obj))
        # Link next to the target, then rename: a process that has the old
        # library mapped keeps a consistent file.
        staged = out.with_name(f".{out.name}.{os.getpid()}.tmp")
        command = [linker, *LINK_FLAGS, "-o", str(staged), *objects, *LINK_LIBRARIES]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            staged.unlink(missing_ok=True)
            raise ExportError(
                f"linking {out} failed: {' '.join(command)}\n{done.stderr.strip()}"
            )
        os.replace(staged, out)
