"""Converters for matrix products: `linear`, `addmm`, `mm`, `bmm`, `matmul`.

`graph.matmul` has numpy's broadcasting and 1-D promotion, which is
`torch.matmul`'s.  `linear` multiplies by the transposed weight; the graph
has no transposed-operand matmul, so the `[out, in]` weight is permuted in
the graph (keeping the state-dict layout and name of the weight).
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.ir import SSAValue

from xunity.dialects.graph import elementwise as ew
from xunity.dialects.graph import linalg as la
from xunity.dialects.graph import manipulation as m
from xunity.dialects.graph.base import tensor_type
from xunity.frontends.torch.converter import NodeContext, Output, converter


@converter("aten.mm.default", "aten.bmm.default", "aten.matmul.default")
def convert_matmul(ctx: NodeContext) -> Sequence[Output]:
    op = la.MatmulOp(ctx.tensor("self"), ctx.tensor("mat2" if _is_mm(ctx) else "other"))
    return [ctx.emit(op).result]


def _is_mm(ctx: NodeContext) -> bool:
    return str(ctx.node.target) in ("aten.mm.default", "aten.bmm.default")


@converter("aten.linear.default")
def convert_linear(ctx: NodeContext) -> Sequence[Output]:
    """x @ weight^T + bias."""
    weight = ctx.tensor("weight")
    if tensor_type(weight).rank != 2:
        raise ctx.error(f"weight must be 2-D, got {tensor_type(weight)}")
    transposed = ctx.emit(m.PermuteDimsOp(weight, [1, 0])).result
    y = ctx.emit(la.MatmulOp(ctx.tensor("input"), transposed)).result
    bias = ctx.optional_tensor("bias")
    return [y if bias is None else ctx.emit(ew.AddOp(y, bias)).result]


@converter("aten.addmm.default")
def convert_addmm(ctx: NodeContext) -> Sequence[Output]:
    """beta * input + alpha * (mat1 @ mat2)."""
    element_type = ctx.result_element_type()
    product = ctx.emit(la.MatmulOp(ctx.tensor("mat1"), ctx.tensor("mat2"))).result
    product = _times(ctx, product, ctx.arg("alpha"))
    bias = _times(ctx, ctx.operand("self", element_type), ctx.arg("beta"))
    return [ctx.emit(ew.AddOp(product, bias)).result]


def _times(ctx: NodeContext, value: SSAValue, factor: float) -> SSAValue:
    if factor == 1:
        return value
    scale = ctx.scalar(factor, tensor_type(value).element_type)
    return ctx.emit(ew.MulOp(value, scale)).result
