"""Types of the graph dialect: tensors whose dims are symbolic expressions.

`!graph.tensor<[n, 4096], f32>` is a ranked tensor value (no layout, no
storage) whose dims are `SymExpr`s.  Unlike the builtin `tensor<?x4096xf32>`,
a dynamic dim keeps its name, so `[n, k] x [k, m]` can be checked and
`[n, m]` inferred without running the program.
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import (
    BFloat16Type,
    Float16Type,
    Float32Type,
    IntegerType,
    Signedness,
)
from xdsl.ir import Attribute, Data, ParametrizedAttribute, TypeAttribute
from xdsl.irdl import irdl_attr_definition
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException

from xunity.dialects.sym_syntax import parse_dims, print_dims
from xunity.ir.symbolic import Dim, SymExpr, dims_of, product

ELEMENT_TYPES: tuple[Attribute, ...] = (
    Float32Type(),
    Float16Type(),
    BFloat16Type(),
    IntegerType(64),
    IntegerType(32),
    IntegerType(8),
    IntegerType(1),
    IntegerType(4),
    IntegerType(4, Signedness.UNSIGNED),
)
"""Element types a graph tensor may hold; i4/ui4 are packed two per byte."""

FLOAT_TYPES: tuple[Attribute, ...] = ELEMENT_TYPES[:3]
BOOL_TYPE = IntegerType(1)


def is_float(element_type: Attribute) -> bool:
    return element_type in FLOAT_TYPES


def is_integer(element_type: Attribute) -> bool:
    return isinstance(element_type, IntegerType) and element_type != BOOL_TYPE


@irdl_attr_definition
class DimsAttr(Data[tuple[SymExpr, ...]]):
    """A list of symbolic dims, e.g. `#graph.dims<[0, n + 1]>` (slice bounds)."""

    name = "graph.dims"

    def __init__(self, dims: Sequence[Dim]):
        super().__init__(dims_of(dims))

    @classmethod
    def parse_parameter(cls, parser: AttrParser) -> tuple[SymExpr, ...]:
        with parser.in_angle_brackets():
            return parse_dims(parser)

    def print_parameter(self, printer: Printer) -> None:
        with printer.in_angle_brackets():
            print_dims(printer, self.data)


@irdl_attr_definition
class TensorType(ParametrizedAttribute, TypeAttribute):
    """A ranked tensor with symbolic dims: `!graph.tensor<[n, 4096], f32>`."""

    name = "graph.tensor"

    dims: DimsAttr
    element_type: Attribute

    def __init__(self, shape: Sequence[Dim] | DimsAttr, element_type: Attribute):
        dims = shape if isinstance(shape, DimsAttr) else DimsAttr(shape)
        super().__init__(dims, element_type)

    @property
    def shape(self) -> tuple[SymExpr, ...]:
        return self.dims.data

    @property
    def rank(self) -> int:
        return len(self.dims.data)

    def num_elements(self) -> SymExpr:
        return product(self.shape)

    def free_vars(self) -> set[str]:
        names: set[str] = set()
        for dim in self.shape:
            names |= dim.free_vars()
        return names

    def with_shape(self, shape: Sequence[Dim]) -> TensorType:
        return TensorType(shape, self.element_type)

    def with_element_type(self, element_type: Attribute) -> TensorType:
        return TensorType(self.dims, element_type)

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> tuple[DimsAttr, Attribute]:
        with parser.in_angle_brackets():
            dims = parse_dims(parser)
            parser.parse_punctuation(",")
            start = parser.pos
            element_type = parser.parse_type()
            if element_type not in ELEMENT_TYPES:
                parser.raise_error(
                    f"graph.tensor: unsupported element type {element_type}; "
                    "expected one of f32, f16, bf16, i64, i32, i8, i1, i4, ui4",
                    start,
                    parser.pos,
                )
        return DimsAttr(dims), element_type

    def print_parameters(self, printer: Printer) -> None:
        with printer.in_angle_brackets():
            print_dims(printer, self.shape)
            printer.print_string(", ")
            printer.print_attribute(self.element_type)

    def verify(self) -> None:
        if self.element_type not in ELEMENT_TYPES:
            raise VerifyException(
                f"graph.tensor: unsupported element type {self.element_type}"
            )
        for dim in self.shape:
            value = dim.constant_value()
            if value is not None and value < 0:
                raise VerifyException(f"graph.tensor: negative dimension {value}")
