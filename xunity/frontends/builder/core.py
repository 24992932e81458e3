"""The graph-building context: `GraphBuilder` collects ops into one function.

    b = GraphBuilder()
    x = b.input("x", ["n", 384], "f32")      # symbolic sequence length n
    w = b.weight("proj", np.ones((384, 8), np.float32))
    module, params = b.build((x @ w).gelu())
    exe = xunity.compile(module, params=params)

Values are `Tensor`s, thin wrappers of SSA values with numpy-like operators.
Every method builds a graph-dialect op with its Python builder, so result
types (symbolic dims included) are inferred, and a shape error surfaces as a
`VerifyException` naming the op at the line of model code that caused it,
not later in the compiler.  Weights become `graph.weight "name"` ops and
their data goes to `params`, so the IR stays small and weights can be
swapped without rebuilding.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.rewriter import Rewriter

from xunity.dialects.graph import elementwise as ew
from xunity.dialects.graph import reduction as red
from xunity.dialects.graph.attention import AttentionOp, RotaryOp
from xunity.dialects.graph.base import tensor_type
from xunity.dialects.graph.creation import ConstantOp, WeightOp
from xunity.dialects.graph.linalg import MatmulOp, PackedMatmulOp
from xunity.dialects.graph.manipulation import (
    ConcatOp,
    ExpandDimsOp,
    PermuteDimsOp,
    ReshapeOp,
    StridedSliceOp,
    TakeOp,
)
from xunity.dialects.graph.normalization import LayerNormOp, RMSNormOp, SoftmaxOp
from xunity.dialects.graph.quantized import QuantMatmulOp, QuantTakeOp
from xunity.dialects.graph.types import TensorType
from xunity.frontends.builder.parameter import DTYPES, Parameter, element_type
from xunity.ir.symbolic import Dim, SymExpr
from xunity.runtime.executable import numpy_dtype
from xunity.strategies.packing import benefits_from_packing, pack_rhs


class GraphBuilder:
    """Builds one graph function: inputs, weights, constants and ops, in order."""

    def __init__(self, name: str = "main"):
        self.name = name
        self.block = Block()
        self.params: dict[str, np.ndarray] = {}
        self._weights: dict[str, Tensor] = {}
        self._parameters: dict[str, Parameter] = {}
        self._names: dict[int, str] = {}
        self._constants: dict[object, Tensor] = {}

    # -------------------------------------------------------------- values
    def input(
        self, name: str, shape: Sequence[Dim], dtype: str | Attribute = "f32"
    ) -> Tensor:
        """A function argument; string dims ("n", "b") are shape variables."""
        arg = self.block.insert_arg(
            TensorType(shape, element_type(dtype)), len(self.block.args)
        )
        arg.name_hint = name
        return Tensor(self, arg)

    def weight(
        self,
        name: str,
        value: np.ndarray | None = None,
        shape: Sequence[int] | None = None,
        dtype: str | Attribute = "f32",
    ) -> Tensor:
        """A `graph.weight`; with `value`, its data goes to `params[name]`.

        One op per name: asking again returns the same value, so shared
        (tied) weights are loaded once.
        """
        if name in self._weights:
            return self._weights[name]
        if value is not None:
            value = np.ascontiguousarray(value)
            result_type = TensorType(value.shape, _element_type_of(value.dtype))
            self.params[name] = value
        elif shape is not None:
            result_type = TensorType(shape, element_type(dtype))
        else:
            raise ValueError(f'weight "{name}": give its value or its shape')
        tensor = self.emit(WeightOp(name, result_type))
        self._weights[name] = tensor
        return tensor

    def name_parameters(self, named: Iterable[tuple[str, Parameter]]) -> None:
        """Name parameters not named yet; the outermost module called names all.

        Two parameters may not share a name: that happens when two unrelated
        modules are called at top level, and would silently tie their weights.
        """
        for name, param in named:
            if id(param) in self._names:
                continue
            if name in self._parameters:
                raise ValueError(
                    f'two parameters are named "{name}": call the modules through '
                    "one parent Module so that their names get distinct prefixes"
                )
            self._names[id(param)] = name
            self._parameters[name] = param

    def parameter(self, param: Parameter) -> Tensor:
        """The `graph.weight` of a module parameter, with its value in `params`."""
        name = self._names.get(id(param))
        if name is None:
            raise ValueError(
                "parameter has no name: use it inside the forward of a Module "
                "called on a Tensor of this builder"
            )
        return self.weight(name, param.materialize(name))

    def constant(self, value: np.ndarray | float | int, dtype: str = "f32") -> Tensor:
        """An inline `graph.constant`; Python scalars become rank-0 tensors."""
        if not isinstance(value, np.ndarray):
            value = np.asarray(value, dtype=numpy_dtype(element_type(dtype)))
        return self.emit(ConstantOp.from_numpy(value))

    def cached_constant(self, key: object, make: Callable[[], np.ndarray]) -> Tensor:
        """A constant built once per builder for `key` (rotary tables, ...)."""
        if key not in self._constants:
            self._constants[key] = self.constant(make())
        return self._constants[key]

    def coerce(self, value: object, like: Tensor) -> Tensor:
        """`value` as a Tensor; Python scalars take `like`'s element type."""
        if isinstance(value, Tensor):
            return value
        if isinstance(value, Parameter):
            return self.parameter(value)
        if isinstance(value, np.ndarray):
            return self.constant(value)
        if isinstance(value, (int, float)):
            return self.constant(value, str(like.dtype))
        raise TypeError(f"cannot use {type(value).__name__} as a tensor")

    # -------------------------------------------------------------- ops
    def emit(self, op: Operation) -> Tensor:
        """Append `op` (built by its Python builder) and return its result."""
        self.block.add_op(op)
        return Tensor(self, op.results[0])

    def emit_all(self, op: Operation) -> tuple[Tensor, ...]:
        """Append a multi-result `op` (split, ...) and return all its results."""
        self.block.add_op(op)
        return tuple(Tensor(self, r) for r in op.results)

    # -------------------------------------------------------------- finish
    def build(
        self,
        outputs: Tensor | Sequence[Tensor],
        weights_as_inputs: bool = False,
        prepack: bool = False,
    ) -> tuple[ModuleOp, dict[str, np.ndarray]]:
        """The module holding `func.func @<name>` and the weights' data.

        By default the weights stay `graph.weight` ops, which
        `xunity.compile(module, params=params)` turns into constants (and
        graph-prepack-weights packs for the GEMM).  With `weights_as_inputs`,
        they become trailing function arguments in `params` order instead
        (call with `*inputs, *params.values()`): the compiled code then does
        not depend on the weights' values, so large models skip embedding
        megabytes of constants in the IR and one object in the compile cache
        serves every checkpoint.  `prepack` (with `weights_as_inputs`) does
        for those arguments what graph-prepack-weights does for constants: a
        weight used only as the rhs of GEMM-sized f32 matmuls is taken packed
        (`graph.packed_matmul`) and its `params` entry is packed here; other
        checkpoints' arrays then go through `pack_rhs` too.  The builder is
        consumed.
        """
        results = [outputs] if isinstance(outputs, Tensor) else list(outputs)
        for result in results:
            if result.builder is not self:
                raise ValueError("an output belongs to another GraphBuilder")
        self.block.add_op(func.ReturnOp(*(r.value for r in results)))
        params = dict(self.params)
        if weights_as_inputs:
            missing = sorted(self._weights.keys() - params.keys())
            if missing:
                raise ValueError(f"weights without values cannot be inputs: {missing}")
            params = {name: params[name] for name in self._weights}
            for name, tensor in self._weights.items():
                packed = prepack and _only_packable_matmuls(tensor.value)
                if packed:
                    params[name] = pack_rhs(params[name])
                arg_type = _array_type(params[name]) if packed else tensor.value.type
                arg = self.block.insert_arg(arg_type, len(self.block.args))
                arg.name_hint = _ssa_name(name)
                if packed:
                    _use_packed(tensor.value, arg)
                op = tensor.value.owner
                assert isinstance(op, Operation)
                Rewriter.replace_op(op, [], [arg])
        inputs = [arg.type for arg in self.block.args]
        function = func.FuncOp(
            self.name,
            (inputs, [r.value.type for r in results]),
            Region(self.block),
        )
        module = ModuleOp([function])
        module.verify()
        return module, params


