"""Elementwise graph ops: unary math, binary arithmetic with numpy broadcasting,
comparisons, `where` and `astype`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    VarConstraint,
    base,
    irdl_op_definition,
    operand_def,
    result_def,
    traits_def,
)
from xdsl.traits import Pure

from xunity.dialects.graph.base import (
    BinaryTensorOp,
    GraphOp,
    infer_or_raise,
    require_same_element_type,
    tensor_type,
)
from xunity.dialects.graph.inference import ShapeError, broadcast_shapes
from xunity.dialects.graph.types import (
    BOOL_TYPE,
    ELEMENT_TYPES,
    TensorType,
    is_float,
)


# ------------------------------------------------------------------ unary
class UnaryElementwiseOp(GraphOp):
    """Base of elementwise unary ops: same shape and dtype in and out."""

    T: ClassVar = VarConstraint("T", base(TensorType))
    input = operand_def(T)
    result = result_def(T)
    traits = traits_def(Pure())
    assembly_format = "$input attr-dict `:` type($input)"

    FLOAT_ONLY: ClassVar[bool] = True
    """Transcendental ops are defined on floating-point tensors only."""

    def __init__(self, input: SSAValue):
        super().__init__(operands=[input], result_types=[input.type])

    def infer_result_types(self) -> Sequence[Attribute]:
        input_type = tensor_type(self.input)
        if self.FLOAT_ONLY and not is_float(input_type.element_type):
            raise ShapeError(
                f"expects a floating-point tensor, got {input_type.element_type}"
            )
        return [input_type]


@irdl_op_definition
class NegOp(UnaryElementwiseOp):
    """Negation.  `%y = graph.neg %x : !graph.tensor<[n], f32>`"""

    name = "graph.neg"
    FLOAT_ONLY: ClassVar[bool] = False


@irdl_op_definition
class AbsOp(UnaryElementwiseOp):
    """Absolute value.  `%y = graph.abs %x : !graph.tensor<[n], f32>`"""

    name = "graph.abs"
    FLOAT_ONLY: ClassVar[bool] = False


@irdl_op_definition
class ExpOp(UnaryElementwiseOp):
    """e**x.  `%y = graph.exp %x : !graph.tensor<[n], f32>`"""

    name = "graph.exp"


@irdl_op_definition
class LogOp(UnaryElementwiseOp):
    """Natural logarithm.  `%y = graph.log %x : !graph.tensor<[n], f32>`"""

    name = "graph.log"


@irdl_op_definition
class SqrtOp(UnaryElementwiseOp):
    """Square root.  `%y = graph.sqrt %x : !graph.tensor<[n], f32>`"""

    name = "graph.sqrt"


@irdl_op_definition
class RsqrtOp(UnaryElementwiseOp):
    """1 / sqrt(x).  `%y = graph.rsqrt %x : !graph.tensor<[n], f32>`"""

    name = "graph.rsqrt"


@irdl_op_definition
class TanhOp(UnaryElementwiseOp):
    """Hyperbolic tangent.  `%y = graph.tanh %x : !graph.tensor<[n], f32>`"""

    name = "graph.tanh"


@irdl_op_definition
class SigmoidOp(UnaryElementwiseOp):
    """1 / (1 + e**-x).  `%y = graph.sigmoid %x : !graph.tensor<[n], f32>`"""

    name = "graph.sigmoid"


@irdl_op_definition
class ErfOp(UnaryElementwiseOp):
    """Gauss error function.  `%y = graph.erf %x : !graph.tensor<[n], f32>`"""

    name = "graph.erf"


@irdl_op_definition
class ReluOp(UnaryElementwiseOp):
    """max(x, 0).  `%y = graph.relu %x : !graph.tensor<[n], f32>`"""

    name = "graph.relu"
    FLOAT_ONLY: ClassVar[bool] = False


@irdl_op_definition
class GeluOp(UnaryElementwiseOp):
    """x * Phi(x) with the exact (erf) CDF.  `%y = graph.gelu %x : ...`"""

    name = "graph.gelu"


@irdl_op_definition
class GeluTanhOp(UnaryElementwiseOp):
    """GELU with the tanh approximation (GPT-2, BERT-tf).  `graph.gelu_tanh %x : ...`"""

    name = "graph.gelu_tanh"


@irdl_op_definition
class SiluOp(UnaryElementwiseOp):
    """x * sigmoid(x).  `%y = graph.silu %x : !graph.tensor<[n], f32>`"""

    name = "graph.silu"


@irdl_op_definition
class CosOp(UnaryElementwiseOp):
    """Cosine.  `%y = graph.cos %x : !graph.tensor<[n], f32>`"""

    name = "graph.cos"


@irdl_op_definition
class SinOp(UnaryElementwiseOp):
    """Sine.  `%y = graph.sin %x : !graph.tensor<[n], f32>`"""

    name = "graph.sin"


# ------------------------------------------------------------------ binary
class BinaryElementwiseOp(BinaryTensorOp):
    """Base of elementwise binary ops with numpy broadcasting."""

    @classmethod
    def result_element_type(cls, operand_element_type: Attribute) -> Attribute:
        return operand_element_type

    @classmethod
    def infer_from(cls, lhs: TensorType, rhs: TensorType) -> TensorType:
        element_type = require_same_element_type(lhs, rhs)
        shape = broadcast_shapes(lhs.shape, rhs.shape)
        return TensorType(shape, cls.result_element_type(element_type))


@irdl_op_definition
class AddOp(BinaryElementwiseOp):
    """Elementwise sum.  `%c = graph.add %a, %b : T0, T1 -> T2`"""

    name = "graph.add"


@irdl_op_definition
class SubOp(BinaryElementwiseOp):
    """Elementwise difference.  `%c = graph.sub %a, %b : T0, T1 -> T2`"""

    name = "graph.sub"


@irdl_op_definition
class MulOp(BinaryElementwiseOp):
    """Elementwise product.  `%c = graph.mul %a, %b : T0, T1 -> T2`"""

    name = "graph.mul"


@irdl_op_definition
class DivOp(BinaryElementwiseOp):
    """Elementwise quotient (true division for floats, truncating for ints)."""

    name = "graph.div"


@irdl_op_definition
class PowOp(BinaryElementwiseOp):
    """Elementwise power a**b.  `%c = graph.pow %a, %b : T0, T1 -> T2`"""

    name = "graph.pow"


@irdl_op_definition
class MaximumOp(BinaryElementwiseOp):
    """Elementwise maximum.  `%c = graph.maximum %a, %b : T0, T1 -> T2`"""

    name = "graph.maximum"


@irdl_op_definition
class MinimumOp(BinaryElementwiseOp):
    """Elementwise minimum.  `%c = graph.minimum %a, %b : T0, T1 -> T2`"""

    name = "graph.minimum"


# ------------------------------------------------------------------ comparisons
class ComparisonOp(BinaryElementwiseOp):
    """Base of broadcasting comparisons; the result holds i1."""

    @classmethod
    def result_element_type(cls, operand_element_type: Attribute) -> Attribute:
        return BOOL_TYPE


@irdl_op_definition
class EqualOp(ComparisonOp):
    """a == b.  `%c = graph.equal %a, %b : T0, T1 -> !graph.tensor<[..], i1>`"""

    name = "graph.equal"


@irdl_op_definition
class NotEqualOp(ComparisonOp):
    """a != b.  `%c = graph.not_equal %a, %b : T0, T1 -> ...i1`"""

    name = "graph.not_equal"


@irdl_op_definition
class LessOp(ComparisonOp):
    """a < b.  `%c = graph.less %a, %b : T0, T1 -> ...i1`"""

    name = "graph.less"


@irdl_op_definition
class LessEqualOp(ComparisonOp):
    """a <= b.  `%c = graph.less_equal %a, %b : T0, T1 -> ...i1`"""

    name = "graph.less_equal"


@irdl_op_definition
class GreaterOp(ComparisonOp):
    """a > b.  `%c = graph.greater %a, %b : T0, T1 -> ...i1`"""

    name = "graph.greater"


@irdl_op_definition
class GreaterEqualOp(ComparisonOp):
    """a >= b.  `%c = graph.greater_equal %a, %b : T0, T1 -> ...i1`"""

    name = "graph.greater_equal"


# ------------------------------------------------------------------ select, cast
@irdl_op_definition
class WhereOp(GraphOp):
    """Select by an i1 condition, broadcasting all three operands.

    `%r = graph.where %cond, %a, %b : Tc, Ta, Tb -> Tr`
    """

    name = "graph.where"
    condition = operand_def(TensorType)
    true_value = operand_def(TensorType)
    false_value = operand_def(TensorType)
    result = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = (
        "$condition `,` $true_value `,` $false_value attr-dict `:` "
        "type($condition) `,` type($true_value) `,` type($false_value) "
        "`->` type($result)"
    )

    def __init__(
        self, condition: SSAValue, true_value: SSAValue, false_value: SSAValue
    ):
        result_type = infer_or_raise(
            self.name,
            lambda: self.infer_from(
                tensor_type(condition),
                tensor_type(true_value),
                tensor_type(false_value),
            ),
        )
        super().__init__(
            operands=[condition, true_value, false_value], result_types=[result_type]
        )

    @staticmethod
    def infer_from(cond: TensorType, a: TensorType, b: TensorType) -> TensorType:
        if cond.element_type != BOOL_TYPE:
            raise ShapeError(f"condition must hold i1, got {cond.element_type}")
        if a.element_type != b.element_type:
            raise ShapeError(
                f"branch element types {a.element_type} and {b.element_type} differ"
            )
        shape = broadcast_shapes(cond.shape, broadcast_shapes(a.shape, b.shape))
        return TensorType(shape, a.element_type)

    def infer_result_types(self) -> Sequence[Attribute]:
        return [
            self.infer_from(
                tensor_type(self.condition),
                tensor_type(self.true_value),
                tensor_type(self.false_value),
            )
        ]


@irdl_op_definition
class AsTypeOp(GraphOp):
    """Element type conversion, same shape.  `%y = graph.astype %x : T0 -> T1`"""

    name = "graph.astype"
    input = operand_def(TensorType)
    result = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    def __init__(self, input: SSAValue, element_type: Attribute):
        result_type = tensor_type(input).with_element_type(element_type)
        super().__init__(operands=[input], result_types=[result_type])

    def infer_result_types(self) -> Sequence[Attribute]:
        result_type = tensor_type(self.result)
        if result_type.element_type not in ELEMENT_TYPES:
            raise ShapeError(f"unsupported target type {result_type.element_type}")
        return [tensor_type(self.input).with_element_type(result_type.element_type)]


UNARY_OPS = (
    NegOp, AbsOp, ExpOp, LogOp, SqrtOp, RsqrtOp, TanhOp, SigmoidOp, ErfOp, ReluOp,
    GeluOp, GeluTanhOp, SiluOp, CosOp, SinOp,
)  # fmt: skip
BINARY_OPS = (AddOp, SubOp, MulOp, DivOp, PowOp, MaximumOp, MinimumOp)
COMPARISON_OPS = (EqualOp, NotEqualOp, LessOp, LessEqualOp, GreaterOp, GreaterEqualOp)
ELEMENTWISE_OPS = (*UNARY_OPS, *BINARY_OPS, *COMPARISON_OPS, WhereOp, AsTypeOp)
