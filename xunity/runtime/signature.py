"""A graph function's signature, and the one way it is written out and read back.

Both the whole-compile cache (xunity/compile_cache.py) and the metadata of
an exported library (xunity/runtime/export.py) save signatures as JSON and
rebuild them later, in another process; both go through `to_json` and
`from_json` (the export metadata adds a dtype and a shape to each tensor,
for C hosts), so the two cannot drift apart.  A tensor type is saved as its
xDSL text (`!graph.tensor<[n, 16], f32>`), which keeps symbolic shapes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from xdsl.context import Context
from xdsl.parser import Parser

from xunity.dialects.graph.types import TensorType


@dataclass(frozen=True)
class Signature:
    """Tensor types of a function's inputs and outputs (symbolic shapes)."""

    inputs: tuple[TensorType, ...]
    outputs: tuple[TensorType, ...]

    def to_json(self) -> dict[str, list[str]]:
        """{"inputs": [type, ...], "outputs": [type, ...]}, types as text."""
        return {
            "inputs": [type_text(t) for t in self.inputs],
            "outputs": [type_text(t) for t in self.outputs],
        }

    @staticmethod
    def from_json(entry: Mapping[str, Sequence[Any]], ctx: Context) -> Signature:
        """The signature `to_json` wrote; `ctx` must know the graph dialect.

        A tensor may also be an object with its text under "type", as the
        export metadata describes it for C hosts (with its dtype and shape).
        Raises ValueError for text that is not a tensor type.
        """
        return Signature(
            tuple(_tensor_type(item, ctx) for item in entry["inputs"]),
            tuple(_tensor_type(item, ctx) for item in entry["outputs"]),
        )


def type_text(tensor: TensorType) -> str:
    """How a tensor type is saved: its xDSL text, which `from_json` parses."""
    return str(tensor)


def _tensor_type(item: str | Mapping[str, Any], ctx: Context) -> TensorType:
    text = item if isinstance(item, str) else item["type"]
    parsed = Parser(ctx, text).parse_attribute()
    if not isinstance(parsed, TensorType):
        raise ValueError(f"not a tensor type: {text}")
    return parsed
