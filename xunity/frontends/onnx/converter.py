"""What an ONNX op converter sees: one node, its inputs, and a place to emit ops.

A converter turns one ONNX node into graph ops.  Its inputs are either
run-time values (`SSAValue`s of `!graph.tensor` type) or *known* values:
numpy arrays the importer computed at import time (initializers, `Constant`
outputs, `Shape` outputs and whatever folds from them).  A known array of
dtype `object` holds `SymExpr` elements: the dims of a symbolic shape, so a
`Shape -> Gather -> Concat -> Reshape` chain becomes a reshape to `[n, 12, 64]`.
Converters return one entry per node output: a value, a known array, or
None for an optional output nobody reads.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import onnx
from onnx import helper
from xdsl.ir import Operation, SSAValue

from xunity.dialects.graph.base import tensor_type
from xunity.dialects.graph.creation import ConstantOp
from xunity.dialects.graph.types import TensorType
from xunity.ir.symbolic import SymExpr
from xunity.runtime.executable import numpy_dtype

if TYPE_CHECKING:
    from xunity.frontends.onnx.importer import GraphImporter

Known = np.ndarray
"""An import-time value; dtype `object` means its elements are `SymExpr`s."""

Output = SSAValue | Known | None
Converter = Callable[["NodeContext"], Sequence[Output]]

CONVERTERS: dict[str, Converter] = {}
"""ONNX op type (default domain) -> converter; filled by the family modules."""

_Op = TypeVar("_Op", bound=Operation)


class OnnxImportError(ValueError):
    """The model cannot be imported; the message names the file or node and why."""


def converter(*op_types: str) -> Callable[[Converter], Converter]:
    """Register a converter for these ONNX op types."""

    def register(function: Converter) -> Converter:
        for op_type in op_types:
            CONVERTERS[op_type] = function
        return function

    return register


def node_label(node: onnx.NodeProto) -> str:
    return f"{node.op_type} node '{node.name or node.output[0]}'"


@dataclass
class NodeContext:
    """One node being converted, with typed access to its inputs and attributes."""

    node: onnx.NodeProto
    opset: int
    importer: GraphImporter

    # ----------------------------------------------------------- attributes
    def attr(self, name: str, default: Any = None) -> Any:
        for attribute in self.node.attribute:
            if attribute.name == name:
                value = helper.get_attribute_value(attribute)
                return value.decode() if isinstance(value, bytes) else value
        return default

    def ints_attr(self, name: str, default: Sequence[int] | None = None) -> list[int]:
        value = self.attr(name)
        if value is None:
            if default is None:
                raise self.error(f"needs the '{name}' attribute")
            return list(default)
        return [int(v) for v in value]

    # ----------------------------------------------------------- inputs
    def has_input(self, index: int) -> bool:
        return index < len(self.node.input) and self.node.input[index] != ""

    @property
    def num_inputs(self) -> int:
        return len(self.node.input)

    @property
    def num_outputs(self) -> int:
        return len(self.node.output)

    def output_used(self, index: int) -> bool:
        return index < len(self.node.output) and self.node.output[index] != ""

    def input(self, index: int) -> SSAValue:
        """Input `index` as a run-time value (known values become constants)."""
        if not self.has_input(index):
            raise self.error(f"input {index} is required")
        return self.importer.materialize(self.node.input[index], self)

    def optional_input(self, index: int) -> SSAValue | None:
        return self.input(index) if self.has_input(index) else None

    def inputs(self) -> list[SSAValue]:
        return [self.input(i) for i in range(self.num_inputs) if self.has_input(i)]

    def input_type(self, index: int) -> TensorType:
        return tensor_type(self.input(index))

    def known(self, index: int) -> Known | None:
        """Input `index` if its value is known at import time, else None."""
        if not self.has_input(index):
            return None
        return self.importer.known(self.node.input[index])

    def known_ints(self, index: int, what: str) -> list[int]:
        """Input `index` as constant integers; an error if it is not known."""
        dims = self.known_dims(index, what)
        values = [d.constant_value() for d in dims]
        if any(v is None for v in values):
            raise self.error(
                f"{what} must be constant, got [{', '.join(map(str, dims))}]"
            )
        return [int(v) for v in values if v is not None]

    def known_dims(self, index: int, what: str) -> list[SymExpr]:
        """Input `index` as symbolic integers (e.g. a shape computed by `Shape`)."""
        value = self.known(index)
        if value is None:
            raise self.error(
                f"{what} (input {index}) must be known at import time; it is "
                "computed from run-time data"
            )
        if value.dtype != object and not np.issubdtype(value.dtype, np.integer):
            raise self.error(f"{what} must hold integers, got {value.dtype}")
        return [
            SymExpr.of(v if isinstance(v, SymExpr) else int(v)) for v in value.ravel()
        ]

    # ----------------------------------------------------------- building
    def emit(self, op: _Op) -> _Op:
        """Append `op` to the function being built and return it."""
        return self.importer.emit(op)

    def constant(self, array: np.ndarray) -> SSAValue:
        """An inline `graph.constant` holding `array`."""
        return self.emit(ConstantOp.from_numpy(np.asarray(array))).result

    def scalar(self, value: float, like: SSAValue) -> SSAValue:
        """A rank-0 constant with the element type of `like`."""
        element_type = tensor_type(like).element_type
        try:
            dtype = numpy_dtype(element_type)
        except TypeError:
            raise self.error(f"cannot make a {element_type} constant") from None
        return self.constant(np.array(value, dtype=dtype))

    def error(self, message: str) -> OnnxImportError:
        return OnnxImportError(f"{node_label(self.node)}: {message}")
