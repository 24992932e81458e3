"""Linear-algebra graph ops: `graph.matmul` with numpy semantics.

Unlike Relax's `R.matmul`, the operands must already share an element type
(no implicit promotion, and no `out_dtype`): insert `graph.astype` first.
"""

from __future__ import annotations

from xdsl.irdl import irdl_op_definition

from xunity.dialects.graph.base import BinaryTensorOp, require_same_element_type
from xunity.dialects.graph.inference import matmul_shape
from xunity.dialects.graph.types import TensorType


@irdl_op_definition
class MatmulOp(BinaryTensorOp):
    """numpy matmul: `[..., n, k] x [..., k, m] -> [..., n, m]`, batch dims broadcast.

    A 1-D lhs is promoted to `[1, k]` and a 1-D rhs to `[k, 1]`; the promoted
    dim is dropped from the result, as in numpy.

    `%c = graph.matmul %a, %b : !graph.tensor<[n, k], f32>,
        !graph.tensor<[k, m], f32> -> !graph.tensor<[n, m], f32>`
    """

    name = "graph.matmul"

    @classmethod
    def infer_from(cls, lhs: TensorType, rhs: TensorType) -> TensorType:
        element_type = require_same_element_type(lhs, rhs)
        return TensorType(matmul_shape(lhs.shape, rhs.shape), element_type)


LINALG_OPS = (MatmulOp,)
