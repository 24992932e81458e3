"""Symbolic shape rules shared by the graph ops' verifiers and builders.

Each rule takes operand shapes (tuples of `SymExpr`) and returns the result
shape, or raises `ShapeError` naming the rule that failed.  The policy is
conservative: two dims that must agree have to be *provably* equal (the same
canonical expression).  A pair that is provably different is reported as
such; a pair that merely cannot be proven equal (`n` vs `m`) is reported as
unprovable, so that a shape mismatch never slips through to run time.
"""

from __future__ import annotations

from collections.abc import Sequence

from xunity.ir.symbolic import SymExpr, product

Shape = tuple[SymExpr, ...]


class ShapeError(Exception):
    """A shape rule that does not hold; the message names the rule."""


def require_equal_dims(a: SymExpr, b: SymExpr, what: str) -> SymExpr:
    if a == b:
        return a
    if a.provably_different(b) or (a.is_constant and b.is_constant):
        raise ShapeError(f"{what}: {a} and {b} differ")
    raise ShapeError(f"{what}: cannot prove {a} == {b}")


def normalize_axis(axis: int, rank: int, what: str = "axis") -> int:
    if not -rank <= axis < rank:
        raise ShapeError(f"{what} {axis} is out of range for rank {rank}")
    return axis % rank


def normalize_axes(axes: Sequence[int], rank: int, what: str = "axes") -> list[int]:
    normalized = [normalize_axis(a, rank, "axis") for a in axes]
    if len(set(normalized)) != len(normalized):
        raise ShapeError(f"{what} {list(axes)} contain a repeated axis")
    return normalized


def broadcast_shapes(lhs: Shape, rhs: Shape) -> Shape:
    """numpy broadcasting: align right; a dim of 1 stretches, others must agree."""
    rank = max(len(lhs), len(rhs))
    lhs = (SymExpr.of(1),) * (rank - len(lhs)) + lhs
    rhs = (SymExpr.of(1),) * (rank - len(rhs)) + rhs
    result: list[SymExpr] = []
    for axis, (a, b) in enumerate(zip(lhs, rhs, strict=True)):
        if a.provably_equal(1):
            result.append(b)
        elif b.provably_equal(1):
            result.append(a)
        else:
            result.append(
                require_equal_dims(a, b, f"broadcasting dim {axis} of {rank}")
            )
    return tuple(result)


def matmul_shape(lhs: Shape, rhs: Shape) -> Shape:
    """numpy matmul: [..., n, k] x [..., k, m] -> [..., n, m]; 1-D operands promote."""
    if not lhs or not rhs:
        raise ShapeError("matmul operands must have rank >= 1")
    a = (SymExpr.of(1), *lhs) if len(lhs) == 1 else lhs
    b = (*rhs, SymExpr.of(1)) if len(rhs) == 1 else rhs
    require_equal_dims(a[-1], b[-2], "matmul contraction dim (lhs[-1] vs rhs[-2])")
    batch = broadcast_shapes(a[:-2], b[:-2])
    result = [*batch]
    if len(lhs) > 1:
        result.append(a[-2])
    if len(rhs) > 1:
        result.append(b[-1])
    return tuple(result)


def reduce_shape(shape: Shape, axes: Sequence[int] | None, keepdims: bool) -> Shape:
    """Drop (or keep as 1) the reduced axes; `None` reduces every axis."""
    rank = len(shape)
    reduced = set(range(rank)) if axes is None else set(normalize_axes(axes, rank))
    result: list[SymExpr] = []
    for axis, dim in enumerate(shape):
        if axis not in reduced:
            result.append(dim)
        elif keepdims:
            result.append(SymExpr.of(1))
    return tuple(result)


def require_same_element_count(source: Shape, target: Shape) -> None:
    a, b = product(source), product(target)
    if a != b:
        verb = "differ" if a.provably_different(b) else "are not provably equal"
        raise ShapeError(f"reshape element counts {a} and {b} {verb}")


def permuted_shape(shape: Shape, axes: Sequence[int]) -> Shape:
    if sorted(axes) != list(range(len(shape))):
        raise ShapeError(
            f"axes {list(axes)} are not a permutation of rank {len(shape)}"
        )
    return tuple(shape[a] for a in axes)


def concat_shape(shapes: Sequence[Shape], axis: int) -> Shape:
    if not shapes:
        raise ShapeError("concat needs at least one input")
    rank = len(shapes[0])
    if any(len(s) != rank for s in shapes):
        raise ShapeError("concat inputs must all have the same rank")
    axis = normalize_axis(axis, rank)
    result = list(shapes[0])
    for index, shape in enumerate(shapes[1:], start=1):
        for d in range(rank):
            if d == axis:
                result[d] = result[d] + shape[d]
            else:
                require_equal_dims(result[d], shape[d], f"concat input {index} dim {d}")
    return tuple(result)


def expand_dims_shape(shape: Shape, axes: Sequence[int]) -> Shape:
    rank = len(shape) + len(axes)
    inserted = set(normalize_axes(axes, rank))
    rest = iter(shape)
    return tuple(SymExpr.of(1) if a in inserted else next(rest) for a in range(rank))


