"""Import a `torch.export.ExportedProgram` as a graph-dialect `func.func`.

    ep = torch.export.export(model.eval(), (x,), dynamic_shapes={"x": {0: Dim("n")}})
    imported = import_exported_program(ep)
    exe = xunity.compile(imported.module, params=imported.params)
    y = exe["main"](x.numpy())

The program is imported as exported, without `run_decompositions()`: export's
default IR keeps `linear`, `layer_norm` and `scaled_dot_product_attention`
whole, which map to single graph ops, where the core-ATen decomposition
spells attention as ~30 ops including an `arange` over a symbolic length
that the graph cannot express.  Core-ATen spellings (`addmm`,
`native_layer_norm`, `_softmax`, `convolution`, ...) convert too, so a
decomposed program imports as well.

Each symbol of a dynamic dim becomes a shape variable named after its
`torch.export.Dim` (or after torch's symbol, `s0`), and the size arithmetic in
the graph (`sym_size`, `operator.mul`, ...) is read from the symbolic value
torch recorded on each node, as a `SymExpr`.  Parameters and buffers become
`graph.weight`s named by their state-dict key (so another checkpoint can be
bound without re-importing); constants lifted from `forward` become inline
`graph.constant`s when they have at most `max_constant_elements` elements.
Every op without a converter is listed in one error before anything is built.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import sympy
import torch
from torch import fx
from torch.export import ExportedProgram
from torch.export.graph_signature import InputKind, OutputKind
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.utils.exceptions import VerifyException

from xunity.dialects.graph import elementwise as ew
from xunity.dialects.graph.creation import ConstantOp, WeightOp
from xunity.dialects.graph.inference import ShapeError
from xunity.dialects.graph.types import TensorType
from xunity.frontends import common
from xunity.frontends.common import ImportedModel
from xunity.frontends.torch import (  # noqa: F401  (registers the converters)
    creation,
    elementwise,
    linalg,
    manipulation,
    nn,
    reduction,
)
from xunity.frontends.torch.converter import (
    CONVERTERS,
    NodeContext,
    TorchImportError,
    Value,
    element_type_of,
    node_label,
)
from xunity.ir.symbolic import SymExpr

_Op = TypeVar("_Op", bound=Operation)

SIZE_FUNCTIONS = frozenset(
    {
        operator.add,
        operator.sub,
        operator.mul,
        operator.floordiv,
        operator.mod,
        operator.neg,
        torch.ops.aten.sym_size.int,
        torch.ops.aten.sym_numel.default,
        torch.sym_max,
        torch.sym_min,
    }
)
"""Functions of sizes: their value is the symbolic int torch recorded."""

IGNORED = frozenset(
    {
        "aten._assert_scalar.default",
        "aten._assert_tensor_metadata.default",
        "aten.sym_constrain_range_for_size.default",
        "aten.sym_constrain_range.default",
        "aten._assert_async.msg",
    }
)
"""Run-time checks with no result: nothing to import."""


class UnsupportedOpsError(TorchImportError):
    """The program uses ops the importer cannot convert; lists all of them."""

    def __init__(self, nodes: Mapping[str, list[fx.Node]]):
        self.ops = {op: len(found) for op, found in nodes.items()}
        parts = [
            f"{op} x{len(found)} (first: '{found[0].name}')"
            for op, found in sorted(nodes.items())
        ]
        super().__init__(
            f"{len(nodes)} unsupported torch op{'s' if len(nodes) != 1 else ''}: "
            f"{', '.join(parts)}"
        )


def import_exported_program(
    program: ExportedProgram,
    *,
    func_name: str = "main",
    max_constant_elements: int = 16,
) -> ImportedModel:
    """Import `program` (from `torch.export.export`) as one graph function."""
    check_supported(program.graph)
    importer = ProgramImporter(program, max_constant_elements)
    module = importer.build(func_name)
    return ImportedModel(
        module=module,
        params=importer.params,
        input_names=tuple(importer.input_names),
        output_names=tuple(importer.output_names),
        func_name=func_name,
    )


def check_supported(graph: fx.Graph) -> None:
    """Raise one error listing every op that has no converter."""
    unsupported: dict[str, list[fx.Node]] = {}
    for node in graph.nodes:
        if node.op != "call_function" or _is_structural(node):
            continue
        if str(node.target) not in CONVERTERS:
            unsupported.setdefault(str(node.target), []).append(node)
    if unsupported:
        raise UnsupportedOpsError(unsupported)


def _is_structural(node: fx.Node) -> bool:
    """Size arithmetic, output selection and checks: handled by the importer."""
    return (
        node.target in SIZE_FUNCTIONS
        or node.target is operator.getitem
        or str(node.target) in IGNORED
    )


# ------------------------------------------------------------------ dims
class ShapeVariables(common.ShapeVariables):
    """torch size symbols -> shape variables.

    A symbol takes the name of the `torch.export.Dim` it came from (export
    records it per input dim in the shape environment), else its own (`s0`).
    """

    def __init__(self, debug_names: Mapping[str, str]) -> None:
        super().__init__()
        self._debug_names = debug_names

    def variable(self, symbol: str) -> SymExpr:
        return self.named(symbol, self._debug_names.get(symbol, symbol))


def _dim_debug_names(program: ExportedProgram) -> dict[str, str]:
    """Symbol name -> Dim name, from the shape environment of export's fake tensors."""
    for node in program.graph.nodes:
        val = node.meta.get("val")
        shape_env = getattr(getattr(val, "fake_mode", None), "shape_env", None)
        if shape_env is None:
            continue
        debug = getattr(shape_env, "source_name_to_debug_name", {})
        variables = getattr(shape_env, "source_to_var", {})
        return {
            str(variables[source]): name
            for source, name in debug.items()
            if source in variables
        }
    return {}


