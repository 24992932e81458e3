"""Shape manipulation graph ops: reshape, permute, concat/split, slicing, gather,
broadcast and unit-dim insertion/removal.

These follow Relax's `R.reshape`, `R.permute_dims`, `R.concat`, `R.split`,
`R.strided_slice`, `R.take`, `R.broadcast_to`, `R.expand_dims` and
`R.squeeze`, but every shape check is symbolic: `[n, 12, 64] -> [n, 768]`
verifies, `[n, 4] -> [m, 4]` does not, and a KV-cache slice keeps its bounds
as expressions (`begin = #graph.dims<[0]> end = #graph.dims<[n]>`).
Slice bounds count from the start (no numpy-style negative indices).

    %y = graph.reshape %x
        : !graph.tensor<[n, 12, 64], f32> -> !graph.tensor<[n, 768], f32>
"""

from __future__ import annotations

import abc
from collections.abc import Sequence

from xdsl.dialects.builtin import I64, DenseArrayBase, IntegerAttr, IntegerType, i64
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
    result_def,
    traits_def,
    var_operand_def,
    var_result_def,
)
from xdsl.traits import Pure

from xunity.dialects.graph.base import GraphOp, infer_or_raise, tensor_type
from xunity.dialects.graph.inference import (
    Shape,
    ShapeError,
    broadcast_to_shape,
    concat_shape,
    expand_dims_shape,
    normalize_axes,
    permuted_shape,
    reshape_shape,
    split_indices_shapes,
    split_sections_shapes,
    squeeze_shape,
    strided_slice_shape,
    take_shape,
)
from xunity.dialects.graph.types import DimsAttr, TensorType
from xunity.ir.symbolic import Dim, SymExpr, dims_of

INDEX_TYPES: tuple[Attribute, ...] = (IntegerType(64), IntegerType(32))
"""Element types `graph.take` accepts for its indices."""


def _i64_array(values: Sequence[int]) -> DenseArrayBase[IntegerType]:
    return DenseArrayBase.from_list(i64, values)


def _ints(attr: DenseArrayBase[IntegerType]) -> tuple[int, ...]:
    return attr.get_values()


# ------------------------------------------------------------------ target shape
class TargetShapeOp(GraphOp):
    """Base of ops whose result type states the target shape; the dtype is kept."""

    input = operand_def(TensorType)
    result = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    def __init__(self, input: SSAValue, shape: Sequence[Dim]):
        result_type = infer_or_raise(
            self.name, lambda: self.infer_from(tensor_type(input), dims_of(shape))
        )
        super().__init__(operands=[input], result_types=[result_type])

    @classmethod
    @abc.abstractmethod
    def target_shape(cls, shape: Shape, target: Shape) -> Shape:
        """The result shape, after checking that `shape` can become `target`."""

    @classmethod
    def infer_from(cls, input: TensorType, target: Shape) -> TensorType:
        return input.with_shape(cls.target_shape(input.shape, target))

    def infer_result_types(self) -> Sequence[Attribute]:
        target = tensor_type(self.result).shape
        return [self.infer_from(tensor_type(self.input), target)]


@irdl_op_definition
class ReshapeOp(TargetShapeOp):
    """Same elements, new shape; the element counts must be provably equal.

    `%y = graph.reshape %x : T0 -> T1`, e.g. `[n, 12, 64] -> [n, 768]`
    """

    name = "graph.reshape"

    @classmethod
    def target_shape(cls, shape: Shape, target: Shape) -> Shape:
        return reshape_shape(shape, target)


@irdl_op_definition
class BroadcastToOp(TargetShapeOp):
    """numpy `broadcast_to`: stretch unit dims to the result shape.

    `%y = graph.broadcast_to %x : T0 -> T1`, e.g. `[1, 4] -> [n, 4]`
    """

    name = "graph.broadcast_to"

    @classmethod
    def target_shape(cls, shape: Shape, target: Shape) -> Shape:
        return broadcast_to_shape(shape, target)


# ------------------------------------------------------------------ axes
class AxesOp(GraphOp):
    """Base of ops that move, add or drop the axes listed in `axes`."""

    input = operand_def(TensorType)
    result = result_def(TensorType)
    axes = prop_def(DenseArrayBase.constr(i64))
    traits = traits_def(Pure())
    assembly_format = (
        "$input `axes` `=` $axes attr-dict `:` type($input) `->` type($result)"
    )

    def __init__(self, input: SSAValue, axes: Sequence[int]):
        result_type = infer_or_raise(
            self.name, lambda: self.infer_from(tensor_type(input), axes)
        )
        super().__init__(
            operands=[input],
            result_types=[result_type],
            properties={"axes": _i64_array(axes)},
        )

    @classmethod
    @abc.abstractmethod
    def axes_shape(cls, shape: Shape, axes: Sequence[int]) -> Shape:
        """The result shape for these axes."""

    @classmethod
    def infer_from(cls, input: TensorType, axes: Sequence[int]) -> TensorType:
        return input.with_shape(cls.axes_shape(input.shape, axes))

    def infer_result_types(self) -> Sequence[Attribute]:
        return [self.infer_from(tensor_type(self.input), _ints(self.axes))]


