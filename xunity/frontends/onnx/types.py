"""ONNX element types and their graph-dialect counterparts."""

from __future__ import annotations

import numpy as np
from onnx import TensorProto, helper
from xdsl.dialects.builtin import (
    BFloat16Type,
    Float16Type,
    Float32Type,
    i1,
    i8,
    i32,
    i64,
)
from xdsl.ir import Attribute

from xunity.frontends.onnx.converter import OnnxImportError

ELEMENT_TYPES: dict[int, Attribute] = {
    TensorProto.FLOAT: Float32Type(),
    TensorProto.FLOAT16: Float16Type(),
    TensorProto.BFLOAT16: BFloat16Type(),
    TensorProto.INT64: i64,
    TensorProto.INT32: i32,
    TensorProto.INT8: i8,
    TensorProto.BOOL: i1,
}
"""ONNX tensor element types that graph tensors can hold."""


def element_type_of(onnx_type: int, what: str) -> Attribute:
    if onnx_type not in ELEMENT_TYPES:
        name = TensorProto.DataType.Name(onnx_type)
        supported = ", ".join(TensorProto.DataType.Name(t) for t in ELEMENT_TYPES)
        raise OnnxImportError(
            f"{what}: element type {name} has no graph equivalent ({supported})"
        )
    return ELEMENT_TYPES[onnx_type]


def element_type_of_numpy(dtype: np.dtype, what: str) -> Attribute:
    return element_type_of(helper.np_dtype_to_tensor_dtype(dtype), what)
