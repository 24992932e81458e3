"""Converters for ops that make tensors: Constant, Shape, Size, ConstantOfShape.

`Constant`, `Shape` and `Size` produce import-time values (a `Shape` holds
`SymExpr` dims where the input's dims are symbolic); `ConstantOfShape` of a
symbolic shape is a run-time `graph.full`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from onnx import numpy_helper

from xunity.dialects.graph.creation import FullOp
from xunity.dialects.graph.types import TensorType
from xunity.frontends.onnx.converter import Known, NodeContext, Output, converter
from xunity.frontends.onnx.folding import normalize
from xunity.frontends.onnx.types import element_type_of_numpy
from xunity.ir.symbolic import SymExpr


@converter("Constant")
def convert_constant(ctx: NodeContext) -> Sequence[Output]:
    for attribute in ctx.node.attribute:
        name = attribute.name
        if name == "value":
            return [numpy_helper.to_array(attribute.t)]
        if name in ("value_float", "value_floats"):
            return [np.array(ctx.attr(name), dtype=np.float32)]
        if name in ("value_int", "value_ints"):
            return [np.array(ctx.attr(name), dtype=np.int64)]
    kinds = ", ".join(a.name for a in ctx.node.attribute) or "none"
    raise ctx.error(f"unsupported constant kind ({kinds})")


def _input_shape(ctx: NodeContext) -> tuple[SymExpr, ...]:
    known = ctx.known(0)
    if known is not None:
        return tuple(SymExpr.of(d) for d in known.shape)
    return ctx.input_type(0).shape


def _dims_array(dims: Sequence[SymExpr]) -> Known:
    array = np.empty(len(dims), dtype=object)
    array[:] = list(dims)
    return normalize(array)


@converter("Shape")
def convert_shape(ctx: NodeContext) -> Sequence[Output]:
    shape = _input_shape(ctx)
    start = int(ctx.attr("start", 0))
    end = ctx.attr("end")
    return [_dims_array(shape[start : None if end is None else int(end)])]


@converter("Size")
def convert_size(ctx: NodeContext) -> Sequence[Output]:
    count = SymExpr.of(1)
    for dim in _input_shape(ctx):
        count = count * dim
    return [_dims_array([count]).reshape(())]


@converter("ConstantOfShape")
def convert_constant_of_shape(ctx: NodeContext) -> Sequence[Output]:
    """Only reached for a symbolic shape; constant shapes fold."""
    dims = ctx.known_dims(0, "the shape")
    value = ctx.attr("value")
    fill = np.zeros(1, np.float32) if value is None else numpy_helper.to_array(value)
    element_type = element_type_of_numpy(fill.dtype, "ConstantOfShape value")
    result_type = TensorType(dims, element_type)
    return [ctx.emit(FullOp(fill.ravel()[0].item(), result_type)).result]