def _only_packable_matmuls(weight: SSAValue) -> bool:
    """`weight` is used, and only as the rhs of matmuls the packed GEMM runs."""
    uses = list(weight.uses)
    return bool(uses) and all(
        isinstance(use.operation, MatmulOp)
        and use.index == 1
        and benefits_from_packing(use.operation)
        for use in uses
    )


def _use_packed(weight: SSAValue, packed: SSAValue) -> None:
    """Each `graph.matmul %x, weight` becomes `graph.packed_matmul %x, packed`."""
    columns = tensor_type(weight).shape[1].constant_value()
    assert columns is not None, "weights have constant shapes"
    for use in list(weight.uses):
        matmul = use.operation
        assert isinstance(matmul, MatmulOp)
        Rewriter.replace_op(matmul, PackedMatmulOp(matmul.lhs, packed, columns))


def _array_type(array: np.ndarray) -> TensorType:
    return TensorType(list(array.shape), _element_type_of(array.dtype))


def _ssa_name(name: str) -> str:
    """A weight name as an SSA name hint (letters, digits, `_`, `.`, `$`, `-`)."""
    return re.sub(r"[^A-Za-z0-9_.$-]", "_", name)


def _element_type_of(dtype: np.dtype) -> Attribute:
    """The graph element type of a numpy dtype (bf16 and i4 have none)."""
    for name in ("f32", "f16", "i64", "i32", "i8", "i1"):
        if numpy_dtype(DTYPES[name]) == dtype:
            return DTYPES[name]
    raise ValueError(f"no graph element type for numpy dtype {dtype}")