@irdl_op_definition
class PermuteDimsOp(AxesOp):
    """Transpose: result dim i is input dim axes[i].

    `%y = graph.permute_dims %x axes = [1, 0] : T0 -> T1`, e.g. `[n, 4] -> [4, n]`
    """

    name = "graph.permute_dims"

    def __init__(self, input: SSAValue, axes: Sequence[int] | None = None):
        """Without `axes`, reverse the dims (numpy `transpose`)."""
        if axes is None:
            axes = range(tensor_type(input).rank - 1, -1, -1)
        super().__init__(input, list(axes))

    @classmethod
    def axes_shape(cls, shape: Shape, axes: Sequence[int]) -> Shape:
        return permuted_shape(shape, normalize_axes(axes, len(shape)))


@irdl_op_definition
class ExpandDimsOp(AxesOp):
    """Insert unit dims at `axes` (positions in the result).

    `%y = graph.expand_dims %x axes = [0] : T0 -> T1`, e.g. `[n] -> [1, n]`
    """

    name = "graph.expand_dims"

    @classmethod
    def axes_shape(cls, shape: Shape, axes: Sequence[int]) -> Shape:
        return expand_dims_shape(shape, axes)


@irdl_op_definition
class SqueezeOp(AxesOp):
    """Drop the dims at `axes`, each of which must provably be 1.

    `%y = graph.squeeze %x axes = [1] : T0 -> T1`, e.g. `[n, 1] -> [n]`
    """

    name = "graph.squeeze"

    @classmethod
    def axes_shape(cls, shape: Shape, axes: Sequence[int]) -> Shape:
        return squeeze_shape(shape, axes)


# ------------------------------------------------------------------ concat, split
def _same_element_type(types: Sequence[TensorType], what: str) -> Attribute:
    for index, t in enumerate(types[1:], start=1):
        if t.element_type != types[0].element_type:
            raise ShapeError(
                f"{what} 0 and {index} element types {types[0].element_type} and "
                f"{t.element_type} differ"
            )
    return types[0].element_type


@irdl_op_definition
class ConcatOp(GraphOp):
    """Join tensors along `axis`; that dim of the result is the symbolic sum.

    `%y = graph.concat %a, %b axis = 0 : T0, T1 -> T2`,
    e.g. `[n, 4] ++ [1, 4] -> [n + 1, 4]`
    """

    name = "graph.concat"
    inputs = var_operand_def(TensorType)
    result = result_def(TensorType)
    axis = prop_def(IntegerAttr[I64])
    traits = traits_def(Pure())
    assembly_format = (
        "$inputs `axis` `=` $axis attr-dict `:` type($inputs) `->` type($result)"
    )

    def __init__(self, inputs: Sequence[SSAValue], axis: int = 0):
        result_type = infer_or_raise(
            self.name, lambda: self.infer_from([tensor_type(v) for v in inputs], axis)
        )
        super().__init__(
            operands=[list(inputs)],
            result_types=[result_type],
            properties={"axis": IntegerAttr(axis, i64)},
        )

    @staticmethod
    def infer_from(inputs: Sequence[TensorType], axis: int) -> TensorType:
        shape = concat_shape([t.shape for t in inputs], axis)
        return TensorType(shape, _same_element_type(inputs, "concat inputs"))

    def infer_result_types(self) -> Sequence[Attribute]:
        input_types = [tensor_type(v) for v in self.inputs]
        return [self.infer_from(input_types, self.axis.value.data)]


@irdl_op_definition
class SplitOp(GraphOp):
    """numpy `split` along `axis`: into `sections` equal parts or at `indices`.

    `%a, %b = graph.split %x sections = 2 axis = 0 : T -> T0, T1`,
    e.g. `[2 * n] -> [n], [n]`;
    `%a, %b = graph.split %x indices = [3] axis = 0 : T -> T0, T1`,
    e.g. `[n] -> [3], [n - 3]`
    """

    name = "graph.split"
    input = operand_def(TensorType)
    outputs = var_result_def(TensorType)
    sections = opt_prop_def(IntegerAttr[I64])
    indices = opt_prop_def(DenseArrayBase.constr(i64))
    axis = prop_def(IntegerAttr[I64])
    traits = traits_def(Pure())
    assembly_format = (
        "$input (`sections` `=` $sections^)? (`indices` `=` $indices^)? "
        "`axis` `=` $axis attr-dict `:` type($input) `->` type($outputs)"
    )

    def __init__(
        self, input: SSAValue, indices_or_sections: int | Sequence[int], axis: int = 0
    ):
        """An int splits into that many sections; a sequence gives split points."""
        properties: dict[str, Attribute] = {"axis": IntegerAttr(axis, i64)}
        if isinstance(indices_or_sections, int):
            sections, indices = indices_or_sections, None
            properties["sections"] = IntegerAttr(sections, i64)
        else:
            sections, indices = None, tuple(indices_or_sections)
            properties["indices"] = _i64_array(indices)
        result_types = infer_or_raise(
            self.name,
            lambda: self.infer_from(tensor_type(input), axis, sections, indices),
        )
        super().__init__(
            operands=[input], result_types=[result_types], properties=properties
        )

    @staticmethod
    def infer_from(
        input: TensorType,
        axis: int,
        sections: int | None,
        indices: Sequence[int] | None,
    ) -> list[TensorType]:
        if (sections is None) == (indices is None):
            raise ShapeError("expects exactly one of `sections` or `indices`")
        if sections is not None:
            shapes = split_sections_shapes(input.shape, axis, sections)
        else:
            assert indices is not None
            shapes = split_indices_shapes(input.shape, axis, indices)
        return [input.with_shape(shape) for shape in shapes]

    def infer_result_types(self) -> Sequence[Attribute]:
        sections = None if self.sections is None else self.sections.value.data
        indices = None if self.indices is None else _ints(self.indices)
        return self.infer_from(
            tensor_type(self.input), self.axis.value.data, sections, indices
        )


