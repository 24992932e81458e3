"""What an ATen op converter sees: one FX node, its arguments, a place to emit ops.

A converter turns one `call_function` node of an `ExportedProgram` into graph
ops.  Arguments are read by their schema names (`ctx.tensor("self")`,
`ctx.arg("dim")`), with the schema's defaults, so positional and keyword
spellings of a call look the same.  An argument node is either a tensor
(an `SSAValue`), a symbolic integer (a `SymExpr` computed from the shapes,
e.g. `aten.sym_size.int` or `operator.mul` of sizes), or a tuple of those for
multi-output ops (read back by `operator.getitem`).  Converters return one
entry per op output; None marks an output the importer cannot provide.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import torch
from torch import fx
from xdsl.dialects.builtin import (
    BFloat16Type,
    Float16Type,
    Float32Type,
    i1,
    i8,
    i32,
    i64,
)
from xdsl.ir import Attribute, Operation, SSAValue

from xunity.dialects.graph import elementwise as ew
from xunity.dialects.graph.base import tensor_type
from xunity.dialects.graph.creation import ConstantOp
from xunity.dialects.graph.types import TensorType
from xunity.ir.symbolic import SymExpr

if TYPE_CHECKING:
    from xunity.frontends.torch.importer import ProgramImporter

Value = SSAValue | SymExpr | tuple["Value | None", ...]
"""What a node stands for: a tensor, a symbolic integer, or a tuple of outputs."""

Output = SSAValue | None
Converter = Callable[["NodeContext"], Sequence[Output]]

CONVERTERS: dict[str, Converter] = {}
"""ATen overload name (`aten.add.Tensor`) -> converter; filled by the family modules."""

ELEMENT_TYPES: dict[torch.dtype, Attribute] = {
    torch.float32: Float32Type(),
    torch.float16: Float16Type(),
    torch.bfloat16: BFloat16Type(),
    torch.int64: i64,
    torch.int32: i32,
    torch.int8: i8,
    torch.bool: i1,
}
"""torch dtypes that graph tensors can hold."""

NUMPY_DTYPES: dict[torch.dtype, type[np.generic]] = {
    torch.float32: np.float32,
    torch.float16: np.float16,
    torch.int64: np.int64,
    torch.int32: np.int32,
    torch.int8: np.int8,
    torch.bool: np.bool_,
}
"""numpy counterparts for constants (bfloat16 constants go through f32)."""

_Op = TypeVar("_Op", bound=Operation)
_REQUIRED = object()


class TorchImportError(ValueError):
    """The program cannot be imported; the message names the node and why."""


def converter(*targets: str) -> Callable[[Converter], Converter]:
    """Register a converter for these ATen overloads (`aten.op.overload`)."""

    def register(function: Converter) -> Converter:
        for target in targets:
            CONVERTERS[target] = function
        return function

    return register


def node_label(node: fx.Node) -> str:
    return f"{node.target} node '{node.name}'"


def element_type_of(dtype: torch.dtype, what: str) -> Attribute:
    if dtype not in ELEMENT_TYPES:
        supported = ", ".join(str(d).removeprefix("torch.") for d in ELEMENT_TYPES)
        raise TorchImportError(
            f"{what}: dtype {dtype} has no graph equivalent ({supported})"
        )
    return ELEMENT_TYPES[dtype]


@dataclass
class NodeContext:
    """One node being converted, with typed access to its schema arguments."""

    node: fx.Node
    importer: ProgramImporter

    # ----------------------------------------------------------- arguments
    def arg(self, name: str, default: Any = _REQUIRED) -> Any:
        """Argument `name` with nodes resolved to their values (tensors, SymExprs)."""
        raw = self.raw_arg(name, default)
        return self.importer.resolve(raw, self)

    def raw_arg(self, name: str, default: Any = _REQUIRED) -> Any:
        """Argument `name` as written in the graph (nodes unresolved)."""
        for index, argument in enumerate(self._arguments()):
            if argument.name != name:
                continue
            if index < len(self.node.args) and not argument.kwarg_only:
                return self.node.args[index]
            if name in self.node.kwargs:
                return self.node.kwargs[name]
            if default is not _REQUIRED:
                return default
            if argument.has_default_value():
                return argument.default_value
            raise self.error(f"argument '{name}' is required")
        raise self.error(f"the schema has no argument '{name}'")

    def has_arg(self, name: str) -> bool:
        """Whether the op's schema has an argument `name` (overloads differ)."""
        return any(argument.name == name for argument in self._arguments())

    def _arguments(self) -> list[Any]:
        target = self.node.target
        assert isinstance(target, torch._ops.OpOverload)
        return list(target._schema.arguments)

    def tensor(self, name: str) -> SSAValue:
        value = self.arg(name)
        if not isinstance(value, SSAValue):
            raise self.error(f"'{name}' must be a tensor, got {value!r}")
        return value

    def optional_tensor(self, name: str) -> SSAValue | None:
        return None if self.raw_arg(name) is None else self.tensor(name)

    def operand(self, name: str, element_type: Attribute) -> SSAValue:
        """Tensor or Python-number argument `name` as a tensor of `element_type`."""
        value = self.arg(name)
        if isinstance(value, SSAValue):
            return self.cast(value, element_type)
        if isinstance(value, SymExpr):
            constant = value.constant_value()
            if constant is None:
                raise self.error(
                    f"'{name}' is the symbolic size {value}, used as run-time data, "
                    "which xunity cannot compute from shape variables"
                )
            value = constant
        if not isinstance(value, int | float | bool):
            raise self.error(f"'{name}' must be a tensor or a number, got {value!r}")
        return self.scalar(value, element_type)

    def dims(self, name: str) -> list[SymExpr]:
        """A list-of-sizes argument (ints or symbolic sizes) as SymExprs."""
        value = self.arg(name)
        values = value if isinstance(value, list | tuple) else [value]
        if not all(isinstance(v, int | SymExpr) for v in values):
            raise self.error(f"'{name}' must hold sizes, got {value!r}")
        return [SymExpr.of(v) for v in values]

    def ints(self, name: str, default: Any = _REQUIRED) -> list[int]:
        """An int or int-list argument (constant sizes, axes, strides)."""
        value = self.arg(name, default)
        values = value if isinstance(value, list | tuple) else [value]
        result: list[int] = []
        for v in values:
            constant = v.constant_value() if isinstance(v, SymExpr) else v
            if not isinstance(constant, int):
                raise self.error(f"'{name}' must hold constant integers, got {v}")
            result.append(constant)
        return result

    def int_arg(self, name: str, default: Any = _REQUIRED) -> int:
        return self.ints(name, default)[0]

    # ----------------------------------------------------------- result
    @property
    def result_val(self) -> Any:
        """The fake result (tensor or tuple) torch recorded for this node."""
        return self.node.meta.get("val")

    def result_type(self, index: int | None = None) -> TensorType:
        """The graph type of result `index` (the only one when None)."""
        val = self.result_val if index is None else self.result_val[index]
        return self.importer.tensor_type_of(val, node_label(self.node))

    def result_element_type(self, index: int | None = None) -> Attribute:
        val = self.result_val if index is None else self.result_val[index]
        return element_type_of(val.dtype, node_label(self.node))

    # ----------------------------------------------------------- building
    def emit(self, op: _Op) -> _Op:
        """Append `op` to the function being built and return it."""
        return self.importer.emit(op)

    def constant(self, array: np.ndarray) -> SSAValue:
        return self.emit(ConstantOp.from_numpy(np.asarray(array))).result

    def scalar(self, value: float, element_type: Attribute) -> SSAValue:
        """A rank-0 constant of `element_type` (bf16 by a cast from f32)."""
        if isinstance(element_type, BFloat16Type):
            return self.cast(self.scalar(value, Float32Type()), element_type)
        dtype = next((t for t, e in ELEMENT_TYPES.items() if e == element_type), None)
        if dtype is None or dtype not in NUMPY_DTYPES:
            raise self.error(f"cannot make a {element_type} constant")
        return self.constant(np.array(value, dtype=NUMPY_DTYPES[dtype]))

    def cast(self, value: SSAValue, element_type: Attribute) -> SSAValue:
        """`value` as `element_type`; to bool by comparison with zero, as torch."""
        source = tensor_type(value).element_type
        if source == element_type:
            return value
        if element_type == i1:
            zero = self.scalar(0, source)
            return self.emit(ew.NotEqualOp(value, zero)).result
        return self.emit(ew.AsTypeOp(value, element_type)).result

    def error(self, message: str) -> TorchImportError:
        return TorchImportError(f"{node_label(self.node)}: {message}")