class Tensor:
    """A value of the function being built, with numpy-like operators.

    Binary operators broadcast like numpy and accept Tensors, Parameters,
    numpy arrays and Python scalars on either side.
    """

    __slots__ = ("builder", "value")

    def __init__(self, builder: GraphBuilder, value: SSAValue):
        self.builder = builder
        self.value = value

    # -------------------------------------------------------------- type
    @property
    def type(self) -> TensorType:
        return tensor_type(self.value)

    @property
    def shape(self) -> tuple[SymExpr, ...]:
        return self.type.shape

    @property
    def dtype(self) -> Attribute:
        return self.type.element_type

    @property
    def rank(self) -> int:
        return self.type.rank

    def __repr__(self) -> str:
        return f"Tensor({self.type})"

    # -------------------------------------------------------------- binary
    def _binary(self, op: type[ew.BinaryElementwiseOp], other: object) -> Tensor:
        return self.builder.emit(op(self.value, self.builder.coerce(other, self).value))

    def _rbinary(self, op: type[ew.BinaryElementwiseOp], other: object) -> Tensor:
        return self.builder.emit(op(self.builder.coerce(other, self).value, self.value))

    def __add__(self, other: object) -> Tensor:
        return self._binary(ew.AddOp, other)

    def __radd__(self, other: object) -> Tensor:
        return self._rbinary(ew.AddOp, other)

    def __sub__(self, other: object) -> Tensor:
        return self._binary(ew.SubOp, other)

    def __rsub__(self, other: object) -> Tensor:
        return self._rbinary(ew.SubOp, other)

    def __mul__(self, other: object) -> Tensor:
        return self._binary(ew.MulOp, other)

    def __rmul__(self, other: object) -> Tensor:
        return self._rbinary(ew.MulOp, other)

    def __truediv__(self, other: object) -> Tensor:
        return self._binary(ew.DivOp, other)

    def __rtruediv__(self, other: object) -> Tensor:
        return self._rbinary(ew.DivOp, other)

    def __matmul__(self, other: object) -> Tensor:
        rhs = self.builder.coerce(other, self)
        return self.builder.emit(MatmulOp(self.value, rhs.value))

    def __rmatmul__(self, other: object) -> Tensor:
        lhs = self.builder.coerce(other, self)
        return self.builder.emit(MatmulOp(lhs.value, self.value))

    def __neg__(self) -> Tensor:
        return self._unary(ew.NegOp)

    def maximum(self, other: object) -> Tensor:
        return self._binary(ew.MaximumOp, other)

    def minimum(self, other: object) -> Tensor:
        return self._binary(ew.MinimumOp, other)

    def greater(self, other: object) -> Tensor:
        return self._binary(ew.GreaterOp, other)

    # -------------------------------------------------------------- unary
    def _unary(self, op: type[ew.UnaryElementwiseOp]) -> Tensor:
        return self.builder.emit(op(self.value))

    def exp(self) -> Tensor:
        return self._unary(ew.ExpOp)

    def sqrt(self) -> Tensor:
        return self._unary(ew.SqrtOp)

    def rsqrt(self) -> Tensor:
        return self._unary(ew.RsqrtOp)

    def tanh(self) -> Tensor:
        return self._unary(ew.TanhOp)

    def sigmoid(self) -> Tensor:
        return self._unary(ew.SigmoidOp)

    def relu(self) -> Tensor:
        return self._unary(ew.ReluOp)

    def gelu(self) -> Tensor:
        """GELU with the exact normal CDF (BERT's "gelu"); `gelu_tanh` for GPT-2's."""
        return self._unary(ew.GeluOp)

    def gelu_tanh(self) -> Tensor:
        return self._unary(ew.GeluTanhOp)

    def silu(self) -> Tensor:
        return self._unary(ew.SiluOp)

    def astype(self, dtype: str | Attribute) -> Tensor:
        return self.builder.emit(ew.AsTypeOp(self.value, element_type(dtype)))

    # -------------------------------------------------------------- reductions
    def sum(self, axes: Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        return self.builder.emit(red.SumOp(self.value, axes, keepdims))

    def mean(self, axes: Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        return self.builder.emit(red.MeanOp(self.value, axes, keepdims))

    def softmax(self, axis: int = -1) -> Tensor:
        return self.builder.emit(SoftmaxOp(self.value, axis))

    def layer_norm(self, gamma: object, beta: object, eps: float = 1e-5) -> Tensor:
        """LayerNorm over the last axis."""
        g = self.builder.coerce(gamma, self)
        b = self.builder.coerce(beta, self)
        return self.builder.emit(LayerNormOp(self.value, g.value, b.value, (-1,), eps))

    def rms_norm(self, weight: object, eps: float = 1e-5) -> Tensor:
        """RMSNorm over the last axis."""
        w = self.builder.coerce(weight, self)
        return self.builder.emit(RMSNormOp(self.value, w.value, (-1,), eps))

    # -------------------------------------------------------------- shape
    def reshape(self, *shape: Dim) -> Tensor:
        return self.builder.emit(ReshapeOp(self.value, shape))

    def permute(self, *axes: int) -> Tensor:
        return self.builder.emit(PermuteDimsOp(self.value, axes))

    @property
    def T(self) -> Tensor:
        """The last two axes swapped."""
        axes = list(range(self.rank))
        axes[-2:] = axes[:-3:-1]
        return self.permute(*axes)

    def expand_dims(self, *axes: int) -> Tensor:
        return self.builder.emit(ExpandDimsOp(self.value, axes))

    def slice(self, axis: int, begin: Dim, end: Dim) -> Tensor:
        """Elements `begin:end` along `axis`; bounds may be symbolic."""
        return self.builder.emit(StridedSliceOp(self.value, [axis], [begin], [end]))

    def take(self, indices: Tensor, axis: int = 0) -> Tensor:
        """Rows of this tensor picked by integer `indices` (embedding lookup)."""
        return self.builder.emit(TakeOp(self.value, indices.value, axis))


def concat(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    builder = tensors[0].builder
    return builder.emit(ConcatOp([t.value for t in tensors], axis))


def where(condition: Tensor, if_true: object, if_false: object) -> Tensor:
    """numpy `where` with broadcasting; scalars take the dtype of the other branch."""
    builder = condition.builder
    like = if_true if isinstance(if_true, Tensor) else if_false
    if not isinstance(like, Tensor):
        raise TypeError("where: at least one branch must be a Tensor")
    a = builder.coerce(if_true, like)
    b = builder.coerce(if_false, like)
    return builder.emit(ew.WhereOp(condition.value, a.value, b.value))


def attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    mask: Tensor | None = None,
    causal: bool = False,
    scale: float | None = None,
) -> Tensor:
    """`graph.attention` on `[batch, seq, heads, head_dim]` tensors (GQA allowed)."""
    op = AttentionOp(
        query.value,
        key.value,
        value.value,
        None if mask is None else mask.value,
        causal,
        scale,
    )
    return query.builder.emit(op)


def quant_matmul(x: Tensor, parts: Sequence[Tensor], format: str, rows: int) -> Tensor:
    """`x @ W^T` for a quantised `W[rows, K]` given as its panel-layout parts
    (codes, scales and, for q4_1, mins): `graph.quant_matmul`."""
    codes, scales, *mins = (p.value for p in parts)
    op = QuantMatmulOp(x.value, codes, scales, mins[0] if mins else None, format, rows)
    return x.builder.emit(op)


def quant_take(ids: Tensor, parts: Sequence[Tensor], format: str, rows: int) -> Tensor:
    """Rows `ids` of a quantised `W[rows, K]`, dequantised: `graph.quant_take`."""
    codes, scales, *mins = (p.value for p in parts)
    op = QuantTakeOp(ids.value, codes, scales, mins[0] if mins else None, format, rows)
    return ids.builder.emit(op)


def rotary(x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
    """Rotate-half rotary embedding of `[batch, seq, heads, head_dim]` `x`."""
    return x.builder.emit(RotaryOp(x.value, cos.value, sin.value))
