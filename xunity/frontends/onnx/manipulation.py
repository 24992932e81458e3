"""Converters for shape manipulation: Reshape, Flatten, Transpose, Concat, Split,
Slice, Gather, Unsqueeze, Squeeze and Expand.

Target shapes, axes and slice bounds must be known at import time; they may
hold symbolic dims (a `Reshape` to `Concat(Shape(x)[0], 12, 64)` becomes a
reshape to `[n, 12, 64]`).  ONNX's index conventions (negative positions,
`0` and `-1` in a reshape, ends past the dim) are resolved here, since graph
ops take exact, non-negative bounds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from xdsl.ir import SSAValue

from xunity.dialects.graph import manipulation as m
from xunity.dialects.graph.base import tensor_type
from xunity.dialects.graph.creation import FullOp, TrilOp, TriuOp
from xunity.dialects.graph.inference import broadcast_shapes, normalize_axis
from xunity.dialects.graph.types import TensorType
from xunity.frontends.onnx.converter import NodeContext, Output, converter
from xunity.ir.symbolic import SymExpr, product

_LARGE = 2**31 - 1
"""Slice bounds at least this large mean "to the end" (exporters write INT_MAX)."""


def _axes_input(ctx: NodeContext, index: int, since: int) -> list[int] | None:
    """Axes from the attribute before opset `since`, from input `index` after."""
    if ctx.opset < since:
        axes = ctx.attr("axes")
        return None if axes is None else [int(a) for a in axes]
    if not ctx.has_input(index):
        return None
    return ctx.known_ints(index, "axes")


@converter("Reshape")
def convert_reshape(ctx: NodeContext) -> Sequence[Output]:
    x = ctx.input(0)
    source = ctx.input_type(0).shape
    target = ctx.known_dims(1, "the target shape")
    allow_zero = bool(ctx.attr("allowzero", 0))
    dims: list[SymExpr | None] = []
    for index, dim in enumerate(target):
        if dim.provably_equal(0) and not allow_zero:
            if index >= len(source):
                raise ctx.error(f"shape entry {index} is 0 but the input has no dim")
            dims.append(source[index])
        elif dim.provably_equal(-1):
            dims.append(None)
        else:
            dims.append(dim)
    if dims.count(None) > 1:
        raise ctx.error("the target shape has more than one -1")
    if None in dims:
        dims[dims.index(None)] = _inferred_dim(
            ctx, source, [d for d in dims if d is not None]
        )
    shape = [d for d in dims if d is not None]
    if list(source) == shape:
        return [x]
    return [ctx.emit(m.ReshapeOp(x, shape)).result]


def _inferred_dim(
    ctx: NodeContext, source: Sequence[SymExpr], known: Sequence[SymExpr]
) -> SymExpr:
    """The `-1` entry: the source's element count over the other entries'.

    Common dims cancel first, so `[n, 12, 64] -> [n, -1]` gives `768`."""
    rest = list(source)
    divisor: list[SymExpr] = []
    for dim in known:
        if dim in rest:
            rest.remove(dim)
        else:
            divisor.append(dim)
    count = product(divisor).constant_value()
    if count is None or count <= 0:
        raise ctx.error(
            "cannot infer the -1 entry: the other entries do not divide the "
            "input's dims symbolically"
        )
    return product(rest).floordiv(count)


@converter("Flatten")
def convert_flatten(ctx: NodeContext) -> Sequence[Output]:
    x = ctx.input(0)
    shape = ctx.input_type(0).shape
    axis = int(ctx.attr("axis", 1))
    axis = axis + len(shape) if axis < 0 else axis
    target = [product(shape[:axis]), product(shape[axis:])]
    return [ctx.emit(m.ReshapeOp(x, target)).result]


@converter("Transpose")
def convert_transpose(ctx: NodeContext) -> Sequence[Output]:
    perm = ctx.attr("perm")
    axes = None if perm is None else [int(p) for p in perm]
    return [ctx.emit(m.PermuteDimsOp(ctx.input(0), axes)).result]


@converter("Concat")
def convert_concat(ctx: NodeContext) -> Sequence[Output]:
    op = m.ConcatOp(ctx.inputs(), int(ctx.attr("axis")))
    return [ctx.emit(op).result]


@converter("Split")
def convert_split(ctx: NodeContext) -> Sequence[Output]:
    x = ctx.input(0)
    shape = ctx.input_type(0).shape
    axis = normalize_axis(int(ctx.attr("axis", 0)), len(shape))
    if ctx.opset < 13:
        sizes = ctx.attr("split")
    else:
        sizes = ctx.known_ints(1, "split") if ctx.has_input(1) else None
    parts = ctx.num_outputs
    if sizes is None and ctx.attr("num_outputs") is not None:
        sizes = _uneven_sizes(ctx, shape[axis], int(ctx.attr("num_outputs")))
    if sizes is None:
        op = m.SplitOp(x, parts, axis)
    else:
        if len(sizes) != parts:
            raise ctx.error(f"{len(sizes)} split sizes for {parts} outputs")
        op = m.SplitOp(x, [int(i) for i in np.cumsum(sizes)[:-1]], axis)
    return list(ctx.emit(op).outputs)


def _uneven_sizes(ctx: NodeContext, dim: SymExpr, parts: int) -> list[int] | None:
    """Split-18 `num_outputs`: chunks of ceil(dim / parts), the last smaller."""
    size = dim.constant_value()
    if size is None or size % parts == 0:
        return None  # equal sections (checked symbolically by graph.split)
    chunk = -(-size // parts)
    return [chunk] * (parts - 1) + [size - chunk * (parts - 1)]


@converter("Slice")
def convert_slice(ctx: NodeContext) -> Sequence[Output]:
    x = ctx.input(0)
    shape = ctx.input_type(0).shape
    if ctx.opset < 10:
        starts, ends = ctx.ints_attr("starts"), ctx.ints_attr("ends")
        axes = ctx.ints_attr("axes", range(len(starts)))
        steps = [1] * len(starts)
    else:
        starts = ctx.known_ints(1, "starts")
        ends = ctx.known_ints(2, "ends")
        axes = _axes_input(ctx, 3, 10) or list(range(len(starts)))
        steps = ctx.known_ints(4, "steps") if ctx.has_input(4) else [1] * len(starts)
    begin: list[SymExpr] = []
    end: list[SymExpr] = []
    axes = [normalize_axis(a, len(shape)) for a in axes]
    for axis, lo, hi, step in zip(axes, starts, ends, steps, strict=True):
        if step <= 0:
            raise ctx.error(f"step {step} on axis {axis}: only positive steps")
        b = _bound(shape[axis], lo)
        e = _bound(shape[axis], hi)
        b_value, e_value = b.constant_value(), e.constant_value()
        if b_value is not None and e_value is not None and e_value < b_value:
            e = b  # empty slice
        begin.append(b)
        end.append(e)
    return [ctx.emit(m.StridedSliceOp(x, axes, begin, end, steps)).result]


def _bound(dim: SymExpr, index: int) -> SymExpr:
    """An ONNX slice bound as an offset in [0, dim] (clamped when dim is known)."""
    size = dim.constant_value()
    if index >= _LARGE:
        return dim
    if index <= -_LARGE:
        return SymExpr.of(0)
    bound = dim + index if index < 0 else SymExpr.of(index)
    if size is None:
        return bound
    value = bound.constant_value()
    assert value is not None
    return SymExpr.of(min(max(value, 0), size))


@converter("Gather")
def convert_gather(ctx: NodeContext) -> Sequence[Output]:
    x = ctx.input(0)
    axis = int(ctx.attr("axis", 0))
    return [ctx.emit(m.TakeOp(x, ctx.input(1), axis)).result]


@converter("Unsqueeze")
def convert_unsqueeze(ctx: NodeContext) -> Sequence[Output]:
    axes = _axes_input(ctx, 1, 13)
    if axes is None:
        raise ctx.error("needs axes")
    return [ctx.emit(m.ExpandDimsOp(ctx.input(0), axes)).result]


@converter("Squeeze")
def convert_squeeze(ctx: NodeContext) -> Sequence[Output]:
    x = ctx.input(0)
    axes = _axes_input(ctx, 1, 13)
    if axes is None:
        shape = ctx.input_type(0).shape
        axes = [i for i, d in enumerate(shape) if d.provably_equal(1)]
    if not axes:
        return [x]
    return [ctx.emit(m.SqueezeOp(x, axes)).result]


@converter("Expand")
def convert_expand(ctx: NodeContext) -> Sequence[Output]:
    """Expand broadcasts both ways: a 1 in the target keeps the input's dim."""
    x = ctx.input(0)
    source = ctx.input_type(0).shape
    target = broadcast_shapes(source, tuple(ctx.known_dims(1, "the target shape")))
    if target == source:
        return [x]
    return [ctx.emit(m.BroadcastToOp(x, target)).result]


