"""Kernels of the creation graph ops that follow a rule: full, arange, triu, tril.

`graph.constant` and `graph.weight` stay at the graph level (their data is
bound with the graph function), so they have no kernel.  full and arange
have no input buffer: the kernel only writes its output.
"""

from __future__ import annotations

from xdsl.dialects import arith
from xdsl.dialects.builtin import FloatAttr, IntegerType, i64
from xdsl.ir import Attribute, Operation, SSAValue

from xunity.dialects import tir
from xunity.dialects.graph import creation as cr
from xunity.legalize.kernel_builder import (
    Emitter,
    KernelBuilder,
    LegalizeRule,
    compute_type,
)


def full_rule(op: Operation, kb: KernelBuilder) -> None:
    """out[i...] = value; f16/bf16 fills are rounded from the f32 constant."""
    assert isinstance(op, cr.FullOp)
    (out,) = kb.outputs
    fill = op.value
    value = fill.value.data
    value_type = compute_type(out.element_type)
    if isinstance(fill, FloatAttr):
        kb.compute(out, lambda e, ivs: e.constant(float(value), value_type), "full")
    else:
        kb.compute(out, lambda e, ivs: e.constant(int(value), value_type), "full")


def _wrap(value: int, value_type: Attribute) -> int:
    """`value` modulo the width of an integer type (numpy's wrap-around on overflow)."""
    if not isinstance(value_type, IntegerType):
        return value
    width = value_type.width.data
    return (value + 2 ** (width - 1)) % 2**width - 2 ** (width - 1)


def arange_rule(op: Operation, kb: KernelBuilder) -> None:
    """out[i] = start + i * step, computed in the result dtype (i64, i32 or f32)."""
    assert isinstance(op, cr.ArangeOp)
    (out,) = kb.outputs
    value_type = out.element_type
    start = _wrap(op.start.value.data, value_type)
    step = _wrap(op.step.value.data, value_type)

    def value_at(e: Emitter, ivs: list[SSAValue]) -> SSAValue:
        index = e.cast(e.emit(arith.IndexCastOp(ivs[0], i64)), value_type)
        scaled = e.mul(index, e.constant(step, value_type))
        return e.add(scaled, e.constant(start, value_type))

    kb.compute(out, value_at, name="arange")


def triangular_rule(keep: str) -> LegalizeRule:
    """Keep x[..., i, j] where `j - i <keep> k` ("ge": triu, "le": tril), else 0."""

    def rule(op: Operation, kb: KernelBuilder) -> None:
        assert isinstance(op, cr.TriangularOp)
        (x,), (out,) = kb.inputs, kb.outputs
        k = op.k.value.data

        def value_at(e: Emitter, ivs: list[SSAValue]) -> SSAValue:
            row, column = ivs[-2], ivs[-1]
            diagonal = e.add(row, kb.dim(k)) if k else row
            inside = e.compare(keep, column, diagonal)
            # A selection, not arithmetic: f16/bf16 elements stay as stored.
            value = e.emit(tir.LoadOp(x.value, ivs))
            zero = e.cast(e.constant(0, compute_type(x.element_type)), x.element_type)
            return e.select(inside, value, zero)

        kb.compute(out, value_at, name=op.name[6:])

    return rule


RULES: dict[type[Operation], LegalizeRule] = {
    cr.FullOp: full_rule,
    cr.ArangeOp: arange_rule,
    cr.TriuOp: triangular_rule("ge"),
    cr.TrilOp: triangular_rule("le"),
}
