"""Normalization graph ops: `softmax`, `layer_norm` and `rms_norm`.

Each keeps its input's type.  Unlike Relax's `layer_norm`, whose `axes` may be
any set, the normalized axes here must be the trailing ones (as in PyTorch's
`normalized_shape`), and the scale/shift operands have exactly the shape of
those trailing dims.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from xdsl.dialects.builtin import (
    I64,
    DenseArrayBase,
    Float64Type,
    FloatAttr,
    IntegerAttr,
    i64,
)
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    VarConstraint,
    base,
    irdl_op_definition,
    operand_def,
    prop_def,
    result_def,
    traits_def,
)
from xdsl.traits import Pure

from xunity.dialects.graph.base import GraphOp, infer_or_raise, tensor_type
from xunity.dialects.graph.inference import (
    ShapeError,
    normalize_axes,
    normalize_axis,
    require_equal_dims,
)
from xunity.dialects.graph.types import TensorType, is_float


def _require_float(input_type: TensorType) -> None:
    if not is_float(input_type.element_type):
        raise ShapeError(
            f"expects a floating-point tensor, got {input_type.element_type}"
        )


@irdl_op_definition
class SoftmaxOp(GraphOp):
    """exp(x - max) / sum(exp(x - max)) along `axis`.

    `%y = graph.softmax %x axis = -1 : !graph.tensor<[n, 64], f32>`
    """

    name = "graph.softmax"
    T: ClassVar = VarConstraint("T", base(TensorType))
    input = operand_def(T)
    result = result_def(T)
    axis = prop_def(IntegerAttr[I64])
    traits = traits_def(Pure())
    assembly_format = "$input `axis` `=` $axis attr-dict `:` type($input)"

    def __init__(self, input: SSAValue, axis: int = -1):
        infer_or_raise(self.name, lambda: self.infer_from(tensor_type(input), axis))
        super().__init__(
            operands=[input],
            result_types=[input.type],
            properties={"axis": IntegerAttr(axis, i64)},
        )

    @staticmethod
    def infer_from(input_type: TensorType, axis: int) -> TensorType:
        _require_float(input_type)
        normalize_axis(axis, input_type.rank)
        return input_type

    def infer_result_types(self) -> Sequence[Attribute]:
        return [self.infer_from(tensor_type(self.input), self.axis.value.data)]


# ------------------------------------------------------------------ trailing-axes norms
class TrailingNormOp(GraphOp):
    """Base of norms over the trailing `axes`, with per-element affine parameters."""

    axes = prop_def(DenseArrayBase.constr(i64))
    eps = prop_def(FloatAttr[Float64Type])
    traits = traits_def(Pure())

    PARAMETERS: ClassVar[tuple[str, ...]]
    """Names of the operands shaped like the normalized dims, in operand order."""

    def __init__(
        self,
        input: SSAValue,
        parameters: Sequence[SSAValue],
        axes: Sequence[int],
        eps: float,
    ):
        infer_or_raise(
            self.name,
            lambda: self.infer_from(
                tensor_type(input), [tensor_type(p) for p in parameters], axes, eps
            ),
        )
        super().__init__(
            operands=[input, *parameters],
            result_types=[input.type],
            properties={
                "axes": DenseArrayBase.from_list(i64, axes),
                "eps": FloatAttr(eps, Float64Type()),
            },
        )

    @classmethod
    def infer_from(
        cls,
        input_type: TensorType,
        parameter_types: Sequence[TensorType],
        axes: Sequence[int],
        eps: float,
    ) -> TensorType:
        _require_float(input_type)
        if eps < 0:
            raise ShapeError(f"eps must be >= 0, got {eps}")
        rank = input_type.rank
        normalized = sorted(normalize_axes(axes, rank))
        if not normalized or normalized != list(range(rank - len(normalized), rank)):
            raise ShapeError(
                f"axes {list(axes)} must be the trailing axes of rank {rank}"
            )
        dims = input_type.shape[normalized[0] :]
        for name, param in zip(cls.PARAMETERS, parameter_types, strict=True):
            if param.element_type != input_type.element_type:
                raise ShapeError(
                    f"{name} element type {param.element_type} differs from the "
                    f"input's {input_type.element_type}"
                )
            if param.rank != len(dims):
                raise ShapeError(
                    f"{name} has rank {param.rank}, but {len(dims)} trailing axes "
                    "are normalized"
                )
            for index, (have, want) in enumerate(zip(param.shape, dims, strict=True)):
                require_equal_dims(have, want, f"{name} dim {index} vs normalized dim")
        return input_type

    def infer_result_types(self) -> Sequence[Attribute]:
        input_type, *parameter_types = (tensor_type(v) for v in self.operands)
        axes = self.axes.get_values()
        return [self.infer_from(input_type, parameter_types, axes, self.eps.value.data)]


@irdl_op_definition
class LayerNormOp(TrailingNormOp):
    """(x - mean) / sqrt(var + eps) * gamma + beta over the trailing `axes`.

    `%y = graph.layer_norm %x, %gamma, %beta axes = [-1] eps = 1.000000e-05 :
        !graph.tensor<[n, 768], f32>, !graph.tensor<[768], f32>,
        !graph.tensor<[768], f32>`
    """

    name = "graph.layer_norm"
    T: ClassVar = VarConstraint("T", base(TensorType))
    input = operand_def(T)
    gamma = operand_def(TensorType)
    beta = operand_def(TensorType)
    result = result_def(T)
    assembly_format = (
        "$input `,` $gamma `,` $beta `axes` `=` $axes `eps` `=` $eps attr-dict "
        "`:` type($input) `,` type($gamma) `,` type($beta)"
    )

    PARAMETERS: ClassVar[tuple[str, ...]] = ("gamma", "beta")

    def __init__(
        self,
        input: SSAValue,
        gamma: SSAValue,
        beta: SSAValue,
        axes: Sequence[int] = (-1,),
        eps: float = 1e-5,
    ):
        super().__init__(input, [gamma, beta], axes, eps)


@irdl_op_definition
class RMSNormOp(TrailingNormOp):
    """x / sqrt(mean(x**2) + eps) * weight over the trailing `axes` (Llama).

    `%y = graph.rms_norm %x, %w axes = [-1] eps = 1.000000e-05 :
        !graph.tensor<[n, 4096], f32>, !graph.tensor<[4096], f32>`
    """

    name = "graph.rms_norm"
    T: ClassVar = VarConstraint("T", base(TensorType))
    input = operand_def(T)
    weight = operand_def(TensorType)
    result = result_def(T)
    assembly_format = (
        "$input `,` $weight `axes` `=` $axes `eps` `=` $eps attr-dict "
        "`:` type($input) `,` type($weight)"
    )

    PARAMETERS: ClassVar[tuple[str, ...]] = ("weight",)

    def __init__(
        self,
        input: SSAValue,
        weight: SSAValue,
        axes: Sequence[int] = (-1,),
        eps: float = 1e-5,
    ):
        super().__init__(input, [weight], axes, eps)


NORMALIZATION_OPS = (SoftmaxOp, LayerNormOp, RMSNormOp)