def squeeze_shape(shape: Shape, axes: Sequence[int]) -> Shape:
    removed = set(normalize_axes(axes, len(shape)))
    for axis in removed:
        if not shape[axis].provably_equal(1):
            raise ShapeError(f"squeeze axis {axis} has size {shape[axis]}, not 1")
    return tuple(d for a, d in enumerate(shape) if a not in removed)


def broadcast_to_shape(shape: Shape, target: Shape) -> Shape:
    if len(target) < len(shape):
        raise ShapeError(f"cannot broadcast rank {len(shape)} to rank {len(target)}")
    if broadcast_shapes(shape, target) != target:
        raise ShapeError(f"input does not broadcast to [{', '.join(map(str, target))}]")
    return target


def sliding_window_dim(
    size: SymExpr, kernel: int, stride: int, pad_lo: int, pad_hi: int, dilation: int
) -> SymExpr:
    """Output length of a convolution or pooling window along one axis."""
    span = dilation * (kernel - 1) + 1
    return (size + pad_lo + pad_hi - span).floordiv(stride) + 1


# ------------------------------------------------------------------ manipulation
def provably_nonnegative(expr: SymExpr) -> bool:
    """True when every coefficient is >= 0 and every atom is >= 0.

    Shape variables bind tensor dims, so they are non-negative; a floordiv or
    ceildiv of a non-negative numerator is too, and `mod` always is.
    """
    from xunity.ir.symbolic import DivAtom  # local: this section is appended-only

    for mono, coeff in expr.terms:
        if coeff < 0:
            return False
        for atom in mono:
            if (
                isinstance(atom, DivAtom)
                and atom.kind != "mod"
                and not provably_nonnegative(atom.numerator)
            ):
                return False
    return True


def provably_less(a: SymExpr, b: SymExpr) -> bool:
    """True when a < b for every non-negative binding of the shape variables."""
    return provably_nonnegative(b - a - 1)


def split_sections_shapes(shape: Shape, axis: int, sections: int) -> list[Shape]:
    """numpy `array_split` into equal parts; the dim must provably divide."""
    axis = normalize_axis(axis, len(shape))
    if sections <= 0:
        raise ShapeError(f"split sections must be positive, got {sections}")
    dim = shape[axis]
    part = dim.floordiv(sections)
    if part * sections != dim:
        verb = "is not" if dim.is_constant else "is not provably"
        raise ShapeError(
            f"split axis {axis} of size {dim} {verb} divisible into {sections} sections"
        )
    piece = (*shape[:axis], part, *shape[axis + 1 :])
    return [piece] * sections


def split_indices_shapes(
    shape: Shape, axis: int, indices: Sequence[int]
) -> list[Shape]:
    """numpy `split` at the given points: [0, i), [i, j), ..., [k, dim)."""
    axis = normalize_axis(axis, len(shape))
    dim = shape[axis]
    if any(i < 0 for i in indices):
        raise ShapeError(f"split indices {list(indices)} must be non-negative")
    if any(indices[k] > indices[k + 1] for k in range(len(indices) - 1)):
        raise ShapeError(f"split indices {list(indices)} must be non-decreasing")
    if indices and provably_less(dim, SymExpr.of(indices[-1])):
        raise ShapeError(f"split index {indices[-1]} exceeds axis {axis} of size {dim}")
    bounds = [SymExpr.of(0), *(SymExpr.of(i) for i in indices), dim]
    return [
        (*shape[:axis], bounds[k + 1] - bounds[k], *shape[axis + 1 :])
        for k in range(len(bounds) - 1)
    ]


def strided_slice_shape(
    shape: Shape,
    axes: Sequence[int],
    begin: Sequence[SymExpr],
    end: Sequence[SymExpr],
    strides: Sequence[int],
) -> Shape:
    """Slice `[begin, end)` by `stride` on each axis: (end - begin) ceildiv stride.

    Bounds count from the start (no numpy-style negative indices) and must not
    provably leave `[0, dim]`.
    """
    if not len(axes) == len(begin) == len(end) == len(strides):
        raise ShapeError(
            f"slice needs one begin, end and stride per axis; got {len(axes)} axes, "
            f"{len(begin)} begin, {len(end)} end, {len(strides)} strides"
        )
    result = list(shape)
    zero = SymExpr.of(0)
    for axis, lo, hi, stride in zip(
        normalize_axes(axes, len(shape)), begin, end, strides, strict=True
    ):
        dim = shape[axis]
        if stride <= 0:
            raise ShapeError(f"slice stride {stride} on axis {axis} must be positive")
        if provably_less(lo, zero):
            raise ShapeError(f"slice begin {lo} on axis {axis} is negative")
        if provably_less(dim, hi):
            raise ShapeError(f"slice end {hi} on axis {axis} exceeds the dim {dim}")
        if provably_less(hi, lo):
            raise ShapeError(f"slice begin {lo} on axis {axis} exceeds its end {hi}")
        result[axis] = (hi - lo).ceildiv(stride)
    return tuple(result)


