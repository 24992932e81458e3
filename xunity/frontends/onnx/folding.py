"""Import-time evaluation of nodes whose inputs are all known.

Numeric inputs go through onnx's reference evaluator, so any deterministic
op folds, even one xunity has no converter for (a `Range` over constants).
Inputs holding symbolic dims (`Shape` of a tensor with a dim `n`) fold only
through the small set of index-arithmetic ops exporters use to compute target
shapes; their results stay `SymExpr` arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import onnx
from onnx.reference import ReferenceEvaluator

from xunity.frontends.onnx.converter import Known, NodeContext
from xunity.ir.symbolic import SymExpr

NOT_FOLDABLE = frozenset(
    {
        "RandomNormal", "RandomNormalLike", "RandomUniform", "RandomUniformLike",
        "Multinomial", "Bernoulli", "If", "Loop", "Scan",
    }
)  # fmt: skip
"""Ops never evaluated at import time: random, or with subgraphs that may read
run-time values of the enclosing graph."""


def can_fold(node: onnx.NodeProto) -> bool:
    return node.domain in ("", "ai.onnx") and node.op_type not in NOT_FOLDABLE


def normalize(value: Known) -> Known:
    """Object arrays whose dims are all constants become int64 arrays."""
    value = np.asarray(value)  # numpy indexing may return a bare element
    if value.dtype != object:
        return value
    exprs = [SymExpr.of(v) for v in value.ravel()]
    constants = [e.constant_value() for e in exprs]
    if all(c is not None for c in constants):
        return np.array(constants, dtype=np.int64).reshape(value.shape)
    result = np.empty(len(exprs), dtype=object)
    result[:] = exprs
    return result.reshape(value.shape)


def is_symbolic(value: Known) -> bool:
    return value.dtype == object


def fold_numeric(ctx: NodeContext, values: Sequence[Known | None]) -> list[Known]:
    names = list(ctx.node.input)
    feeds = {n: v for n, v in zip(names, values, strict=True) if n and v is not None}
    evaluator = ReferenceEvaluator(ctx.node, opsets={"": ctx.opset})
    outputs = evaluator.run(None, feeds)
    return [np.asarray(v) for v in outputs]


# ------------------------------------------------------------------ symbolic
SymbolicFolder = Callable[[NodeContext, list[Known | None]], Known]


def _objects(value: Known) -> Known:
    result = np.empty(value.shape, dtype=object)
    for index, v in np.ndenumerate(value):
        result[index] = SymExpr.of(v if isinstance(v, SymExpr) else int(v))
    return result


def _ints(ctx: NodeContext, value: Known | None, what: str) -> list[int]:
    if value is None or is_symbolic(value):
        raise ctx.error(f"{what} must be constant integers")
    return [int(v) for v in value.ravel()]


def _axes(ctx: NodeContext, values: list[Known | None], index: int) -> list[int] | None:
    if ctx.opset < 13:
        axes = ctx.attr("axes")
        return None if axes is None else list(axes)
    if len(values) <= index or values[index] is None:
        return None
    return _ints(ctx, values[index], "axes")


def _identity(ctx: NodeContext, values: list[Known | None]) -> Known:
    assert values[0] is not None
    return values[0]


def _cast(ctx: NodeContext, values: list[Known | None]) -> Known:
    to = ctx.attr("to")
    if to not in (onnx.TensorProto.INT64, onnx.TensorProto.INT32):
        raise ctx.error("symbolic dims can only be cast to int64 or int32")
    assert values[0] is not None
    return values[0]


def _gather(ctx: NodeContext, values: list[Known | None]) -> Known:
    data, indices = values
    assert data is not None and indices is not None
    axis = int(ctx.attr("axis", 0))
    dim = data.shape[axis]
    wrapped = np.asarray(
        [i + dim if i < 0 else i for i in _ints(ctx, indices, "indices")]
    )
    return np.take(data, wrapped.reshape(indices.shape), axis=axis)


def _concat(ctx: NodeContext, values: list[Known | None]) -> Known:
    parts = [_objects(v) for v in values if v is not None]
    return np.concatenate(parts, axis=int(ctx.attr("axis")))


def _unsqueeze(ctx: NodeContext, values: list[Known | None]) -> Known:
    data = values[0]
    assert data is not None
    axes = _axes(ctx, values, 1)
    if axes is None:
        raise ctx.error("needs axes")
    rank = data.ndim + len(axes)
    for axis in sorted(a % rank for a in axes):
        data = np.expand_dims(data, axis)
    return data


def _squeeze(ctx: NodeContext, values: list[Known | None]) -> Known:
    data = values[0]
    assert data is not None
    axes = _axes(ctx, values, 1)
    if axes is None:
        return np.squeeze(data)
    return np.squeeze(data, axis=tuple(a % data.ndim for a in axes))


def _slice(ctx: NodeContext, values: list[Known | None]) -> Known:
    data = values[0]
    assert data is not None
    if ctx.opset < 10:
        starts, ends = ctx.ints_attr("starts"), ctx.ints_attr("ends")
        axes = ctx.ints_attr("axes", range(len(starts)))
        steps = [1] * len(starts)
    else:
        starts = _ints(ctx, values[1], "starts")
        ends = _ints(ctx, values[2], "ends")
        axes = list(range(len(starts)))
        if len(values) > 3 and values[3] is not None:
            axes = _ints(ctx, values[3], "axes")
        steps = [1] * len(starts)
        if len(values) > 4 and values[4] is not None:
            steps = _ints(ctx, values[4], "steps")
    index = [slice(None)] * data.ndim
    for axis, start, end, step in zip(axes, starts, ends, steps, strict=True):
        index[axis % data.ndim] = slice(start, end, step)
    return data[tuple(index)]


def _reshape(ctx: NodeContext, values: list[Known | None]) -> Known:
    data = values[0]
    assert data is not None
    shape = _ints(ctx, values[1], "shape")
    if not ctx.attr("allowzero", 0):
        shape = [data.shape[i] if s == 0 else s for i, s in enumerate(shape)]
    return data.reshape(shape)


def _arithmetic(ctx: NodeContext, values: list[Known | None]) -> Known:
    lhs, rhs = (_objects(v) for v in values if v is not None)
    if ctx.node.op_type == "Add":
        return lhs + rhs
    if ctx.node.op_type == "Sub":
        return lhs - rhs
    if ctx.node.op_type == "Mul":
        return lhs * rhs

    def divide(a: SymExpr, b: SymExpr) -> SymExpr:
        divisor = b.constant_value()
        if divisor is None or divisor <= 0:
            raise ctx.error(f"cannot divide the symbolic dim {a} by {b}")
        return a.floordiv(divisor)

    return np.vectorize(divide, otypes=[object])(lhs, rhs)


def _equal(ctx: NodeContext, values: list[Known | None]) -> Known:
    lhs, rhs = (_objects(v) for v in values if v is not None)

    def equal(a: SymExpr, b: SymExpr) -> bool:
        if a.provably_equal(b):
            return True
        if a.provably_different(b) or (a.is_constant and b.is_constant):
            return False
        raise ctx.error(f"cannot decide at import time whether {a} == {b}")

    return np.vectorize(equal, otypes=[np.bool_])(lhs, rhs)


def _where(ctx: NodeContext, values: list[Known | None]) -> Known:
    condition, a, b = values
    assert condition is not None and a is not None and b is not None
    if is_symbolic(condition):
        raise ctx.error("the condition must be constant")
    return np.where(condition, _objects(a), _objects(b))


SYMBOLIC_FOLDERS: dict[str, SymbolicFolder] = {
    "Identity": _identity,
    "Cast": _cast,
    "Gather": _gather,
    "Concat": _concat,
    "Unsqueeze": _unsqueeze,
    "Squeeze": _squeeze,
    "Slice": _slice,
    "Reshape": _reshape,
    "Add": _arithmetic,
    "Sub": _arithmetic,
    "Mul": _arithmetic,
    "Div": _arithmetic,
    "Equal": _equal,
    "Where": _where,
}
"""Ops that fold with `SymExpr` elements (shape arithmetic of exported models)."""


def fold(ctx: NodeContext, values: list[Known | None]) -> list[Known] | None:
    """The node's outputs computed at import time; None if it cannot fold."""
    if not any(v is not None and is_symbolic(v) for v in values):
        return [normalize(v) for v in fold_numeric(ctx, values)]
    folder = SYMBOLIC_FOLDERS.get(ctx.node.op_type)
    if folder is None:
        return None
    return [normalize(folder(ctx, values))]
