"""Call graph ops: leave the graph level for a tir kernel or a runtime function.

`graph.call_tir` is Relax's `call_tir`: a call of a tir function written in
destination-passing style (a `func.func` on memrefs whose trailing arguments
are the output buffers), seen from the graph with value semantics: the
outputs are fresh tensors.  `graph.call_packed` calls a function registered
with the runtime by name.  The callee decides the result types, so both ops
declare them instead of inferring them.
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import MemRefType, StringAttr, SymbolRefAttr
from xdsl.dialects.func import FuncOp
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    irdl_op_definition,
    prop_def,
    traits_def,
    var_operand_def,
    var_result_def,
)
from xdsl.traits import Pure, SymbolTable
from xdsl.utils.exceptions import VerifyException

from xunity.dialects.graph.types import TensorType


def _symbol_text(ref: SymbolRefAttr) -> str:
    return "::".join(
        f"@{part.data}" for part in (ref.root_reference, *ref.nested_references)
    )


def _has_symbol_table(op: Operation) -> bool:
    anchor: Operation | None = op
    while anchor is not None and not anchor.has_trait(SymbolTable):
        anchor = anchor.parent_op()
    return anchor is not None


@irdl_op_definition
class CallTirOp(IRDLOperation):
    """Destination-passing call of a tir function, with value semantics.

    `%y = graph.call_tir @kernel(%a, %b) : (Ta, Tb) -> Ty` calls
    `@kernel(a, b, y)`, where `y` is a buffer the runtime allocates.
    """

    name = "graph.call_tir"
    # Any type here, checked in verify_ for a diagnostic that names the op.
    args = var_operand_def()
    outputs = var_result_def()
    callee = prop_def(SymbolRefAttr)
    traits = traits_def(Pure())
    assembly_format = (
        "$callee `(` $args `)` attr-dict `:` functional-type($args, $outputs)"
    )

    def __init__(
        self,
        callee: str | SymbolRefAttr,
        args: Sequence[SSAValue],
        result_types: Sequence[Attribute],
    ):
        super().__init__(
            operands=[args],
            result_types=[result_types],
            properties={"callee": SymbolRefAttr.get(callee)},
        )

    def verify_(self) -> None:
        if not self.callee.root_reference.data:
            raise VerifyException(f"{self.name}: callee name must be non-empty")
        if not self.outputs:
            raise VerifyException(f"{self.name}: expects at least one result")
        for kind, values in (("argument", self.args), ("result", self.outputs)):
            for index, value in enumerate(values):
                if not isinstance(value.type, TensorType):
                    raise VerifyException(
                        f"{self.name}: {kind} {index} must be a !graph.tensor, "
                        f"got {value.type}"
                    )
        if not _has_symbol_table(self):
            return  # not in a module yet: nothing to resolve the callee against
        callee = SymbolTable.lookup_symbol(self, self.callee)
        symbol = _symbol_text(self.callee)
        if callee is None:
            raise VerifyException(f"{self.name}: callee {symbol} not found")
        if not isinstance(callee, FuncOp):
            return
        # Kernels take their shape variables as leading index arguments; the
        # caller binds those, so only the buffers pair with tensors.
        params = callee.function_type.inputs.data
        buffers = [p for p in params if isinstance(p, MemRefType)]
        if not buffers:
            return
        passed = len(self.args) + len(self.outputs)
        if len(buffers) != passed:
            raise VerifyException(
                f"{self.name}: callee {symbol} takes {len(buffers)} buffers, but the "
                f"call passes {len(self.args)} inputs + {len(self.outputs)} outputs"
            )


@irdl_op_definition
class CallPackedOp(IRDLOperation):
    """Call of a runtime function by its registered name.

    `%y = graph.call_packed "xunity.kv_append"(%a, %b) : (Ta, Tb) -> Ty`;
    arguments and results may be of any type (runtime objects such as a KV
    cache are not tensors).
    """

    name = "graph.call_packed"
    args = var_operand_def()
    outputs = var_result_def()
    callee = prop_def(StringAttr)
    assembly_format = (
        "$callee `(` $args `)` attr-dict `:` functional-type($args, $outputs)"
    )

    def __init__(
        self,
        callee: str,
        args: Sequence[SSAValue],
        result_types: Sequence[Attribute],
    ):
        super().__init__(
            operands=[args],
            result_types=[result_types],
            properties={"callee": StringAttr(callee)},
        )

    def verify_(self) -> None:
        if not self.callee.data:
            raise VerifyException(f"{self.name}: callee name must be non-empty")


CALL_OPS = (CallTirOp, CallPackedOp)
