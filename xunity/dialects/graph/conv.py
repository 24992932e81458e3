"""Convolution and pooling graph ops on NCHW tensors.

Like Relax's `nn.conv2d` / `nn.max_pool2d` with the NCHW/OIHW layouts fixed:
padding is explicit per side, `[top, left, bottom, right]`, and every window
property is written out in the IR.  Spatial dims may be symbolic; the output
size comes from `inference.sliding_window_dim`, e.g. `[1, 3, h, w]` through a
3x3 stride-2 pad-1 window gives `((h - 1) floordiv 2) + 1`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from xdsl.dialects.builtin import I64, DenseArrayBase, IntegerAttr, i64
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    prop_def,
    result_def,
    traits_def,
)
from xdsl.traits import Pure

from xunity.dialects.graph.base import GraphOp, infer_or_raise, tensor_type
from xunity.dialects.graph.inference import ShapeError, conv2d_shape, pool2d_shape
from xunity.dialects.graph.types import TensorType, is_float


def _i64_array(values: Sequence[int]) -> DenseArrayBase:
    return DenseArrayBase.from_list(i64, list(values))


# ------------------------------------------------------------------ conv
@irdl_op_definition
class Conv2dOp(GraphOp):
    """2-D convolution: NCHW input, OIHW weight, optional [O] bias.

    `%y = graph.conv2d %x, %w, %b strides = [1, 1] padding = [1, 1, 1, 1]
    dilation = [1, 1] groups = 1 : Tx, Tw, Tb -> Ty`
    """

    name = "graph.conv2d"
    input = operand_def(TensorType)
    weight = operand_def(TensorType)
    bias = opt_operand_def(TensorType)
    result = result_def(TensorType)
    strides = prop_def(DenseArrayBase.constr(i64))
    padding = prop_def(DenseArrayBase.constr(i64))
    dilation = prop_def(DenseArrayBase.constr(i64))
    groups = prop_def(IntegerAttr[I64])
    traits = traits_def(Pure())
    assembly_format = (
        "$input `,` $weight (`,` $bias^)? `strides` `=` $strides "
        "`padding` `=` $padding `dilation` `=` $dilation `groups` `=` $groups "
        "attr-dict `:` type($input) `,` type($weight) (`,` type($bias)^)? "
        "`->` type($result)"
    )

    def __init__(
        self,
        input: SSAValue,
        weight: SSAValue,
        bias: SSAValue | None = None,
        *,
        strides: Sequence[int] = (1, 1),
        padding: Sequence[int] = (0, 0, 0, 0),
        dilation: Sequence[int] = (1, 1),
        groups: int = 1,
    ):
        result_type = infer_or_raise(
            self.name,
            lambda: self.infer_from(
                tensor_type(input),
                tensor_type(weight),
                None if bias is None else tensor_type(bias),
                strides,
                padding,
                dilation,
                groups,
            ),
        )
        super().__init__(
            operands=[input, weight, [] if bias is None else [bias]],
            result_types=[result_type],
            properties={
                "strides": _i64_array(strides),
                "padding": _i64_array(padding),
                "dilation": _i64_array(dilation),
                "groups": IntegerAttr(groups, i64),
            },
        )

    @staticmethod
    def infer_from(
        input: TensorType,
        weight: TensorType,
        bias: TensorType | None,
        strides: Sequence[int],
        padding: Sequence[int],
        dilation: Sequence[int],
        groups: int,
    ) -> TensorType:
        for what, operand in (("weight", weight), ("bias", bias)):
            if operand is not None and operand.element_type != input.element_type:
                raise ShapeError(
                    f"{what} element type {operand.element_type} differs from the "
                    f"input's {input.element_type}"
                )
        shape = conv2d_shape(
            input.shape,
            weight.shape,
            None if bias is None else bias.shape,
            strides,
            padding,
            dilation,
            groups,
        )
        return TensorType(shape, input.element_type)

    def infer_result_types(self) -> Sequence[Attribute]:
        return [
            self.infer_from(
                tensor_type(self.input),
                tensor_type(self.weight),
                None if self.bias is None else tensor_type(self.bias),
                self.strides.get_values(),
                self.padding.get_values(),
                self.dilation.get_values(),
                self.groups.value.data,
            )
        ]


# ------------------------------------------------------------------ pooling
class Pool2dOp(GraphOp):
    """Base of 2-D pooling over the H and W dims of an NCHW tensor."""

    input = operand_def(TensorType)
    result = result_def(TensorType)
    kernel = prop_def(DenseArrayBase.constr(i64))
    strides = prop_def(DenseArrayBase.constr(i64))
    padding = prop_def(DenseArrayBase.constr(i64))
    dilation = prop_def(DenseArrayBase.constr(i64))
    traits = traits_def(Pure())
    assembly_format = (
        "$input `kernel` `=` $kernel `strides` `=` $strides `padding` `=` $padding "
        "`dilation` `=` $dilation attr-dict `:` type($input) `->` type($result)"
    )

    FLOAT_ONLY: ClassVar[bool] = False
    """Averaging is defined on floating-point tensors only."""

    def __init__(
        self,
        input: SSAValue,
        kernel: Sequence[int],
        *,
        strides: Sequence[int] | None = None,
        padding: Sequence[int] = (0, 0, 0, 0),
        dilation: Sequence[int] = (1, 1),
    ):
        """`strides` defaults to the kernel size, as in PyTorch."""
        strides = kernel if strides is None else strides
        result_type = infer_or_raise(
            self.name,
            lambda: self.infer_from(
                tensor_type(input), kernel, strides, padding, dilation
            ),
        )
        super().__init__(
            operands=[input],
            result_types=[result_type],
            properties={
                "kernel": _i64_array(kernel),
                "strides": _i64_array(strides),
                "padding": _i64_array(padding),
                "dilation": _i64_array(dilation),
            },
        )

    @classmethod
    def infer_from(
        cls,
        input: TensorType,
        kernel: Sequence[int],
        strides: Sequence[int],
        padding: Sequence[int],
        dilation: Sequence[int],
    ) -> TensorType:
        if cls.FLOAT_ONLY and not is_float(input.element_type):
            raise ShapeError(
                f"expects a floating-point tensor, got {input.element_type}"
            )
        shape = pool2d_shape(input.shape, kernel, strides, padding, dilation)
        return TensorType(shape, input.element_type)

    def infer_result_types(self) -> Sequence[Attribute]:
        return [
            self.infer_from(
                tensor_type(self.input),
                self.kernel.get_values(),
                self.strides.get_values(),
                self.padding.get_values(),
                self.dilation.get_values(),
            )
        ]


@irdl_op_definition
class MaxPool2dOp(Pool2dOp):
    """Window maximum; padding never wins.

    `%y = graph.max_pool2d %x kernel = [2, 2] strides = [2, 2]
    padding = [0, 0, 0, 0] dilation = [1, 1] : Tx -> Ty`
    """

    name = "graph.max_pool2d"


@irdl_op_definition
class AvgPool2dOp(Pool2dOp):
    """Window mean over the in-bounds elements (padding is not counted).

    `%y = graph.avg_pool2d %x kernel = [3, 3] strides = [1, 1]
    padding = [1, 1, 1, 1] dilation = [1, 1] : Tx -> Ty`
    """

    name = "graph.avg_pool2d"
    FLOAT_ONLY: ClassVar[bool] = True


CONV_OPS = (Conv2dOp, MaxPool2dOp, AvgPool2dOp)