def take_shape(shape: Shape, indices: Shape, axis: int) -> Shape:
    """Gather along `axis`: shape[:axis] + indices + shape[axis + 1:]."""
    axis = normalize_axis(axis, len(shape))
    return (*shape[:axis], *indices, *shape[axis + 1 :])


def reshape_shape(source: Shape, target: Shape) -> Shape:
    """The target shape, once the element counts are provably equal.

    Dims common to both shapes cancel first, so `[n, 12] -> [n, 13]` is
    reported as `12 and 13 differ` rather than as merely unprovable.
    """
    rest = list(target)
    kept: list[SymExpr] = []
    for dim in source:
        if dim in rest:
            rest.remove(dim)
        else:
            kept.append(dim)
    require_same_element_count(tuple(kept), tuple(rest))
    return target


# ------------------------------------------------------------------ creation, conv
def arange_length(start: int, end: int, step: int) -> int:
    """numpy arange: ceildiv(end - start, step) elements, 0 for an empty range."""
    if step == 0:
        raise ShapeError("arange step must be non-zero")
    return max(0, -((start - end) // step))


def _require_window_params(
    kernel: Sequence[int],
    strides: Sequence[int],
    padding: Sequence[int],
    dilation: Sequence[int],
) -> None:
    for what, values, count in (
        ("kernel", kernel, 2),
        ("strides", strides, 2),
        ("dilation", dilation, 2),
    ):
        if len(values) != count:
            raise ShapeError(f"{what} {list(values)} must have {count} entries")
        if any(v <= 0 for v in values):
            raise ShapeError(f"{what} {list(values)} must be positive")
    if len(padding) != 4:
        raise ShapeError(
            f"padding {list(padding)} must have 4 entries [top, left, bottom, right]"
        )
    if any(p < 0 for p in padding):
        raise ShapeError(f"padding {list(padding)} must be non-negative")


def window_2d_shape(
    spatial: Shape,
    kernel: Sequence[int],
    strides: Sequence[int],
    padding: Sequence[int],
    dilation: Sequence[int],
) -> Shape:
    """Output [H, W] of a 2-D window; padding is [top, left, bottom, right]."""
    _require_window_params(kernel, strides, padding, dilation)
    result: list[SymExpr] = []
    for axis in range(2):
        size, lo, hi = spatial[axis], padding[axis], padding[axis + 2]
        dim = sliding_window_dim(
            size, kernel[axis], strides[axis], lo, hi, dilation[axis]
        )
        value = dim.constant_value()
        if value is not None and value < 1:
            span = dilation[axis] * (kernel[axis] - 1) + 1
            raise ShapeError(
                f"window of extent {span} does not fit spatial dim {axis} "
                f"({size} with padding {lo} + {hi})"
            )
        result.append(dim)
    return tuple(result)


def conv2d_shape(
    input: Shape,
    weight: Shape,
    bias: Shape | None,
    strides: Sequence[int],
    padding: Sequence[int],
    dilation: Sequence[int],
    groups: int,
) -> Shape:
    """NCHW input, OIHW weight, optional [O] bias -> [N, O, H', W']."""
    if len(input) != 4:
        raise ShapeError(f"conv2d input must be NCHW (rank 4), got rank {len(input)}")
    if len(weight) != 4:
        raise ShapeError(f"conv2d weight must be OIHW (rank 4), got rank {len(weight)}")
    if groups < 1:
        raise ShapeError(f"conv2d groups {groups} must be positive")
    batch, channels, height, width = input
    out_channels, in_channels, kernel_h, kernel_w = weight
    kh, kw = kernel_h.constant_value(), kernel_w.constant_value()
    if kh is None or kw is None:
        raise ShapeError(
            f"conv2d kernel dims [{kernel_h}, {kernel_w}] must be constant"
        )
    require_equal_dims(
        channels,
        in_channels * groups,
        "conv2d input channels (input[1] vs weight[1] * groups)",
    )
    remainder = out_channels.mod(groups)
    if not remainder.provably_equal(0):
        verb = "are not" if remainder.is_constant else "are not provably"
        raise ShapeError(
            f"conv2d output channels {out_channels} {verb} divisible by groups {groups}"
        )
    if bias is not None:
        if len(bias) != 1:
            raise ShapeError(f"conv2d bias must have rank 1, got rank {len(bias)}")
        require_equal_dims(
            bias[0], out_channels, "conv2d bias length (bias[0] vs weight[0])"
        )
    spatial = window_2d_shape((height, width), (kh, kw), strides, padding, dilation)
    return (batch, out_channels, *spatial)


def pool2d_shape(
    input: Shape,
    kernel: Sequence[int],
    strides: Sequence[int],
    padding: Sequence[int],
    dilation: Sequence[int],
) -> Shape:
    """NCHW input -> [N, C, H', W']."""
    if len(input) != 4:
        raise ShapeError(f"pool2d input must be NCHW (rank 4), got rank {len(input)}")
    batch, channels, height, width = input
    spatial = window_2d_shape((height, width), kernel, strides, padding, dilation)
    return (batch, channels, *spatial)
