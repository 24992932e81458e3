"""Creation graph ops: tensors made from inline data, named weights or a rule.

`graph.constant` carries its data inline as a builtin dense attribute shaped
like its result; `graph.weight` names a parameter that lives outside the IR
(bound when a model is loaded), so large checkpoints never pass through the
printer; `graph.full`, `graph.arange`, `graph.triu` and `graph.tril` follow
their numpy namesakes.  Unlike Relax's `R.const`, the dense literal is written
without its builtin type: the graph result type already says it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import (
    I64,
    BytesAttr,
    DenseIntOrFPElementsAttr,
    Float16Type,
    Float32Type,
    Float64Type,
    FloatAttr,
    IntegerAttr,
    IntegerType,
    StringAttr,
    f64,
    i1,
    i8,
    i32,
    i64,
)
from xdsl.dialects.builtin import TensorType as BuiltinTensorType
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    VarConstraint,
    base,
    irdl_op_definition,
    operand_def,
    prop_def,
    result_def,
    traits_def,
)
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.traits import ConstantLike, Pure
from xdsl.utils.exceptions import VerifyException

from xunity.dialects.graph.base import GraphOp, infer_or_raise, tensor_type
from xunity.dialects.graph.inference import ShapeError, arange_length
from xunity.dialects.graph.types import TensorType, is_float
from xunity.ir.symbolic import SymExpr

ConstantElement = Float32Type | Float16Type | IntegerType

CONSTANT_DTYPES: dict[ConstantElement, np.dtype] = {
    Float32Type(): np.dtype("<f4"),
    Float16Type(): np.dtype("<f2"),
    i64: np.dtype("<i8"),
    i32: np.dtype("<i4"),
    i8: np.dtype("i1"),
    i1: np.dtype("i1"),
}
"""Element types a `graph.constant` can hold, with their little-endian storage."""

ARANGE_TYPES: tuple[Attribute, ...] = (i64, i32, Float32Type())


def _constant_shape(dims: Sequence[SymExpr]) -> list[int] | None:
    shape: list[int] = []
    for dim in dims:
        value = dim.constant_value()
        if value is None:
            return None
        shape.append(value)
    return shape


def _dims_text(dims: Sequence[SymExpr] | Sequence[int]) -> str:
    return "[" + ", ".join(str(d) for d in dims) + "]"


# ------------------------------------------------------------------ constant
def _skip_dense_literal(parser: Parser) -> None:
    """Walk `<...>` of a dense literal: nested lists of numbers, or a hex string."""

    def skip_elements() -> None:
        nested = parser.parse_optional_comma_separated_list(
            parser.Delimiter.SQUARE, skip_elements
        )
        if nested is None:
            parser.parse_number(allow_boolean=True, context_msg=" in dense literal")

    parser.parse_punctuation("<", " in dense literal")
    if parser.parse_optional_punctuation(">") is not None:
        return
    if parser.parse_optional_str_literal() is None:
        skip_elements()
    parser.parse_punctuation(">", " in dense literal")


@irdl_op_definition
class ConstantOp(GraphOp):
    """Inline dense data.

    `%c = graph.constant dense<[[1.0, 2.0]]> : !graph.tensor<[1, 2], f32>`
    """

    name = "graph.constant"
    result = result_def(TensorType)
    value = prop_def(DenseIntOrFPElementsAttr)
    traits = traits_def(Pure(), ConstantLike())

    def __init__(self, value: DenseIntOrFPElementsAttr):
        result_type = TensorType(value.get_shape(), value.get_element_type())
        super().__init__(result_types=[result_type], properties={"value": value})

    @staticmethod
    def from_numpy(array: np.ndarray) -> ConstantOp:
        """A constant holding a copy of `array` (f32, f16, i64, i32, i8 or bool)."""
        if array.dtype == np.bool_:
            # Canonical i1 storage, as the parser builds it: true is all ones.
            element_type: ConstantElement | None = i1
            array = np.where(array, -1, 0).astype(np.int8)
        else:
            element_type = next(
                (
                    t
                    for t, dt in CONSTANT_DTYPES.items()
                    if dt == array.dtype.newbyteorder("<")
                ),
                None,
            )
        if element_type is None:
            raise VerifyException(
                f"graph.constant: unsupported numpy dtype {array.dtype}; expected "
                "float32, float16, int64, int32, int8 or bool"
            )
        data = np.ascontiguousarray(array, dtype=CONSTANT_DTYPES[element_type])
        dense_type = BuiltinTensorType(element_type, array.shape)
        return ConstantOp(
            DenseIntOrFPElementsAttr(dense_type, BytesAttr(data.tobytes()))
        )

    def to_numpy(self) -> np.ndarray:
        """The data as a fresh numpy array (i1 becomes bool)."""
        element_type = self.value.get_element_type()
        assert isinstance(element_type, ConstantElement)
        array = np.frombuffer(self.value.data.data, dtype=CONSTANT_DTYPES[element_type])
        array = array.reshape(self.value.get_shape()).copy()
        return array != 0 if element_type == i1 else array

    @classmethod
    def parse(cls, parser: Parser) -> ConstantOp:
        parser.parse_keyword("dense")
        literal_start = parser.pos
        # The literal is typed by the result type, which follows it: look ahead
        # for the type, then come back and let xDSL parse the literal with it.
        _skip_dense_literal(parser)
        attributes = parser.parse_optional_attr_dict()
        parser.parse_punctuation(":")
        type_start = parser.pos
        result_type = parser.parse_type()
        end = parser.pos
        shape = (
            _constant_shape(result_type.shape)
            if isinstance(result_type, TensorType)
            else None
        )
        if not isinstance(result_type, TensorType) or shape is None:
            parser.raise_error(
                "graph.constant: the result must be a !graph.tensor with constant dims",
                type_start,
            )
        if result_type.element_type not in CONSTANT_DTYPES:
            parser.raise_error(
                f"graph.constant: unsupported element type {result_type.element_type}",
                type_start,
            )
        dense_type = BuiltinTensorType(result_type.element_type, shape)
        parser._resume_from(literal_start)  # pyright: ignore[reportPrivateUsage]
        value = parser.parse_dense_int_or_fp_elements_attr(dense_type)  # pyright: ignore[reportArgumentType]
        parser._resume_from(end)  # pyright: ignore[reportPrivateUsage]
        op = cls.create(result_types=[result_type], properties={"value": value})
        op.attributes.update(attributes)
        return op

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        if self._has_non_finite_values():
            # xDSL spells NaN/inf elements as bit patterns that its parser reads
            # back as numbers; the raw-bytes form round-trips exactly.
            printer.print_string(f'dense<"0x{self.value.data.data.hex().upper()}">')
        else:
            self.value.print_without_type(printer)
        printer.print_op_attributes(self.attributes)
        printer.print_string(" : ")
        printer.print_attribute(self.result.type)

    def _has_non_finite_values(self) -> bool:
        if not is_float(self.value.get_element_type()):
            return False
        return not np.isfinite(self.to_numpy()).all()

    def infer_result_types(self) -> Sequence[Attribute]:
        declared = tensor_type(self.result)
        shape = list(self.value.get_shape())
        if _constant_shape(declared.shape) != shape:
            raise ShapeError(
                f"result dims {_dims_text(declared.shape)} differ from the value's "
                f"shape {_dims_text(shape)}"
            )
        if declared.element_type != self.value.get_element_type():
            raise ShapeError(
                f"result element type {declared.element_type} differs from the "
                f"value's {self.value.get_element_type()}"
            )
        return [declared]


# ------------------------------------------------------------------ weight
@irdl_op_definition
class WeightOp(GraphOp):
    """A parameter stored outside the IR, by name.

    `%w = graph.weight "layers.0.wq" : !graph.tensor<[4096, 4096], f16>`
    """

    name = "graph.weight"
    result = result_def(TensorType)
    weight_name = prop_def(StringAttr)
    traits = traits_def(Pure())
    assembly_format = "$weight_name attr-dict `:` type($result)"

    def __init__(self, weight_name: str, result_type: TensorType):
        super().__init__(
            result_types=[result_type],
            properties={"weight_name": StringAttr(weight_name)},
        )

    def infer_result_types(self) -> Sequence[Attribute]:
        if not self.weight_name.data:
            raise ShapeError("weight name must be non-empty")
        declared = tensor_type(self.result)
        if _constant_shape(declared.shape) is None:
            raise ShapeError(
                f"weight dims {_dims_text(declared.shape)} must be constant"
            )
        return [declared]


# ------------------------------------------------------------------ full
def _float_literal(value: float) -> str:
    """Shortest exact spelling that lexes as a float (MLIR needs the dot)."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    text = repr(value)
    if "." in text:
        return text
    return text.replace("e", ".0e") if "e" in text else text + ".0"