# ------------------------------------------------------------------ building
@dataclass
class ProgramImporter:
    """Builds one function from an exported program's graph, in graph order."""

    program: ExportedProgram
    max_constant_elements: int
    params: dict[str, np.ndarray] = field(default_factory=dict)
    input_names: list[str] = field(default_factory=list)
    output_names: list[str] = field(default_factory=list)
    _values: dict[str, Value] = field(default_factory=dict)
    _lifted: dict[str, tuple[str, torch.Tensor, bool]] = field(default_factory=dict)
    """Placeholder name -> (state-dict name, tensor, is a state-dict entry)."""
    _block: Block = field(default_factory=Block)
    _dims: ShapeVariables = field(init=False)

    def __post_init__(self) -> None:
        self._dims = ShapeVariables(_dim_debug_names(self.program))

    def build(self, func_name: str) -> ModuleOp:
        self._bind_inputs()
        for node in self.program.graph.nodes:
            if node.op == "call_function":
                self._convert(node)
        results = self._outputs()
        self._block.add_op(func.ReturnOp(*results))
        function = func.FuncOp(
            func_name,
            ([a.type for a in self._block.args], [r.type for r in results]),
            Region(self._block),
        )
        return ModuleOp([function])

    # ----------------------------------------------------------- signature
    def _bind_inputs(self) -> None:
        placeholders = {
            n.name: n for n in self.program.graph.nodes if n.op == "placeholder"
        }
        state, constants = self.program.state_dict, self.program.constants
        for spec in self.program.graph_signature.input_specs:
            name = spec.arg.name
            if spec.kind == InputKind.USER_INPUT:
                val = placeholders[name].meta.get("val")
                if not isinstance(val, torch.Tensor):
                    raise TorchImportError(
                        f"user input '{name}' is not a tensor ({val!r})"
                    )
                argument_type = self.tensor_type_of(val, f"input '{name}'")
                argument = self._block.insert_arg(argument_type, len(self._block.args))
                self._values[name] = argument
                self.input_names.append(name)
            elif spec.kind in (InputKind.PARAMETER, InputKind.BUFFER):
                assert spec.target is not None
                tensor = (
                    state[spec.target]
                    if spec.target in state
                    else constants[spec.target]
                )
                self._lifted[name] = (spec.target, _as_tensor(tensor), True)
            elif spec.kind == InputKind.CONSTANT_TENSOR:
                assert spec.target is not None
                tensor = _as_tensor(constants[spec.target])
                self._lifted[name] = (spec.target, tensor, False)
            else:
                raise TorchImportError(
                    f"input '{name}' of kind {spec.kind.name} is not supported"
                )

    def _outputs(self) -> list[SSAValue]:
        output_node = next(n for n in self.program.graph.nodes if n.op == "output")
        nodes = output_node.args[0]
        results: list[SSAValue] = []
        for spec, node in zip(
            self.program.graph_signature.output_specs, nodes, strict=True
        ):
            if spec.kind != OutputKind.USER_OUTPUT:
                raise TorchImportError(
                    f"output '{spec.arg.name}' is a {spec.kind.name}: programs that "
                    "update buffers (e.g. batch norm in training) are not supported"
                )
            value = self.resolve(node, None)
            if not isinstance(value, SSAValue):
                raise TorchImportError(
                    f"output '{spec.arg.name}' is not a tensor ({value!r})"
                )
            results.append(value)
            self.output_names.append(spec.arg.name)
        return results

    # ----------------------------------------------------------- values
    def emit(self, op: _Op) -> _Op:
        self._block.add_op(op)
        return op

    def resolve(self, raw: Any, ctx: NodeContext | None) -> Any:
        """Graph nodes inside an argument replaced by their values."""
        if isinstance(raw, fx.Node):
            return self._value(raw, ctx)
        if isinstance(raw, list | tuple):
            return [self.resolve(item, ctx) for item in raw]
        if isinstance(raw, torch.SymInt | torch.SymFloat | torch.SymBool):
            return self._sym_value(raw, ctx)
        return raw

    def _value(self, node: fx.Node, ctx: NodeContext | None) -> Value:
        if node.name in self._values:
            return self._values[node.name]
        if node.name in self._lifted:
            value = self._materialize(node.name)
            self._values[node.name] = value
            return value
        where = f"{node_label(ctx.node)}: " if ctx else ""
        raise TorchImportError(f"{where}value '{node.name}' is not defined")

    def _materialize(self, name: str) -> SSAValue:
        """A parameter, buffer or lifted constant as a weight or an inline constant."""
        key, tensor, in_state_dict = self._lifted[name]
        dtype = tensor.dtype
        element_type = element_type_of(dtype, f"'{key}'")
        stored = tensor.float() if dtype == torch.bfloat16 else tensor
        array = np.ascontiguousarray(stored.numpy())
        small = array.size <= self.max_constant_elements and not in_state_dict
        if array.dtype == np.bool_ or small:
            op: Operation = ConstantOp.from_numpy(array)
        else:
            self.params[key] = array
            weight_type = TensorType(array.shape, element_type_of(stored.dtype, key))
            op = WeightOp(key, weight_type)
        value = self.emit(op).results[0]
        if dtype == torch.bfloat16:
            value = self.emit(ew.AsTypeOp(value, element_type)).result
        return value

    def tensor_type_of(self, val: Any, what: str) -> TensorType:
        if not isinstance(val, torch.Tensor):
            raise TorchImportError(f"{what}: expected a tensor, got {val!r}")
        shape = [self.sym_expr(d, what) for d in val.shape]
        return TensorType(shape, element_type_of(val.dtype, what))

    def sym_expr(self, size: int | torch.SymInt, what: str) -> SymExpr:
        """A torch size (int or SymInt) as a SymExpr over the shape variables."""
        if isinstance(size, int):
            return SymExpr.of(size)
        return self._from_sympy(size.node.expr, what)

    def _from_sympy(self, expr: sympy.Basic, what: str) -> SymExpr:
        if isinstance(expr, sympy.Integer):
            return SymExpr.of(int(expr))
        if isinstance(expr, sympy.Symbol):
            if not expr.name.startswith("s"):
                raise TorchImportError(
                    f"{what}: size {expr} depends on tensor data (not on input shapes)"
                )
            return self._dims.variable(expr.name)
        terms = [self._from_sympy(arg, what) for arg in expr.args]
        if isinstance(expr, sympy.Add):
            return sum(terms[1:], terms[0])
        if isinstance(expr, sympy.Mul):
            product = terms[0]
            for term in terms[1:]:
                product = product * term
            return product
        kind = type(expr).__name__
        divisor = terms[1].constant_value() if len(terms) == 2 else None
        if divisor is not None and divisor > 0:
            if kind == "FloorDiv":
                return terms[0].floordiv(divisor)
            if kind == "CeilDiv":
                return terms[0].ceildiv(divisor)
            if kind in ("Mod", "PythonMod"):
                return terms[0].mod(divisor)
        exponent = terms[1].constant_value() if len(terms) == 2 else None
        if isinstance(expr, sympy.Pow) and exponent is not None and exponent > 0:
            result = terms[0]
            for _ in range(exponent - 1):
                result = result * terms[0]
            return result
        raise TorchImportError(
            f"{what}: cannot express the size {expr} as a shape expression"
        )

    def _sym_value(self, raw: Any, ctx: NodeContext | None) -> SymExpr:
        what = node_label(ctx.node) if ctx else "size"
        if not isinstance(raw, torch.SymInt):
            raise TorchImportError(
                f"{what}: symbolic {type(raw).__name__} is not supported"
            )
        return self.sym_expr(raw, what)

    # ----------------------------------------------------------- nodes
    def _convert(self, node: fx.Node) -> None:
        if str(node.target) in IGNORED:
            return
        if node.target is operator.getitem:
            self._values[node.name] = self._getitem(node)
            return
        if node.target in SIZE_FUNCTIONS:
            self._values[node.name] = self._size(node)
            return
        ctx = NodeContext(node, self)
        try:
            outputs = tuple(CONVERTERS[str(node.target)](ctx))
        except (VerifyException, ShapeError) as error:
            raise TorchImportError(f"{node_label(node)}: {error}") from None
        if isinstance(node.meta.get("val"), list | tuple):
            self._values[node.name] = outputs  # read by operator.getitem
        elif len(outputs) == 1 and outputs[0] is not None:
            self._values[node.name] = outputs[0]
        else:
            raise ctx.error("its result is not supported")

    def _size(self, node: fx.Node) -> SymExpr:
        val = node.meta.get("val")
        if isinstance(val, int):
            return SymExpr.of(val)
        return self._sym_value(val, NodeContext(node, self))

    def _getitem(self, node: fx.Node) -> Value:
        source, index = node.args
        assert isinstance(source, fx.Node) and isinstance(index, int)
        outputs = self._value(source, None)
        if not isinstance(outputs, tuple):
            raise TorchImportError(
                f"{node_label(node)}: '{source.name}' is not a tuple"
            )
        value = outputs[index]
        if value is None:
            raise TorchImportError(
                f"{node_label(source)}: output {index} is not supported"
            )
        return value


def _as_tensor(value: Any) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise TorchImportError(f"lifted value {value!r} is not a tensor")
    return value.detach().cpu().contiguous()
