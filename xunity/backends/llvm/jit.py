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
import multiprocessing
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import llvmlite.binding as llvm

from xunity.backends.llvm.optimize import optimize
from xunity.backends.llvm.split import split_module
from xunity.backends.llvm.target import HostTarget, initialize_llvm

SPLIT_LINES = 4000
"""Lines of LLVM IR from which a module is split into parts compiled in
parallel processes (split.py); a smaller one compiles faster than a process
starts."""


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

    def __init__(
        self,
        target: HostTarget | None = None,
        cache_dir: Path | None = None,
        split_lines: int | None = None,
    ):
        initialize_llvm()
        self.target = target or HostTarget.detect()
        self.cache = ObjectCache(
            cache_dir if cache_dir is not None else default_cache_dir()
        )
        self.split_lines = SPLIT_LINES if split_lines is None else split_lines
        self._engine = llvm.create_mcjit_compiler(
            llvm.parse_assembly(""), self.target.create_machine()
        )

    def compile_object(self, llvm_ir: str) -> bytes:
        """Machine code for `llvm_ir`, from the cache when it is there."""
        return self._compile_parts([llvm_ir])[0]

    def add(self, llvm_ir: str) -> None:
        """Compile `llvm_ir` (a large module in parts, in parallel) and load it."""
        parts = None
        workers = len(os.sched_getaffinity(0))
        if workers > 1 and llvm_ir.count("\n") >= self.split_lines:
            parts = split_module(llvm_ir, workers)
        for data in self._compile_parts(parts or [llvm_ir]):
            self._engine.add_object_file(llvm.ObjectFileRef.from_data(data))
        self._engine.finalize_object()

    def _compile_parts(self, parts: list[str]) -> list[bytes]:
        """Each part's object: from the cache, else compiled (the missing
        ones in processes of their own when there are several)."""
        keys = [object_key(part, self.target) for part in parts]
        objects = [self.cache.get(key) for key in keys]
        missing = [i for i, data in enumerate(objects) if data is None]
        self.cache.misses += len(missing)
        compiled = _compile_all([parts[i] for i in missing], self.target)
        for i, data in zip(missing, compiled, strict=True):
            self.cache.put(keys[i], data)
            objects[i] = data
        return [data for data in objects if data is not None]

    def address(self, symbol: str) -> int:
        """The address of a compiled function; KeyError when it is not defined."""
        address = self._engine.get_function_address(symbol)
        if not address:
            raise KeyError(f"no compiled function named {symbol!r}")
        return address


def _compile(llvm_ir: str, target: HostTarget | None = None) -> bytes:
    """O3 and code generation for the host (in a worker process, its target)."""
    target = target or HostTarget.detect()
    return target.machine.emit_object(optimize(llvm_ir, target))


def _compile_all(texts: list[str], target: HostTarget) -> list[bytes]:
    """Objects of `texts`, in forked processes when there are several (a
    process that cannot fork, or whose workers fail, compiles them here, and
    so does a daemonic multiprocessing worker, which may not have children)."""
    if len(texts) > 1 and not multiprocessing.current_process().daemon:
        try:
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(len(texts), mp_context=context) as pool:
                return list(pool.map(_compile, texts))
        except (OSError, BrokenProcessPool):
            pass
    return [_compile(text, target) for text in texts]