def _fill_text(value: FloatAttr | IntegerAttr) -> str:
    if isinstance(value, FloatAttr):
        return _float_literal(value.value.data)
    return str(value.value.data)


@irdl_op_definition
class FullOp(GraphOp):
    """A tensor filled with one value; the result type gives the (symbolic) shape.

    `%z = graph.full 0.0 : !graph.tensor<[n, 4], f32>`; floats may be `inf`,
    `-inf` or `nan`.
    """

    name = "graph.full"
    result = result_def(TensorType)
    value = prop_def(FloatAttr[Float64Type] | IntegerAttr[I64])
    traits = traits_def(Pure())

    def __init__(self, value: float, result_type: TensorType):
        fill: FloatAttr | IntegerAttr
        if is_float(result_type.element_type):
            fill = FloatAttr(float(value), f64)
        elif float(value).is_integer():
            fill = IntegerAttr(int(value), i64)
        else:
            raise VerifyException(
                f"graph.full: fill value {value} is not an integer, but the result "
                f"holds {result_type.element_type}"
            )
        super().__init__(result_types=[result_type], properties={"value": fill})

    @classmethod
    def parse(cls, parser: Parser) -> FullOp:
        value = cls._parse_fill_value(parser)
        attributes = parser.parse_optional_attr_dict()
        parser.parse_punctuation(":")
        result_type = parser.parse_type()
        op = cls.create(result_types=[result_type], properties={"value": value})
        op.attributes.update(attributes)
        return op

    @staticmethod
    def _parse_fill_value(parser: Parser) -> FloatAttr | IntegerAttr:
        start = parser.pos
        sign = -1 if parser.parse_optional_punctuation("-") is not None else 1
        special = parser.parse_optional_keyword_in(("inf", "nan"))
        if special is not None:
            return FloatAttr(sign * float(special), f64)
        number = parser.parse_number(context_msg=" as the fill value of graph.full")
        if isinstance(number, float):
            return FloatAttr(sign * number, f64)
        if not -(2**63) <= sign * number < 2**63:
            parser.raise_error("graph.full: fill value does not fit in i64", start)
        return IntegerAttr(sign * number, i64)

    def print(self, printer: Printer) -> None:
        printer.print_string(" " + _fill_text(self.value))
        printer.print_op_attributes(self.attributes)
        printer.print_string(" : ")
        printer.print_attribute(self.result.type)

    def infer_result_types(self) -> Sequence[Attribute]:
        declared = tensor_type(self.result)
        element_type = declared.element_type
        text = _fill_text(self.value)
        if is_float(element_type):
            if not isinstance(self.value, FloatAttr):
                raise ShapeError(
                    f"fill value {text} is an integer, but the result holds "
                    f"{element_type}"
                )
            return [declared]
        if not isinstance(self.value, IntegerAttr):
            raise ShapeError(
                f"fill value {text} is a float, but the result holds {element_type}"
            )
        assert isinstance(element_type, IntegerType)
        low, high = element_type.value_range()
        if not low <= self.value.value.data < high:
            raise ShapeError(f"fill value {text} does not fit in {element_type}")
        return [declared]


