"""Where compiled code lives: anything that resolves a symbol to its address
(the in-process JIT, a dlopened library)."""

from __future__ import annotations

from typing import Protocol


class SymbolTable(Protocol):
    """Where compiled code lives: a `JitEngine` or a loaded `SharedLibrary`."""

    def address(self, symbol: str) -> int: ...
