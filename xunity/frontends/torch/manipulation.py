"""Converters for shape manipulation: view / reshape, permute / transpose, squeeze
/ unsqueeze, flatten / unflatten, expand, cat, split / chunk / unbind, slice
and select.

Target shapes may hold symbolic sizes (`view(x, [b, n * 12, 64])`, with `n`
from `sym_size`); a `-1` entry is taken from the shape torch recorded for the
result.  torch's index conventions (negative positions, slice ends past the
dim or at `sys.maxsize`) are resolved here, since graph ops take exact,
non-negative bounds; an end on a symbolic dim is not clamped (as in the ONNX
importer, it is taken to be in range).
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.ir import SSAValue

from xunity.dialects.graph import manipulation as m
from xunity.dialects.graph.base import tensor_type
from xunity.dialects.graph.inference import normalize_axis
from xunity.frontends.torch.converter import NodeContext, Output, converter
from xunity.ir.symbolic import SymExpr

_LARGE = 2**62
"""Slice ends at least this large mean "to the end" (torch writes sys.maxsize)."""


@converter("aten.view.default", "aten.reshape.default", "aten._unsafe_view.default")
def convert_view(ctx: NodeContext) -> Sequence[Output]:
    x = ctx.tensor("self")
    recorded = ctx.result_type().shape
    shape = [
        recorded[i] if dim.provably_equal(-1) else dim
        for i, dim in enumerate(ctx.dims("size" if _is_view(ctx) else "shape"))
    ]
    return [_reshape(ctx, x, shape)]


def _is_view(ctx: NodeContext) -> bool:
    return str(ctx.node.target) != "aten.reshape.default"


def _reshape(ctx: NodeContext, x: SSAValue, shape: Sequence[SymExpr]) -> SSAValue:
    if tuple(tensor_type(x).shape) == tuple(shape):
        return x
    return ctx.emit(m.ReshapeOp(x, shape)).result


@converter("aten.flatten.using_ints", "aten.unflatten.int")
def convert_flatten(ctx: NodeContext) -> Sequence[Output]:
    """A reshape to the shape torch recorded."""
    return [_reshape(ctx, ctx.tensor("self"), ctx.result_type().shape)]


@converter("aten.permute.default")
def convert_permute(ctx: NodeContext) -> Sequence[Output]:
    return [ctx.emit(m.PermuteDimsOp(ctx.tensor("self"), ctx.ints("dims"))).result]


@converter("aten.transpose.int", "aten.t.default")
def convert_transpose(ctx: NodeContext) -> Sequence[Output]:
    x = ctx.tensor("self")
    rank = tensor_type(x).rank
    if str(ctx.node.target) == "aten.t.default":
        if rank < 2:
            return [x]
        first, second = 0, 1
    else:
        first = normalize_axis(ctx.int_arg("dim0"), rank)
        second = normalize_axis(ctx.int_arg("dim1"), rank)
    if first == second:
        return [x]
    axes = list(range(rank))
    axes[first], axes[second] = second, first
    return [ctx.emit(m.PermuteDimsOp(x, axes)).result]


@converter("aten.unsqueeze.default")
def convert_unsqueeze(ctx: NodeContext) -> Sequence[Output]:
    x = ctx.tensor("self")
    axis = normalize_axis(ctx.int_arg("dim"), tensor_type(x).rank + 1)
    return [ctx.emit(m.ExpandDimsOp(x, [axis])).result]


@converter("aten.squeeze.default", "aten.squeeze.dim", "aten.squeeze.dims")
def convert_squeeze(ctx: NodeContext) -> Sequence[Output]:
    """Squeezes the named dims (all, without `dim`) that are 1; torch skips others."""
    x = ctx.tensor("self")
    shape = tensor_type(x).shape
    if str(ctx.node.target) == "aten.squeeze.default":
        candidates = range(len(shape))
    else:
        candidates = [normalize_axis(a, len(shape)) for a in ctx.ints("dim")]
    axes = sorted({a for a in candidates if shape[a].provably_equal(1)})
    if not axes:
        return [x]
    return [ctx.emit(m.SqueezeOp(x, axes)).result]


@converter("aten.expand.default")
def convert_expand(ctx: NodeContext) -> Sequence[Output]:
    """broadcast_to; `-1` keeps the input's size (sizes align on the right)."""
    x = ctx.tensor("self")
    source = tensor_type(x).shape
    sizes = ctx.dims("size")
    offset = len(sizes) - len(source)
    shape = [
        source[i - offset] if size.provably_equal(-1) else size
        for i, size in enumerate(sizes)
    ]
    if tuple(shape) == tuple(source):
        return [x]
    return [ctx.emit(m.BroadcastToOp(x, shape)).result]


