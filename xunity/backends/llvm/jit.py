"""In-process JIT with an on-disk cache of compiled objects.

Every module is optimised and compiled to an object file once; the object
is stored under a key made of a hash of its LLVM IR (a structural hash of the
module) and the target fingerprint, so a second process — or the same model
compiled again — loads machine code in milliseconds instead of re-running
LLVM.  Set XUNITY_CACHE_DIR to move the cache, or to an empty string to
disable it.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import llvmlite.binding as llvm

from xunity.backends.llvm.optimize import optimize
from xunity.backends.llvm.target import HostTarget, initialize_llvm


def default_cache_dir() -> Path | None:
    configured = os.environ.get("XUNITY_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured else None
    return Path.home() / ".cache" / "xunity" / "objects"


def object_key(llvm_ir: str, target: HostTarget) -> str:
    return hashlib.sha256(f"{target.fingerprint()}\n{llvm_ir}".encode()).hexdigest()


class ObjectCache:
    """Compiled objects on disk, written atomically so parallel runs can share it."""

    def __init__(self, directory: Path | None):
        self.directory = directory
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> bytes | None:
        if self.directory is None:
            return None
        path = self.directory / f"{key}.o"
        if not path.exists():
            return None
        self.hits += 1
        return path.read_bytes()

    def put(self, key: str, data: bytes) -> None:
        if self.directory is None:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=self.directory, delete=False) as tmp:
            tmp.write(data)
        os.replace(tmp.name, self.directory / f"{key}.o")


class JitEngine:
    """An MCJIT engine to which compiled modules are added as object files."""

    def __init__(self, target: HostTarget | None = None, cache_dir: Path | None = None):
        initialize_llvm()
        self.target = target or HostTarget.detect()
        self.cache = ObjectCache(
            cache_dir if cache_dir is not None else default_cache_dir()
        )
        self._engine = llvm.create_mcjit_compiler(
            llvm.parse_assembly(""), self.target.create_machine()
        )

    def compile_object(self, llvm_ir: str) -> bytes:
        """Machine code for `llvm_ir`, from the cache when it is there."""
        key = object_key(llvm_ir, self.target)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        self.cache.misses += 1
        data = self.target.machine.emit_object(optimize(llvm_ir, self.target))
        self.cache.put(key, data)
        return data

    def add(self, llvm_ir: str) -> None:
        obj = llvm.ObjectFileRef.from_data(self.compile_object(llvm_ir))
        self._engine.add_object_file(obj)
        self._engine.finalize_object()

    def address(self, symbol: str) -> int:
        """The address of a compiled function; KeyError when it is not defined."""
        address = self._engine.get_function_address(symbol)
        if not address:
            raise KeyError(f"no compiled function named {symbol!r}")
        return address
