"""Base classes shared by every graph op family.

A graph op's result types are a function of its operands and properties.
Each op implements `infer_result_types`; the shared verifier compares the
declared types against it, so the same rule serves the textual IR (checked)
and the Python builders (which leave result types out and get them inferred).
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from typing import TypeVar

from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import IRDLOperation, operand_def, result_def, traits_def
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from xunity.dialects.graph.inference import Shape, ShapeError
from xunity.dialects.graph.types import TensorType

_Inferred = TypeVar("_Inferred")


def tensor_type(value: SSAValue | Attribute) -> TensorType:
    """The graph tensor type of a value; a clear error for anything else."""
    attr = value.type if isinstance(value, SSAValue) else value
    if not isinstance(attr, TensorType):
        raise ShapeError(f"expected a !graph.tensor, got {attr}")
    return attr


def shape_of(value: SSAValue) -> Shape:
    return tensor_type(value).shape


class GraphOp(IRDLOperation, abc.ABC):
    """A pure tensor op whose result types are inferred from its inputs."""

    @abc.abstractmethod
    def infer_result_types(self) -> Sequence[Attribute]:
        """The result types implied by the operands and properties."""

    def verify_(self) -> None:
        try:
            inferred = self.infer_result_types()
        except ShapeError as error:
            raise VerifyException(f"{self.name}: {error}") from None
        declared = [result.type for result in self.results]
        if len(declared) != len(inferred):
            raise VerifyException(
                f"{self.name}: declares {len(declared)} results, expected "
                f"{len(inferred)}"
            )
        for index, (have, want) in enumerate(zip(declared, inferred, strict=True)):
            if have != want:
                raise VerifyException(
                    f"{self.name}: result {index} has type {have}, but the "
                    f"operands imply {want}"
                )


def infer_or_raise(op_name: str, infer: Callable[[], _Inferred]) -> _Inferred:
    """Builder-time inference: a ShapeError becomes a VerifyException naming the op."""
    try:
        return infer()
    except ShapeError as error:
        raise VerifyException(f"{op_name}: {error}") from None


def require_same_element_type(lhs: TensorType, rhs: TensorType) -> Attribute:
    if lhs.element_type != rhs.element_type:
        raise ShapeError(
            f"operand element types {lhs.element_type} and {rhs.element_type} "
            "differ; insert graph.astype"
        )
    return lhs.element_type


class BinaryTensorOp(GraphOp):
    """Base of ops of two tensors whose result type follows from both."""

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

    @classmethod
    @abc.abstractmethod
    def infer_from(cls, lhs: TensorType, rhs: TensorType) -> TensorType:
        """The result type for these operand types."""

    def infer_result_types(self) -> Sequence[Attribute]:
        return [self.infer_from(tensor_type(self.lhs), tensor_type(self.rhs))]
