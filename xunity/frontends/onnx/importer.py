"""Import an ONNX model as a graph-dialect `func.func`.

    model = import_onnx("model.onnx")
    exe = xunity.compile(model.module, params=model.params)
    y = exe["main"](x)

Named dims (`dim_param`) become shape variables, so one compiled module
serves every batch size or sequence length.  Every op type the importer
cannot convert is reported in one error before anything is built.

Import-time tensors (initializers, `Constant` outputs and what folds from
them) stay numpy arrays until an op needs them at run time.  Then those with
more than `max_constant_elements` elements become `graph.weight`s named after
their ONNX value, with the data in `params`: the IR stays small enough to
print and parse, and weights can be swapped without re-importing.  Smaller
ones (scalars, biases of a few elements) become inline `graph.constant`s,
so the module is self-contained where that costs nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import TypeVar

import numpy as np
import onnx
from google.protobuf.message import DecodeError
from onnx import numpy_helper
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.utils.exceptions import VerifyException

from xunity.dialects.graph.creation import ConstantOp, WeightOp
from xunity.dialects.graph.inference import ShapeError
from xunity.dialects.graph.types import TensorType
from xunity.frontends.common import ImportedModel, ShapeVariables
from xunity.frontends.onnx import (  # noqa: F401  (registers the converters)
    creation,
    elementwise,
    linalg,
    manipulation,
    nn,
    reduction,
)
from xunity.frontends.onnx.converter import (
    CONVERTERS,
    Known,
    NodeContext,
    OnnxImportError,
    node_label,
)
from xunity.frontends.onnx.folding import can_fold, fold, is_symbolic
from xunity.frontends.onnx.types import element_type_of, element_type_of_numpy
from xunity.ir.symbolic import SymExpr

_Op = TypeVar("_Op", bound=Operation)

ALWAYS_KNOWN = frozenset({"Constant", "Shape", "Size"})
"""Ops whose outputs are known at import time whatever their inputs."""


class UnsupportedOpsError(OnnxImportError):
    """The model uses op types the importer cannot convert; lists all of them."""

    def __init__(self, source: str, nodes: Mapping[str, list[onnx.NodeProto]]):
        self.ops = {op: len(found) for op, found in nodes.items()}
        parts = [
            f"{op} x{len(found)} (first: '{found[0].name or found[0].output[0]}')"
            for op, found in sorted(nodes.items())
        ]
        super().__init__(
            f"{source}: {len(nodes)} unsupported ONNX op type"
            f"{'s' if len(nodes) != 1 else ''}: {', '.join(parts)}"
        )


def import_onnx(
    model: onnx.ModelProto | str | PathLike[str],
    *,
    func_name: str = "main",
    max_constant_elements: int = 16,
) -> ImportedModel:
    """Import `model` (a proto or a file path) as one graph function."""
    source = "<model>" if isinstance(model, onnx.ModelProto) else str(model)
    proto = model if isinstance(model, onnx.ModelProto) else load_model(model)
    check_supported(proto.graph, source)
    opset = default_opset(proto, source)
    importer = GraphImporter(opset, max_constant_elements)
    module = importer.build(proto.graph, func_name)
    return ImportedModel(
        module=module,
        params=importer.params,
        input_names=tuple(importer.input_names),
        output_names=tuple(o.name for o in proto.graph.output),
        func_name=func_name,
    )


# ------------------------------------------------------------------ loading
def load_model(path: str | PathLike[str]) -> onnx.ModelProto:
    """Read and check an ONNX file; problems become one-line OnnxImportErrors."""
    file = Path(path)
    if not file.is_file():
        raise OnnxImportError(f"{file}: no such file")
    try:
        proto = onnx.load(str(file))
    except DecodeError as error:
        raise OnnxImportError(
            f"{file}: not a valid ONNX model (truncated or corrupt protobuf: {error})"
        ) from None
    except (OSError, ValueError) as error:
        raise OnnxImportError(f"{file}: cannot load the model: {error}") from None
    try:
        onnx.checker.check_model(proto)
    except onnx.checker.ValidationError as error:
        first_line = str(error).strip().splitlines()[0]
        raise OnnxImportError(f"{file}: invalid ONNX model: {first_line}") from None
    return proto


def default_opset(model: onnx.ModelProto, source: str) -> int:
    for entry in model.opset_import:
        if entry.domain in ("", "ai.onnx"):
            return entry.version
    raise OnnxImportError(f"{source}: the model imports no version of the ONNX opset")


def check_supported(graph: onnx.GraphProto, source: str) -> None:
    """Raise one error listing every op type that can neither fold nor convert."""
    known = {init.name for init in graph.initializer}
    unsupported: dict[str, list[onnx.NodeProto]] = {}
    for node in graph.node:
        inputs = [name for name in node.input if name]
        if node.op_type in ALWAYS_KNOWN or (
            inputs and all(name in known for name in inputs) and can_fold(node)
        ):
            known.update(node.output)
            continue
        domain = node.domain if node.domain not in ("", "ai.onnx") else ""
        if domain or node.op_type not in CONVERTERS:
            op = f"{domain}.{node.op_type}" if domain else node.op_type
            unsupported.setdefault(op, []).append(node)
    if unsupported:
        raise UnsupportedOpsError(source, unsupported)


# ------------------------------------------------------------------ dims
# ------------------------------------------------------------------ building
@dataclass
class GraphImporter:
    """Builds one function from an ONNX graph, node by node, in graph order."""

    opset: int
    max_constant_elements: int
    params: dict[str, np.ndarray] = field(default_factory=dict)
    input_names: list[str] = field(default_factory=list)
    _values: dict[str, SSAValue] = field(default_factory=dict)
    _known: dict[str, Known] = field(default_factory=dict)
    _block: Block = field(default_factory=Block)
    _dims: ShapeVariables = field(default_factory=ShapeVariables)

    def build(self, graph: onnx.GraphProto, func_name: str) -> ModuleOp:
        for init in graph.initializer:
            self._known[init.name] = numpy_helper.to_array(init)
        for info in graph.input:
            if info.name in self._known:
                continue  # IR < 4: initializers may also be listed as inputs
            argument = self._block.insert_arg(
                self._input_type(info), len(self._block.args)
            )
            self._values[info.name] = argument
            self.input_names.append(info.name)
        for node in graph.node:
            self._convert(node)
        results = [self.materialize(o.name, None) for o in graph.output]
        self._block.add_op(func.ReturnOp(*results))
        function = func.FuncOp(
            func_name,
            ([a.type for a in self._block.args], [r.type for r in results]),
            Region(self._block),
        )
        return ModuleOp([function])

    def _input_type(self, info: onnx.ValueInfoProto) -> TensorType:
        kind = info.type
        if not kind.HasField("tensor_type"):
            raise OnnxImportError(f"graph input '{info.name}' is not a tensor")
        element_type = element_type_of(
            kind.tensor_type.elem_type, f"input '{info.name}'"
        )
        if not kind.tensor_type.HasField("shape"):
            raise OnnxImportError(f"graph input '{info.name}' has no shape")
        shape: list[SymExpr] = []
        for dim in kind.tensor_type.shape.dim:
            if dim.HasField("dim_value"):
                shape.append(SymExpr.of(dim.dim_value))
            elif dim.HasField("dim_param"):
                shape.append(self._dims.named(dim.dim_param))
            else:
                shape.append(self._dims.anonymous())
        return TensorType(shape, element_type)

    # ----------------------------------------------------------- values
    def known(self, name: str) -> Known | None:
        return self._known.get(name)

    def emit(self, op: _Op) -> _Op:
        self._block.add_op(op)
        return op

    def materialize(self, name: str, ctx: NodeContext | None) -> SSAValue:
        """The run-time value of `name`; a known array becomes a constant or weight."""
        if name in self._values:
            return self._values[name]
        if name not in self._known:
            where = f"{node_label(ctx.node)}: " if ctx else ""
            raise OnnxImportError(f"{where}value '{name}' is not defined")
        array = self._known[name]
        if is_symbolic(array):
            dims = ", ".join(map(str, array.ravel()))
            message = (
                f"value '{name}' holds the symbolic dims [{dims}] but is used as "
                "run-time data, which xunity cannot compute from shape variables"
            )
            raise ctx.error(message) if ctx else OnnxImportError(message)
        element_type = element_type_of_numpy(array.dtype, f"value '{name}'")
        if array.size > self.max_constant_elements and array.dtype != np.bool_:
            self.params[name] = np.ascontiguousarray(array)
            op: Operation = WeightOp(name, TensorType(array.shape, element_type))
        else:
            op = ConstantOp.from_numpy(array)
        self.emit(op)
        self._values[name] = op.results[0]
        return op.results[0]

    # ----------------------------------------------------------- nodes
    def _convert(self, node: onnx.NodeProto) -> None:
        ctx = NodeContext(node, self.opset, self)
        try:
            outputs = self._fold(ctx)
            if outputs is None:
                outputs = list(CONVERTERS[node.op_type](ctx))
        except (VerifyException, ShapeError) as error:
            raise OnnxImportError(f"{node_label(node)}: {error}") from None
        for name, value in zip(node.output, outputs, strict=False):
            if not name or value is None:
                continue
            if isinstance(value, SSAValue):
                self._values[name] = value
            else:
                self._known[name] = value
        missing = [
            n for n in node.output[len(outputs) :] if n and n not in self._values
        ]
        if missing:
            raise ctx.error(f"output '{missing[0]}' is not supported")

    def _fold(self, ctx: NodeContext) -> list[Known] | None:
        node = ctx.node
        names = list(node.input)
        if node.op_type in ALWAYS_KNOWN or not names or not can_fold(node):
            return None
        if any(name and name not in self._known for name in names):
            return None
        values = [self._known[n] if n else None for n in names]
        try:
            folded = fold(ctx, values)
        except OnnxImportError:
            raise
        except Exception as error:  # the reference evaluator lacks this case
            if node.op_type in CONVERTERS:
                return None  # convert it as a run-time op instead
            raise ctx.error(f"cannot evaluate at import time: {error}") from None
        if folded is None and node.op_type not in CONVERTERS:
            raise ctx.error("cannot compute with symbolic dims at import time")
        return folded