# ------------------------------------------------------------------ slicing, gather
@irdl_op_definition
class StridedSliceOp(GraphOp):
    """Take `[begin, end)` by `strides` on `axes`; bounds may be symbolic.

    `%y = graph.strided_slice %cache axes = [0] begin = #graph.dims<[0]>
    end = #graph.dims<[n]> strides = [1] : T0 -> T1`, e.g. `[m, 64] -> [n, 64]`
    """

    name = "graph.strided_slice"
    input = operand_def(TensorType)
    result = result_def(TensorType)
    axes = prop_def(DenseArrayBase.constr(i64))
    begin = prop_def(DimsAttr)
    end = prop_def(DimsAttr)
    strides = prop_def(DenseArrayBase.constr(i64))
    traits = traits_def(Pure())
    assembly_format = (
        "$input `axes` `=` $axes `begin` `=` qualified($begin) "
        "`end` `=` qualified($end) `strides` `=` $strides attr-dict "
        "`:` type($input) `->` type($result)"
    )

    def __init__(
        self,
        input: SSAValue,
        axes: Sequence[int],
        begin: Sequence[Dim],
        end: Sequence[Dim],
        strides: Sequence[int] | None = None,
    ):
        """Without `strides`, every stride is 1."""
        strides = [1] * len(axes) if strides is None else list(strides)
        result_type = infer_or_raise(
            self.name,
            lambda: self.infer_from(
                tensor_type(input), axes, dims_of(begin), dims_of(end), strides
            ),
        )
        super().__init__(
            operands=[input],
            result_types=[result_type],
            properties={
                "axes": _i64_array(axes),
                "begin": DimsAttr(begin),
                "end": DimsAttr(end),
                "strides": _i64_array(strides),
            },
        )

    @staticmethod
    def infer_from(
        input: TensorType,
        axes: Sequence[int],
        begin: Sequence[SymExpr],
        end: Sequence[SymExpr],
        strides: Sequence[int],
    ) -> TensorType:
        shape = strided_slice_shape(input.shape, axes, begin, end, strides)
        return input.with_shape(shape)

    def infer_result_types(self) -> Sequence[Attribute]:
        return [
            self.infer_from(
                tensor_type(self.input),
                _ints(self.axes),
                self.begin.data,
                self.end.data,
                _ints(self.strides),
            )
        ]


@irdl_op_definition
class TakeOp(GraphOp):
    """Gather slices along `axis` by integer indices (embedding lookup).

    `%y = graph.take %table, %ids axis = 0 : T0, T1 -> T2`,
    e.g. `[50257, 768] by [n] (i64) -> [n, 768]`
    """

    name = "graph.take"
    input = operand_def(TensorType)
    indices = operand_def(TensorType)
    result = result_def(TensorType)
    axis = prop_def(IntegerAttr[I64])
    traits = traits_def(Pure())
    assembly_format = (
        "$input `,` $indices `axis` `=` $axis attr-dict `:` "
        "type($input) `,` type($indices) `->` type($result)"
    )

    def __init__(self, input: SSAValue, indices: SSAValue, axis: int = 0):
        result_type = infer_or_raise(
            self.name,
            lambda: self.infer_from(tensor_type(input), tensor_type(indices), axis),
        )
        super().__init__(
            operands=[input, indices],
            result_types=[result_type],
            properties={"axis": IntegerAttr(axis, i64)},
        )

    @staticmethod
    def infer_from(input: TensorType, indices: TensorType, axis: int) -> TensorType:
        if indices.element_type not in INDEX_TYPES:
            raise ShapeError(
                f"indices must hold i32 or i64, got {indices.element_type}"
            )
        return input.with_shape(take_shape(input.shape, indices.shape, axis))

    def infer_result_types(self) -> Sequence[Attribute]:
        return [
            self.infer_from(
                tensor_type(self.input), tensor_type(self.indices), self.axis.value.data
            )
        ]


MANIPULATION_OPS = (
    ReshapeOp, PermuteDimsOp, ConcatOp, SplitOp, StridedSliceOp, TakeOp,
    BroadcastToOp, ExpandDimsOp, SqueezeOp,
)  # fmt: skip
