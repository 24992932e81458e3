"""The whole-compile cache: a lowered program stored under a key of its input.

The object cache (backends/llvm/jit.py) skips LLVM, but parsing, lowering
and emitting a model as large as MiniLM still take seconds.  This cache
stores what `xunity.compile` produces before LLVM, the LLVM IR and the table
of callable functions, under a key that covers everything the result depends
on: the input module's text, the bound weights (names, dtypes, shapes and a
digest of their bytes), the options, the host target, and the source of
xunity itself plus the versions of xDSL and llvmlite (so editing the
compiler invalidates it).  A hit costs a hash of the inputs and a file read;
the object cache then supplies the machine code.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

from xunity.dialects.context import make_context
from xunity.runtime.signature import Signature

_FORMAT = 1


@dataclass(frozen=True)
class CompiledProgram:
    """What the cache keeps of a compile: the LLVM IR and the function table
    (a graph function's signature, or None for a kernel)."""

    llvm_ir: str
    functions: dict[str, Signature | None]


def compile_key(
    module_text: str,
    params: Mapping[str, np.ndarray] | None,
    options: str,
) -> str:
    digest = hashlib.sha256()
    for part in (str(_FORMAT), _compiler_fingerprint(), options, module_text):
        digest.update(part.encode())
        digest.update(b"\0")
    for name in sorted(params or {}):
        value = np.ascontiguousarray((params or {})[name])
        header = f"{name}|{value.dtype.str}|{value.shape}"
        digest.update(header.encode())
        digest.update(hashlib.sha256(value.data).digest())
    return digest.hexdigest()


@functools.cache
def _compiler_fingerprint() -> str:
    """xunity's own source and the versions of the libraries it builds on."""
    digest = hashlib.sha256()
    package = Path(__file__).parent
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode())
        digest.update(path.read_bytes())
    for library in ("xdsl", "llvmlite"):
        digest.update(metadata.version(library).encode())
    return digest.hexdigest()


def load(directory: Path | None, key: str) -> CompiledProgram | None:
    path = _path(directory, key)
    if path is None or not path.exists():
        return None
    try:
        data = json.loads(path.read_text())
        ctx = make_context()
        functions = {
            name: None if entry is None else Signature.from_json(entry, ctx)
            for name, entry in data["functions"].items()
        }
        return CompiledProgram(data["llvm_ir"], functions)
    except (OSError, ValueError, KeyError, TypeError):
        return None  # a damaged entry is a miss; the store replaces it


def store(directory: Path | None, key: str, program: CompiledProgram) -> None:
    path = _path(directory, key)
    if path is None:
        return
    functions = {
        name: None if signature is None else signature.to_json()
        for name, signature in program.functions.items()
    }
    text = json.dumps({"llvm_ir": program.llvm_ir, "functions": functions})
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False) as tmp:
        tmp.write(text)
    os.replace(tmp.name, path)


def _path(directory: Path | None, key: str) -> Path | None:
    return None if directory is None else directory / f"{key}.program.json"
