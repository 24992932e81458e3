"""Attention graph ops: scaled-dot-product `attention` and `rotary` embedding.

`graph.attention` follows Relax's `R.nn.attention` layout (`[batch, seq,
heads, head_dim]`, not PyTorch's `[batch, heads, seq, head_dim]`) and adds
grouped-query attention: key/value may have fewer heads than the query, each
kv head serving `heads / kv_heads` query heads.  The mask is one optional
operand (i1 = keep, or an additive bias in the query's element type) instead
of Relax's separate `bias`.  `causal` is aligned to the bottom right, as KV-cache
decoding needs: query `i` sees keys `j <= i + seq_kv - seq_q`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from xdsl.dialects.builtin import Float64Type, FloatAttr, UnitAttr
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    VarConstraint,
    base,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    opt_prop_def,
    result_def,
    traits_def,
)
from xdsl.traits import Pure

from xunity.dialects.graph.base import GraphOp, infer_or_raise, tensor_type
from xunity.dialects.graph.inference import Shape, ShapeError, require_equal_dims
from xunity.dialects.graph.types import BOOL_TYPE, TensorType, is_float
from xunity.ir.symbolic import SymExpr


def _require_rank4(name: str, value: TensorType, layout: str) -> None:
    if value.rank != 4:
        raise ShapeError(f"{name} must have rank 4 {layout}, got rank {value.rank}")


def _require_broadcastable(
    name: str, shape: Shape, target: Shape, target_names: Sequence[str]
) -> None:
    """numpy broadcasting of `shape` to `target`, with errors naming the target dims."""
    if len(shape) > len(target):
        raise ShapeError(
            f"{name} has rank {len(shape)}, more than the {len(target)} of "
            f"[{', '.join(target_names)}]"
        )
    offset = len(target) - len(shape)
    for index, dim in enumerate(shape):
        want = target[offset + index]
        if dim.provably_equal(1) or dim == want:
            continue
        raise ShapeError(
            f"{name} dim {index} ({dim}) must be 1 or "
            f"{target_names[offset + index]} ({want})"
        )


def _require_grouped_heads(heads: SymExpr, kv_heads: SymExpr) -> None:
    """heads must be a provable multiple of kv_heads (grouped-query attention)."""
    if heads == kv_heads:
        return
    kv = kv_heads.constant_value()
    if kv is not None and kv > 0 and heads.mod(kv).provably_equal(0):
        return
    if kv is None and _constant_ratio(heads, kv_heads) is not None:
        return
    if heads.is_constant and kv is not None:
        raise ShapeError(f"heads {heads} is not a multiple of kv_heads {kv_heads}")
    raise ShapeError(f"cannot prove heads {heads} is a multiple of kv_heads {kv_heads}")


def _constant_ratio(numerator: SymExpr, denominator: SymExpr) -> int | None:
    """g > 0 with numerator == g * denominator, if the polynomials prove one."""
    monomial, coeff = denominator.terms[-1]
    numerator_coeff = dict(numerator.terms).get(monomial)
    if numerator_coeff is None or numerator_coeff % coeff != 0:
        return None
    ratio = numerator_coeff // coeff
    return ratio if ratio > 0 and numerator == denominator * ratio else None


@irdl_op_definition
class AttentionOp(GraphOp):
    """softmax(q k^T * scale + mask) v per head; scale defaults to 1/sqrt(head_dim).

    `%o = graph.attention %q, %k, %v causal : !graph.tensor<[b, n, 32, 128], f16>,
        !graph.tensor<[b, m, 8, 128], f16>, !graph.tensor<[b, m, 8, 128], f16>
        -> !graph.tensor<[b, n, 32, 128], f16>`
    """

    name = "graph.attention"
    query = operand_def(TensorType)
    key = operand_def(TensorType)
    value = operand_def(TensorType)
    mask = opt_operand_def(TensorType)
    result = result_def(TensorType)
    causal = opt_prop_def(UnitAttr)
    scale = opt_prop_def(FloatAttr[Float64Type])
    traits = traits_def(Pure())
    assembly_format = (
        "$query `,` $key `,` $value (`mask` $mask^)? (`causal` $causal^)? "
        "(`scale` `=` $scale^)? attr-dict `:` type($query) `,` type($key) `,` "
        "type($value) (`,` type($mask)^)? `->` type($result)"
    )

    def __init__(
        self,
        query: SSAValue,
        key: SSAValue,
        value: SSAValue,
        mask: SSAValue | None = None,
        causal: bool = False,
        scale: float | None = None,
    ):
        result_type = infer_or_raise(
            self.name,
            lambda: self.infer_from(
                tensor_type(query),
                tensor_type(key),
                tensor_type(value),
                None if mask is None else tensor_type(mask),
            ),
        )
        properties: dict[str, Attribute] = {}
        if causal:
            properties["causal"] = UnitAttr()
        if scale is not None:
            properties["scale"] = FloatAttr(scale, Float64Type())
        super().__init__(
            operands=[query, key, value, [] if mask is None else [mask]],
            result_types=[result_type],
            properties=properties,
        )

    @staticmethod
    def infer_from(
        query: TensorType,
        key: TensorType,
        value: TensorType,
        mask: TensorType | None,
    ) -> TensorType:
        _require_rank4("query", query, "[batch, seq_q, heads, head_dim]")
        _require_rank4("key", key, "[batch, seq_kv, kv_heads, head_dim]")
        _require_rank4("value", value, "[batch, seq_kv, kv_heads, head_dim_v]")
        element = query.element_type
        if not is_float(element):
            raise ShapeError(f"expects floating-point tensors, got {element}")
        if key.element_type != element or value.element_type != element:
            raise ShapeError(
                f"query, key and value element types {element}, "
                f"{key.element_type} and {value.element_type} must match"
            )
        batch, seq_q, heads, head_dim = query.shape
        _, seq_kv, kv_heads, _ = key.shape
        require_equal_dims(key.shape[0], batch, "batch (key vs query)")
        require_equal_dims(value.shape[0], batch, "batch (value vs query)")
        require_equal_dims(key.shape[3], head_dim, "head_dim (key vs query)")
        require_equal_dims(value.shape[1], seq_kv, "seq_kv (value vs key)")
        require_equal_dims(value.shape[2], kv_heads, "kv_heads (value vs key)")
        _require_grouped_heads(heads, kv_heads)
        if mask is not None:
            if mask.element_type not in (BOOL_TYPE, element):
                raise ShapeError(
                    f"mask must hold i1 or the query element type {element}, "
                    f"got {mask.element_type}"
                )
            _require_broadcastable(
                "mask",
                mask.shape,
                (batch, heads, seq_q, seq_kv),
                ("batch", "heads", "seq_q", "seq_kv"),
            )
        return TensorType((batch, seq_q, heads, value.shape[3]), element)

    def infer_result_types(self) -> Sequence[Attribute]:
        return [
            self.infer_from(
                tensor_type(self.query),
                tensor_type(self.key),
                tensor_type(self.value),
                None if self.mask is None else tensor_type(self.mask),
            )
        ]


@irdl_op_definition
class RotaryOp(GraphOp):
    """Rotary position embedding, rotate-half style (Llama, GPT-NeoX).

    `x * cos + rotate_half(x) * sin`, where `rotate_half(x)` is
    `concat(-x[..., d/2:], x[..., :d/2])`.  Tables of rank 2 are indexed
    `[seq, head_dim]`; tables of rank 4 broadcast against x.

    `%y = graph.rotary %x, %cos, %sin : !graph.tensor<[b, n, 32, 128], f32>,
        !graph.tensor<[n, 128], f32>, !graph.tensor<[n, 128], f32>`
    """

    name = "graph.rotary"
    T: ClassVar = VarConstraint("T", base(TensorType))
    input = operand_def(T)
    cos = operand_def(TensorType)
    sin = operand_def(TensorType)
    result = result_def(T)
    traits = traits_def(Pure())
    assembly_format = (
        "$input `,` $cos `,` $sin attr-dict `:` type($input) `,` type($cos) "
        "`,` type($sin)"
    )

    def __init__(self, input: SSAValue, cos: SSAValue, sin: SSAValue):
        infer_or_raise(
            self.name,
            lambda: self.infer_from(
                tensor_type(input), tensor_type(cos), tensor_type(sin)
            ),
        )
        super().__init__(operands=[input, cos, sin], result_types=[input.type])

    @staticmethod
    def infer_from(input: TensorType, cos: TensorType, sin: TensorType) -> TensorType:
        _require_rank4("input", input, "[batch, seq, heads, head_dim]")
        element = input.element_type
        if not is_float(element):
            raise ShapeError(f"expects a floating-point tensor, got {element}")
        head_dim = input.shape[3]
        if not head_dim.mod(2).provably_equal(0):
            verb = "is not" if head_dim.is_constant else "cannot be proven"
            raise ShapeError(f"head_dim {head_dim} {verb} even")
        for name, table in (("cos", cos), ("sin", sin)):
            if table.element_type != element:
                raise ShapeError(
                    f"{name} element type {table.element_type} differs from the "
                    f"input's {element}"
                )
            if table.rank == 2:
                target = (input.shape[1], head_dim)
                _require_broadcastable(name, table.shape, target, ("seq", "head_dim"))
            elif table.rank == 4:
                names = ("batch", "seq", "heads", "head_dim")
                _require_broadcastable(name, table.shape, input.shape, names)
            else:
                raise ShapeError(
                    f"{name} must have rank 2 [seq, head_dim] or 4, got rank "
                    f"{table.rank}"
                )
        return input

    def infer_result_types(self) -> Sequence[Attribute]:
        return [
            self.infer_from(
                tensor_type(self.input), tensor_type(self.cos), tensor_type(self.sin)
            )
        ]


ATTENTION_OPS = (AttentionOp, RotaryOp)
