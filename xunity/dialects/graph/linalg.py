"""Linear-algebra graph ops: `graph.matmul` with numpy semantics.

Unlike Relax's `R.matmul`, the operands must already share an element type
(no implicit promotion, and no `out_dtype`): insert `graph.astype` first.
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import irdl_op_definition, operand_def, result_def, traits_def
from xdsl.traits import Pure

from xunity.dialects.graph.base import GraphOp, infer_or_raise, tensor_type
from xunity.dialects.graph.inference import ShapeError, matmul_shape
from xunity.dialects.graph.types import TensorType


@irdl_op_definition
class MatmulOp(GraphOp):
    """numpy matmul: `[..., n, k] x [..., k, m] -> [..., n, m]`, batch dims broadcast.

    A 1-D lhs is promoted to `[1, k]` and a 1-D rhs to `[k, 1]`; the promoted
    dim is dropped from the result, as in numpy.

    `%c = graph.matmul %a, %b : !graph.tensor<[n, k], f32>,
        !graph.tensor<[k, m], f32> -> !graph.tensor<[n, m], f32>`
    """

    name = "graph.matmul"
    lhs = operand_def(TensorType)
    rhs = operand_def(TensorType)
    result = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = (
        "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)"
    )

    def __init__(self, lhs: SSAValue, rhs: SSAValue):
        result_type = infer_or_raise(
            self.name, lambda: self.infer_from(tensor_type(lhs), tensor_type(rhs))
        )
        super().__init__(operands=[lhs, rhs], result_types=[result_type])

    @staticmethod
    def infer_from(lhs: TensorType, rhs: TensorType) -> TensorType:
        if lhs.element_type != rhs.element_type:
            raise ShapeError(
                f"operand element types {lhs.element_type} and {rhs.element_type} "
                "differ; insert graph.astype"
            )
        return TensorType(matmul_shape(lhs.shape, rhs.shape), lhs.element_type)

    def infer_result_types(self) -> Sequence[Attribute]:
        return [self.infer_from(tensor_type(self.lhs), tensor_type(self.rhs))]


LINALG_OPS = (MatmulOp,)
