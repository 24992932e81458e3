"""Reduction graph ops: `sum`, `mean`, `max`, `min` over a set of axes, and
`argmax` over one axis.

Like Relax (and numpy), an absent `axes` reduces every axis and `keepdims`
keeps each reduced axis as a dim of 1.  Unlike Relax, `sum`/`mean` do not
widen the element type: the result holds the input's element type.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence

from xdsl.dialects.builtin import (
    I64,
    DenseArrayBase,
    IntegerAttr,
    UnitAttr,
    i64,
)
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    result_def,
    traits_def,
)
from xdsl.traits import Pure

from xunity.dialects.graph.base import GraphOp, infer_or_raise, tensor_type
from xunity.dialects.graph.inference import (
    ShapeError,
    normalize_axis,
    reduce_shape,
)
from xunity.dialects.graph.types import BOOL_TYPE, TensorType, is_float


class ReductionOp(GraphOp, abc.ABC):
    """Base of reductions: drop (or keep as 1) the reduced axes of one input."""

    input = operand_def(TensorType)
    result = result_def(TensorType)
    keepdims = opt_prop_def(UnitAttr)
    traits = traits_def(Pure())

    @abc.abstractmethod
    def reduced_axes(self) -> Sequence[int] | None:
        """The reduced axes as written (may be negative); None reduces all."""

    @classmethod
    def result_element_type(cls, input_element_type: Attribute) -> Attribute:
        """The result's element type; raises ShapeError if the input's is invalid."""
        return input_element_type

    @classmethod
    def infer_from(
        cls, input_type: TensorType, axes: Sequence[int] | None, keepdims: bool
    ) -> TensorType:
        shape = reduce_shape(input_type.shape, axes, keepdims)
        return TensorType(shape, cls.result_element_type(input_type.element_type))

    def infer_result_types(self) -> Sequence[Attribute]:
        keepdims = self.keepdims is not None
        return [self.infer_from(tensor_type(self.input), self.reduced_axes(), keepdims)]


class AxesReductionOp(ReductionOp):
    """Base of reductions over an optional set of `axes` (absent = all axes)."""

    axes = opt_prop_def(DenseArrayBase.constr(i64))
    assembly_format = (
        "$input (`axes` `=` $axes^)? (`keepdims` $keepdims^)? attr-dict "
        "`:` type($input) `->` type($result)"
    )

    def __init__(
        self,
        input: SSAValue,
        axes: Sequence[int] | None = None,
        keepdims: bool = False,
    ):
        properties: dict[str, Attribute] = {}
        if axes is not None:
            properties["axes"] = DenseArrayBase.from_list(i64, axes)
        if keepdims:
            properties["keepdims"] = UnitAttr()
        result_type = infer_or_raise(
            self.name, lambda: self.infer_from(tensor_type(input), axes, keepdims)
        )
        super().__init__(
            operands=[input], result_types=[result_type], properties=properties
        )

    def reduced_axes(self) -> Sequence[int] | None:
        return None if self.axes is None else self.axes.get_values()


@irdl_op_definition
class SumOp(AxesReductionOp):
    """Sum over axes.  `%s = graph.sum %x axes = [1] : T0 -> T1`"""

    name = "graph.sum"

    @classmethod
    def result_element_type(cls, input_element_type: Attribute) -> Attribute:
        if input_element_type == BOOL_TYPE:
            raise ShapeError("cannot sum i1 values; cast with graph.astype first")
        return input_element_type


@irdl_op_definition
class MeanOp(AxesReductionOp):
    """Arithmetic mean over axes.  `%m = graph.mean %x axes = [-1] keepdims : T0 -> T1`

    The input must hold floats (numpy would promote integers to f64).
    """

    name = "graph.mean"

    @classmethod
    def result_element_type(cls, input_element_type: Attribute) -> Attribute:
        if not is_float(input_element_type):
            raise ShapeError(
                f"expects a floating-point tensor, got {input_element_type}"
            )
        return input_element_type


@irdl_op_definition
class MaxOp(AxesReductionOp):
    """Maximum over axes.  `%m = graph.max %x axes = [0, 1] : T0 -> T1`"""

    name = "graph.max"


@irdl_op_definition
class MinOp(AxesReductionOp):
    """Minimum over axes.  `%m = graph.min %x : T0 -> !graph.tensor<[], f32>`"""

    name = "graph.min"


@irdl_op_definition
class ArgmaxOp(ReductionOp):
    """Index (i64) of the first maximum along `axis`; absent = over the flattened input.

    `%i = graph.argmax %x axis = -1 : !graph.tensor<[n, 32000], f32>
        -> !graph.tensor<[n], i64>`
    """

    name = "graph.argmax"
    axis = opt_prop_def(IntegerAttr[I64])
    assembly_format = (
        "$input (`axis` `=` $axis^)? (`keepdims` $keepdims^)? attr-dict "
        "`:` type($input) `->` type($result)"
    )

    def __init__(
        self, input: SSAValue, axis: int | None = None, keepdims: bool = False
    ):
        properties: dict[str, Attribute] = {}
        if axis is not None:
            properties["axis"] = IntegerAttr(axis, i64)
        if keepdims:
            properties["keepdims"] = UnitAttr()
        axes = None if axis is None else [axis]
        result_type = infer_or_raise(
            self.name, lambda: self.infer_from(tensor_type(input), axes, keepdims)
        )
        super().__init__(
            operands=[input], result_types=[result_type], properties=properties
        )

    @classmethod
    def infer_from(
        cls, input_type: TensorType, axes: Sequence[int] | None, keepdims: bool
    ) -> TensorType:
        if axes is not None:
            normalize_axis(axes[0], input_type.rank)
        return super().infer_from(input_type, axes, keepdims)

    def reduced_axes(self) -> Sequence[int] | None:
        return None if self.axis is None else [self.axis.value.data]

    @classmethod
    def result_element_type(cls, input_element_type: Attribute) -> Attribute:
        return i64


REDUCTION_OPS = (SumOp, MeanOp, MaxOp, MinOp, ArgmaxOp)
