"""`graph-specialize-shapes`: bind shape variables to constants everywhere.

`-p 'graph-specialize-shapes{bindings="n=128,b=1"}'` rewrites every symbolic
dim of every type and dims attribute (function signatures included), so one
generic program can be specialised for a known size, e.g. to compile a
static-shape variant or to check what a symbolic program becomes at a size.
Expressions simplify as they are bound: `(n - 3) floordiv 2 + 1` with `n=11`
becomes `5`.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriteWalker,
    TypeConversionPattern,
    attr_type_rewrite_pattern,
)
from xdsl.utils.exceptions import PassFailedException

from xunity.dialects.graph.types import DimsAttr


def parse_bindings(text: str) -> dict[str, int]:
    """`"n=128, b=1"` -> `{"n": 128, "b": 1}`, with errors that show the bad item."""
    bindings: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name.isidentifier() or not value.lstrip("-").isdigit():
            raise PassFailedException(
                f"graph-specialize-shapes: bad binding '{item}', expected name=integer"
            )
        if int(value) < 0:
            raise PassFailedException(
                f"graph-specialize-shapes: {name} = {value} is negative"
            )
        bindings[name] = int(value)
    return bindings


class SubstituteShapeVariables(TypeConversionPattern):
    """Every `DimsAttr` (including those inside tensor types) with variables bound."""

    def __init__(self, bindings: dict[str, int]):
        super().__init__(recursive=True)
        self.bindings = bindings

    @attr_type_rewrite_pattern
    def convert_type(self, typ: DimsAttr) -> DimsAttr | None:
        dims = tuple(dim.substitute(self.bindings) for dim in typ.data)
        return None if dims == typ.data else DimsAttr(dims)


@dataclass(frozen=True)
class GraphSpecializeShapesPass(ModulePass):
    """Bind shape variables to integers in every type of the module."""

    name = "graph-specialize-shapes"

    bindings: str = ""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        pattern = SubstituteShapeVariables(parse_bindings(self.bindings))
        PatternRewriteWalker(pattern).rewrite_module(op)