@converter("Trilu")
def convert_trilu(ctx: NodeContext) -> Sequence[Output]:
    k = ctx.known_ints(1, "k")[0] if ctx.has_input(1) else 0
    op_class = TriuOp if ctx.attr("upper", 1) else TrilOp
    return [ctx.emit(op_class(ctx.input(0), k)).result]


@converter("Pad")
def convert_pad(ctx: NodeContext) -> Sequence[Output]:
    """Constant padding as a concat with `graph.full` blocks; negative pads slice."""
    if ctx.attr("mode", "constant") != "constant":
        raise ctx.error(f"mode '{ctx.attr('mode')}' is not supported (only constant)")
    x = ctx.input(0)
    x_type = ctx.input_type(0)
    rank = x_type.rank
    if ctx.opset < 11:
        pads, value = ctx.ints_attr("pads"), float(ctx.attr("value", 0.0))
        axes = list(range(rank))
    else:
        pads = ctx.known_ints(1, "pads")
        fill = ctx.known(2)
        if ctx.has_input(2) and fill is None:
            raise ctx.error("constant_value must be known at import time")
        value = 0.0 if fill is None else fill.item()
        axes = _axes_input(ctx, 3, 18) or list(range(rank))
    axes = [normalize_axis(a, rank) for a in axes]
    for axis, lo, hi in zip(axes, pads[: len(axes)], pads[len(axes) :], strict=True):
        shape = _shape(x)
        if lo < 0 or hi < 0:
            end = shape[axis] - max(-hi, 0)
            x = ctx.emit(m.StridedSliceOp(x, [axis], [max(-lo, 0)], [end])).result
            shape = _shape(x)
        parts = [x]
        if lo > 0:
            parts.insert(0, _full(ctx, value, x_type, shape, axis, lo))
        if hi > 0:
            parts.append(_full(ctx, value, x_type, shape, axis, hi))
        if len(parts) > 1:
            x = ctx.emit(m.ConcatOp(parts, axis)).result
    return [x]


def _shape(value: SSAValue) -> tuple[SymExpr, ...]:
    return tensor_type(value).shape


def _full(
    ctx: NodeContext,
    value: float,
    like: TensorType,
    shape: Sequence[SymExpr],
    axis: int,
    size: int,
) -> SSAValue:
    block = [*shape[:axis], SymExpr.of(size), *shape[axis + 1 :]]
    return ctx.emit(FullOp(value, like.with_shape(block))).result
