"""What the model importers share: their result, and shape-variable naming.

Neither torch nor onnx is imported here, so each importer's dependency stays
its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from xunity.ir.symbolic import SymExpr
from xunity.runtime.executable import Executable

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_RESERVED = frozenset({"floordiv", "ceildiv", "mod"})
"""Words of the symbolic-dim syntax, which a shape variable cannot be named."""


@dataclass(frozen=True)
class ImportedModel:
    """A graph-dialect module, the weights it names, and the source's I/O names."""

    module: ModuleOp
    params: dict[str, np.ndarray]
    input_names: tuple[str, ...]
    output_names: tuple[str, ...]
    func_name: str = "main"

    def compile(self, **options: object) -> Executable:
        """`xunity.compile` with this model's params bound."""
        from xunity.api import compile as compile_module

        return compile_module(self.module, params=self.params, **options)  # pyright: ignore[reportArgumentType]


class ShapeVariables:
    """Names of the source's dynamic dims -> valid, distinct shape variables."""

    def __init__(self) -> None:
        self._names: dict[str, str] = {}
        self._used: set[str] = set()

    def named(self, key: str, wanted: str | None = None) -> SymExpr:
        """The variable of source dim `key`, named after `wanted` (default:
        the key) made a valid identifier and distinct from the others."""
        if key not in self._names:
            self._names[key] = self._fresh(sanitize(wanted or key))
        return SymExpr.of(self._names[key])

    def anonymous(self) -> SymExpr:
        """A fresh variable for a dim that has neither a value nor a name."""
        return SymExpr.of(self._fresh("unk", numbered=True))

    def _fresh(self, base: str, numbered: bool = False) -> str:
        suffix = 0
        name = f"{base}{suffix}" if numbered else base
        while name in self._used:
            suffix += 1
            name = f"{base}{suffix}"
        self._used.add(name)
        return name


def sanitize(name: str) -> str:
    """`name` as a shape-variable identifier: other characters become `_`."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", name)
    if not name or not _IDENTIFIER.fullmatch(name):
        name = f"d_{name}"
    return f"{name}_" if name in _RESERVED else name
