"""Linear-algebra graph ops: `graph.matmul` with numpy semantics, and
`graph.packed_matmul`, a matmul whose rhs is stored in the f32 GEMM's packed
panel layout (what `graph-prepack-weights` makes of a matmul by a constant).

Unlike Relax's `R.matmul`, the operands must already share an element type
(no implicit promotion, and no `out_dtype`): insert `graph.astype` first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from xdsl.dialects.builtin import I64, IntegerAttr, f32, i64
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    irdl_op_definition,
    operand_def,
    prop_def,
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
from xunity.dialects.graph.inference import ShapeError, matmul_shape
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


@irdl_op_definition
class PackedMatmulOp(GraphOp):
    """`lhs @ w` for an f32 `w` of `columns` columns, given packed:
    `rhs[p, k, j] = w[k, p * PANEL_WIDTH + j]`, zero past `columns`.

    That is the layout the f32 GEMM copies its rhs into on every call; a
    constant rhs packed once at compile time saves the copy (a tenth of a
    128-row product).  lhs `[..., n, k]` (no batch broadcasting on the rhs).

    `%c = graph.packed_matmul %a, %p columns = 100 : !graph.tensor<[n, 64], f32>,
        !graph.tensor<[3, 64, 48], f32> -> !graph.tensor<[n, 100], f32>`
    """

    name = "graph.packed_matmul"
    PANEL_WIDTH: ClassVar[int] = 48
    lhs = operand_def(TensorType)
    rhs = operand_def(TensorType)
    result = result_def(TensorType)
    columns = prop_def(IntegerAttr[I64])
    traits = traits_def(Pure())
    assembly_format = (
        "$lhs `,` $rhs `columns` `=` $columns attr-dict `:` "
        "type($lhs) `,` type($rhs) `->` type($result)"
    )

    def __init__(self, lhs: SSAValue, rhs: SSAValue, columns: int):
        result_type = infer_or_raise(
            self.name,
            lambda: self.infer_from(tensor_type(lhs), tensor_type(rhs), columns),
        )
        super().__init__(
            operands=[lhs, rhs],
            result_types=[result_type],
            properties={"columns": IntegerAttr(columns, i64)},
        )

    @classmethod
    def infer_from(cls, lhs: TensorType, rhs: TensorType, columns: int) -> TensorType:
        if lhs.element_type != f32 or rhs.element_type != f32:
            raise ShapeError("operands must be f32")
        if lhs.rank < 2 or rhs.rank != 3:
            raise ShapeError(
                f"lhs must have rank >= 2 and the packed rhs rank 3, got ranks "
                f"{lhs.rank} and {rhs.rank}"
            )
        if columns < 1:
            raise ShapeError(f"columns must be >= 1, got {columns}")
        panels = -(-columns // cls.PANEL_WIDTH)
        want = (panels, None, cls.PANEL_WIDTH)
        for dim, expected in zip(rhs.shape, want, strict=True):
            if expected is not None and not dim.provably_equal(expected):
                raise ShapeError(
                    f"the packed rhs of {columns} columns must be [{panels}, k, "
                    f"{cls.PANEL_WIDTH}], got [{', '.join(map(str, rhs.shape))}]"
                )
        if not lhs.shape[-1].provably_equal(rhs.shape[1]):
            raise ShapeError(
                f"lhs depth {lhs.shape[-1]} differs from the packed rhs depth "
                f"{rhs.shape[1]}"
            )
        return TensorType([*lhs.shape[:-1], columns], f32)

    def infer_result_types(self) -> Sequence[Attribute]:
        return [
            self.infer_from(
                tensor_type(self.lhs), tensor_type(self.rhs), self.columns.value.data
            )
        ]


LINALG_OPS = (MatmulOp, PackedMatmulOp)
