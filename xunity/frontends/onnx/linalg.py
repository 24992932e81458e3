"""Converters for `MatMul` (numpy semantics, as `graph.matmul`) and `Gemm`.

`Gemm` is `alpha * A' @ B' + beta * C` with optional transposes; it
decomposes into `permute_dims`, `matmul`, `mul` and `add`, skipping the
factors that are 1 and a missing `C`.
"""

from __future__ import annotations

from collections.abc import Sequence

from xunity.dialects.graph.elementwise import AddOp, MulOp
from xunity.dialects.graph.linalg import MatmulOp
from xunity.dialects.graph.manipulation import PermuteDimsOp
from xunity.frontends.onnx.converter import NodeContext, Output, converter


@converter("MatMul")
def convert_matmul(ctx: NodeContext) -> Sequence[Output]:
    return [ctx.emit(MatmulOp(ctx.input(0), ctx.input(1))).result]


@converter("Gemm")
def convert_gemm(ctx: NodeContext) -> Sequence[Output]:
    a, b = ctx.input(0), ctx.input(1)
    if ctx.attr("transA", 0):
        a = ctx.emit(PermuteDimsOp(a, [1, 0])).result
    if ctx.attr("transB", 0):
        b = ctx.emit(PermuteDimsOp(b, [1, 0])).result
    y = ctx.emit(MatmulOp(a, b)).result
    alpha, beta = float(ctx.attr("alpha", 1.0)), float(ctx.attr("beta", 1.0))
    if alpha != 1.0:
        y = ctx.emit(MulOp(y, ctx.scalar(alpha, y))).result
    c = ctx.optional_input(2)
    if c is None or beta == 0.0:
        return [y]
    if beta != 1.0:
        c = ctx.emit(MulOp(c, ctx.scalar(beta, c))).result
    return [ctx.emit(AddOp(y, c)).result]