@converter("aten.cat.default", "aten.concat.default")
def convert_cat(ctx: NodeContext) -> Sequence[Output]:
    element_type = ctx.result_element_type()
    tensors = [ctx.cast(t, element_type) for t in ctx.arg("tensors")]
    rank = ctx.result_type().rank
    # torch.cat skips 1-D empty tensors whatever the others' rank (legacy).
    kept = [t for t in tensors if tensor_type(t).rank == rank] or tensors[:1]
    axis = normalize_axis(ctx.int_arg("dim"), rank)
    if len(kept) == 1:
        return [kept[0]]
    return [ctx.emit(m.ConcatOp(kept, axis)).result]


# ------------------------------------------------------------------ split
@converter(
    "aten.split.Tensor",
    "aten.split_with_sizes.default",
    "aten.chunk.default",
    "aten.unbind.int",
)
def convert_split(ctx: NodeContext) -> Sequence[Output]:
    """Pieces of the sizes torch recorded; `unbind` then drops the split dim."""
    x = ctx.tensor("self")
    axis = normalize_axis(ctx.int_arg("dim"), tensor_type(x).rank)
    pieces = [ctx.result_type(i) for i in range(len(ctx.result_val))]
    if str(ctx.node.target) == "aten.unbind.int":
        sizes = [SymExpr.of(1)] * len(pieces)
    else:
        sizes = [piece.shape[axis] for piece in pieces]
    if len(sizes) == 1:
        outputs: list[SSAValue] = [x]
    else:
        outputs = list(ctx.emit(m.SplitOp(x, _split_points(ctx, sizes), axis)).outputs)
    if str(ctx.node.target) == "aten.unbind.int":
        outputs = [ctx.emit(m.SqueezeOp(o, [axis])).result for o in outputs]
    return outputs


def _split_points(ctx: NodeContext, sizes: Sequence[SymExpr]) -> int | list[int]:
    """Constant split indices, or a section count when the sizes are symbolic."""
    constants = [s.constant_value() for s in sizes]
    if all(c is not None for c in constants):
        points: list[int] = []
        total = 0
        for size in constants[:-1]:
            assert size is not None
            total += size
            points.append(total)
        return points
    if all(s.provably_equal(sizes[0]) for s in sizes):
        return len(sizes)
    raise ctx.error(
        f"pieces of sizes [{', '.join(map(str, sizes))}]: split points must be "
        "constant, or the pieces equal"
    )


# ------------------------------------------------------------------ slicing
@converter("aten.slice.Tensor")
def convert_slice(ctx: NodeContext) -> Sequence[Output]:
    x = ctx.tensor("self")
    shape = tensor_type(x).shape
    axis = normalize_axis(ctx.int_arg("dim"), len(shape))
    step = ctx.int_arg("step")
    if step <= 0:
        raise ctx.error(f"step {step}: only positive steps")
    dim = shape[axis]
    begin = _bound(dim, ctx.arg("start"), SymExpr.of(0))
    end = _bound(dim, ctx.arg("end"), dim)
    if begin.provably_equal(0) and end == dim and step == 1:
        return [x]
    op = m.StridedSliceOp(x, [axis], [begin], [end], [step])
    return [ctx.emit(op).result]


def _bound(dim: SymExpr, value: int | SymExpr | None, default: SymExpr) -> SymExpr:
    """A torch slice bound as an index in [0, dim] (clamped when dim is constant)."""
    if value is None:
        return default
    bound = SymExpr.of(value)
    constant = bound.constant_value()
    if constant is None:
        return bound
    if constant >= _LARGE:
        return dim
    if constant < 0:
        bound = dim + constant
    size = dim.constant_value()
    bound_value = bound.constant_value()
    if size is not None and bound_value is not None:
        return SymExpr.of(min(max(bound_value, 0), size))
    return bound


@converter("aten.select.int")
def convert_select(ctx: NodeContext) -> Sequence[Output]:
    """x[..., index, ...]: a slice of one then a squeeze."""
    x = ctx.tensor("self")
    shape = tensor_type(x).shape
    axis = normalize_axis(ctx.int_arg("dim"), len(shape))
    index = SymExpr.of(ctx.arg("index"))
    constant = index.constant_value()
    if constant is not None and constant < 0:
        index = shape[axis] + constant
    sliced = ctx.emit(m.StridedSliceOp(x, [axis], [index], [index + 1])).result
    return [ctx.emit(m.SqueezeOp(sliced, [axis])).result]
