"""Loading an exported shared library: `load_module(path)` -> `Executable`.

The library is dlopened with ctypes; its `XUModuleMetadata()` JSON
(written by xunity/runtime/export.py) names the functions and their
signatures.  Objects a library returns (tensors, arrays) are freed by that
library's runtime: never `dlclose` it.  The library's own thread pool
follows `xunity.set_num_threads` (xunity/runtime/threads.py).
"""

from __future__ import annotations

import ctypes
import json
from collections.abc import Mapping
from os import PathLike
from pathlib import Path
from typing import Any

from xdsl.context import Context

from xunity.dialects.context import make_context
from xunity.ir.abi import METADATA_ACCESSOR, METADATA_FORMAT, METADATA_VERSION
from xunity.runtime.executable import Executable
from xunity.runtime.export import ExportError
from xunity.runtime.signature import Signature
from xunity.runtime.threads import adopt_library_setter


class SharedLibrary:
    """A dlopened library; `address` answers like `JitEngine.address`."""

    def __init__(self, path: str | PathLike[str]):
        self.path = Path(path).resolve()
        try:
            self._library = ctypes.CDLL(str(self.path))
        except OSError as error:
            raise ExportError(f"cannot load {self.path}: {error}") from error

    def address(self, symbol: str) -> int:
        try:
            function = getattr(self._library, symbol)
        except AttributeError:
            raise KeyError(f"{self.path} defines no symbol {symbol!r}") from None
        address = ctypes.cast(function, ctypes.c_void_p).value
        assert address is not None
        return address

    def metadata(self) -> dict[str, Any]:
        try:
            accessor = self.address(METADATA_ACCESSOR)
        except KeyError:
            raise ExportError(
                f"{self.path} is not an xunity library (no {METADATA_ACCESSOR})"
            ) from None
        text = ctypes.CFUNCTYPE(ctypes.c_char_p)(accessor)()
        assert text is not None
        metadata = json.loads(text.decode())
        if (metadata.get("format"), metadata.get("version")) != (
            METADATA_FORMAT,
            METADATA_VERSION,
        ):
            raise ExportError(
                f"{self.path}: unsupported metadata {metadata.get('format')!r} "
                f"version {metadata.get('version')!r}; this xunity reads "
                f"{METADATA_FORMAT!r} version {METADATA_VERSION}"
            )
        return metadata


def load_module(path: str | PathLike[str]) -> Executable:
    """The functions of a library made by `export_library`, callable from Python."""
    library = SharedLibrary(path)
    ctx = make_context()
    functions = {
        entry["name"]: _signature(entry, ctx)
        for entry in library.metadata()["functions"]
    }
    # The library has its own runtime and thread pool: it follows
    # xunity.set_num_threads like the JIT's.
    adopt_library_setter(library.address("XUSetNumThreads"))
    return Executable(library, functions)


def _signature(entry: Mapping[str, Any], ctx: Context) -> Signature | None:
    """A function's signature from its metadata; None for a kernel."""
    return None if entry["kind"] == "kernel" else Signature.from_json(entry, ctx)