# ------------------------------------------------------------------ arange
@irdl_op_definition
class ArangeOp(GraphOp):
    """numpy arange with constant bounds: ceildiv(end - start, step) elements.

    `%r = graph.arange start = 0 end = 10 step = 3 : !graph.tensor<[4], i64>`
    """

    name = "graph.arange"
    result = result_def(TensorType)
    start = prop_def(IntegerAttr[I64])
    end = prop_def(IntegerAttr[I64])
    step = prop_def(IntegerAttr[I64])
    traits = traits_def(Pure())
    assembly_format = (
        "`start` `=` $start `end` `=` $end `step` `=` $step attr-dict `:` type($result)"
    )

    def __init__(
        self, start: int, end: int, step: int = 1, element_type: Attribute = i64
    ):
        result_type = infer_or_raise(
            self.name, lambda: self.infer_from(start, end, step, element_type)
        )
        super().__init__(
            result_types=[result_type],
            properties={
                "start": IntegerAttr(start, i64),
                "end": IntegerAttr(end, i64),
                "step": IntegerAttr(step, i64),
            },
        )

    @staticmethod
    def infer_from(
        start: int, end: int, step: int, element_type: Attribute
    ) -> TensorType:
        if element_type not in ARANGE_TYPES:
            raise ShapeError(
                f"result element type {element_type} must be i64, i32 or f32"
            )
        return TensorType([arange_length(start, end, step)], element_type)

    def infer_result_types(self) -> Sequence[Attribute]:
        return [
            self.infer_from(
                self.start.value.data,
                self.end.value.data,
                self.step.value.data,
                tensor_type(self.result).element_type,
            )
        ]


# ------------------------------------------------------------------ triu, tril
class TriangularOp(GraphOp):
    """Base of triu/tril: zero one side of the `k`-th diagonal of the last two dims."""

    T: ClassVar = VarConstraint("T", base(TensorType))
    input = operand_def(T)
    result = result_def(T)
    k = prop_def(IntegerAttr[I64], default_value=IntegerAttr(0, i64))
    traits = traits_def(Pure())
    assembly_format = "$input (`k` `=` $k^)? attr-dict `:` type($input)"

    def __init__(self, input: SSAValue, k: int = 0):
        infer_or_raise(self.name, lambda: self.infer_from(tensor_type(input)))
        super().__init__(
            operands=[input],
            result_types=[input.type],
            properties={"k": IntegerAttr(k, i64)},
        )

    @staticmethod
    def infer_from(input_type: TensorType) -> TensorType:
        if input_type.rank < 2:
            raise ShapeError(f"expects rank >= 2, got rank {input_type.rank}")
        return input_type

    def infer_result_types(self) -> Sequence[Attribute]:
        return [self.infer_from(tensor_type(self.input))]


@irdl_op_definition
class TriuOp(TriangularOp):
    """Keep the upper triangle (j - i >= k).  `%u = graph.triu %x k = 1 : T`"""

    name = "graph.triu"


@irdl_op_definition
class TrilOp(TriangularOp):
    """Keep the lower triangle (j - i <= k).  `%l = graph.tril %x : T`"""

    name = "graph.tril"


CREATION_OPS = (ConstantOp, WeightOp, FullOp, ArangeOp, TriuOp, TrilOp)
