"""Kernels of the shape manipulation graph ops: each output element is a copy.

Every rule is an index map: `out[i...] = in[f(i...)]` (one `compute` over the
output), except concat, which copies each input into its slice of the output
(one loop nest per input, so no element needs a select between inputs and no
input is read outside its bounds).  Elements move unchanged: loads are raw
(f16/bf16 are not widened), so every dtype is supported.

Two ops can be asked, at run time, for elements that are not there:
- `graph.take` indices follow numpy for `-dim <= i < dim` (negative ones count
  from the end) and are clamped into `[0, dim)` otherwise (TVM's `clip` mode;
  numpy raises).
- `graph.strided_slice` bounds are symbolic; the verifier only rejects bounds
  that are provably outside `[0, dim]`.  Where the kernel cannot prove that
  every read is in bounds it clamps the source index into `[0, dim)`.
In both, when the source dim may be 0 the gather runs under a guard, and an
empty source yields zeros: no kernel ever reads outside its input.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from xdsl.dialects import arith
from xdsl.dialects.builtin import IndexType
from xdsl.ir import Operation, SSAValue

from xunity.dialects import tir
from xunity.dialects.graph import manipulation as mp
from xunity.dialects.graph.inference import (
    normalize_axes,
    normalize_axis,
    provably_nonnegative,
)
from xunity.ir.symbolic import SymExpr, product
from xunity.legalize.kernel_builder import (
    Buffer,
    Emitter,
    KernelBuilder,
    LegalizeRule,
    compute_type,
    run_once_if,
)

IndexMap = Callable[[Emitter, list[SSAValue]], list[SSAValue]]
"""Output indices -> the input indices of the element copied there."""


def _move(e: Emitter, buffer: Buffer, indices: Sequence[SSAValue]) -> SSAValue:
    """The element as stored (no f16/bf16 widening: it is only copied)."""
    return e.emit(tir.LoadOp(buffer.value, list(indices)))


def _gather(kb: KernelBuilder, indices_of: IndexMap, name: str) -> None:
    """out[i...] = in[indices_of(e, i...)] for the op's single input and output."""
    x, (out,) = kb.inputs[0], kb.outputs
    kb.compute(out, lambda e, ivs: _move(e, x, indices_of(e, ivs)), name=name)


def _provably_positive(dim: SymExpr) -> bool:
    return provably_nonnegative(dim - 1)


def _zeros(kb: KernelBuilder, out: Buffer, name: str) -> None:
    element_type = out.element_type

    def zero(e: Emitter, ivs: list[SSAValue]) -> SSAValue:
        return e.constant(0, compute_type(element_type))

    kb.compute(out, zero, name=name)


def _guarded_gather(
    kb: KernelBuilder,
    source_dims: Sequence[SymExpr],
    build: Callable[[], None],
    name: str,
) -> None:
    """`build()` if every dim in `source_dims` is >= 1 at run time, else zeros.

    Dims that are provably >= 1 need no guard; with none left, `build()` alone.
    """
    (out,) = kb.outputs
    unproven = [d for d in source_dims if not _provably_positive(d)]
    if not unproven:
        build()
        return
    extent = product(unproven)
    with run_once_if(kb, extent):
        build()
    with run_once_if(kb, extent, positive=False):
        _zeros(kb, out, f"{name}_empty")


def _clamp(e: Emitter, kb: KernelBuilder, index: SSAValue, dim: SymExpr) -> SSAValue:
    """`index` limited to [0, dim - 1] (dim is known to be >= 1 here)."""
    return e.maximum(e.minimum(index, kb.dim(dim - 1)), kb.zero)


# ------------------------------------------------------------------ reshape
def _common_prefix(a: Sequence[SymExpr], b: Sequence[SymExpr]) -> int:
    count = 0
    while count < min(len(a), len(b)) and a[count] == b[count]:
        count += 1
    return count


def _linearize(
    e: Emitter, kb: KernelBuilder, ivs: Sequence[SSAValue], dims: Sequence[SymExpr]
) -> SSAValue:
    """Row-major linear index of `ivs` in `dims` (unit dims skipped)."""
    linear: SSAValue | None = None
    for iv, dim in zip(ivs, dims, strict=True):
        if dim.provably_equal(1):
            continue
        linear = iv if linear is None else e.add(e.mul(linear, kb.dim(dim)), iv)
    return kb.zero if linear is None else linear


def _unravel(
    e: Emitter, kb: KernelBuilder, linear: SSAValue, dims: Sequence[SymExpr]
) -> list[SSAValue]:
    """Row-major indices of `linear` in `dims`; the outermost non-unit one: the rest."""
    outermost = next(
        (axis for axis, dim in enumerate(dims) if not dim.provably_equal(1)), None
    )
    indices: list[SSAValue] = [kb.zero] * len(dims)
    for axis in range(len(dims) - 1, -1, -1):
        dim = dims[axis]
        if dim.provably_equal(1):
            continue
        if axis == outermost:
            indices[axis] = linear
            break
        indices[axis] = e.rem(linear, kb.dim(dim))
        linear = e.floordiv(linear, kb.dim(dim))
    return indices


def reshape_rule(op: Operation, kb: KernelBuilder) -> None:
    """Dims shared as a prefix or suffix keep their index; the middle is relinearized.

    `[n, 12, 64] -> [n, 768]`: out[i, j] = in[i, j floordiv 64, j rem 64].
    The middle products are equal (the verifier proved the element counts
    equal), so the unravelled index is always in bounds.
    """
    (x,), (out,) = kb.inputs, kb.outputs
    src, dst = x.shape, out.shape
    prefix = _common_prefix(src, dst)
    suffix = _common_prefix(src[prefix:][::-1], dst[prefix:][::-1])
    src_mid = src[prefix : len(src) - suffix]
    dst_mid = dst[prefix : len(dst) - suffix]

    def indices_of(e: Emitter, ivs: list[SSAValue]) -> list[SSAValue]:
        mid = ivs[prefix : len(ivs) - suffix]
        linear = _linearize(e, kb, mid, dst_mid)
        return [
            *ivs[:prefix],
            *_unravel(e, kb, linear, src_mid),
            *ivs[len(ivs) - suffix :],
        ]

    _gather(kb, indices_of, "reshape")


# ------------------------------------------------------------------ axes
def permute_dims_rule(op: Operation, kb: KernelBuilder) -> None:
    """out[i...] = in[j...] with j[axes[k]] = i[k]."""
    assert isinstance(op, mp.PermuteDimsOp)
    axes = normalize_axes(op.axes.get_values(), kb.inputs[0].rank)

    def indices_of(e: Emitter, ivs: list[SSAValue]) -> list[SSAValue]:
        indices = [kb.zero] * len(axes)
        for position, axis in enumerate(axes):
            indices[axis] = ivs[position]
        return indices

    _gather(kb, indices_of, "permute_dims")


def expand_dims_rule(op: Operation, kb: KernelBuilder) -> None:
    """The inserted unit axes of the output are not input axes: skip their index."""
    assert isinstance(op, mp.ExpandDimsOp)
    inserted = set(normalize_axes(op.axes.get_values(), kb.outputs[0].rank))

    def indices_of(e: Emitter, ivs: list[SSAValue]) -> list[SSAValue]:
        return [iv for axis, iv in enumerate(ivs) if axis not in inserted]

    _gather(kb, indices_of, "expand_dims")


def squeeze_rule(op: Operation, kb: KernelBuilder) -> None:
    """The removed unit axes of the input are read at index 0."""
    assert isinstance(op, mp.SqueezeOp)
    rank = kb.inputs[0].rank
    removed = set(normalize_axes(op.axes.get_values(), rank))

    def indices_of(e: Emitter, ivs: list[SSAValue]) -> list[SSAValue]:
        rest = iter(ivs)
        return [kb.zero if axis in removed else next(rest) for axis in range(rank)]

    _gather(kb, indices_of, "squeeze")


def broadcast_to_rule(op: Operation, kb: KernelBuilder) -> None:
    """numpy broadcasting: align right, read index 0 along the input's unit dims."""
    x = kb.inputs[0]
    _gather(kb, lambda e, ivs: x.broadcast_indices(ivs, kb.zero), "broadcast_to")


# ------------------------------------------------------------------ concat, split
def _offset(e: Emitter, kb: KernelBuilder, iv: SSAValue, offset: SymExpr) -> SSAValue:
    return iv if offset.provably_equal(0) else e.add(iv, kb.dim(offset))


def concat_rule(op: Operation, kb: KernelBuilder) -> None:
    """One loop nest per input, copying it into its slice of the output.

    Input k lands at `axis` offset sum(dim of inputs before k), so every output
    element is written exactly once and nothing is selected at run time.
    """
    assert isinstance(op, mp.ConcatOp)
    (out,) = kb.outputs
    axis = normalize_axis(op.axis.value.data, out.rank)
    offset = SymExpr.of(0)
    for source in kb.inputs:
        with (
            kb.loops(source.shape) as loop_vars,
            kb.block("concat", list(zip(loop_vars, source.shape, strict=True))) as ivs,
        ):
            e = kb.emitter
            target = list(ivs)
            target[axis] = _offset(e, kb, ivs[axis], offset)
            e.store(_move(e, source, ivs), out, target)
        offset = offset + source.shape[axis]


def _read_shifted(
    kb: KernelBuilder, x: Buffer, axis: int, start: SymExpr
) -> Callable[[Emitter, list[SSAValue]], SSAValue]:
    """out[i...] = x[i...] shifted by `start` on `axis`."""

    def value_at(e: Emitter, ivs: list[SSAValue]) -> SSAValue:
        source = list(ivs)
        source[axis] = _offset(e, kb, ivs[axis], start)
        return _move(e, x, source)

    return value_at


def split_rule(op: Operation, kb: KernelBuilder) -> None:
    """One compute per output, reading the input at that output's offset on `axis`."""
    assert isinstance(op, mp.SplitOp)
    (x,) = kb.inputs
    axis = normalize_axis(op.axis.value.data, x.rank)
    offset = SymExpr.of(0)
    for out in kb.outputs:
        kb.compute(out, _read_shifted(kb, x, axis, offset), name="split")
        offset = offset + out.shape[axis]


# ------------------------------------------------------------------ slicing, gather
def strided_slice_rule(op: Operation, kb: KernelBuilder) -> None:
    """Read at begin + i * stride on sliced axes, clamped unless provably in bounds.

    Reads are in bounds when 0 <= begin and end <= dim (the last read is below
    end); otherwise the index is clamped into [0, dim) and an empty source
    dim makes the result zeros.
    """
    assert isinstance(op, mp.StridedSliceOp)
    (x,) = kb.inputs
    axes = normalize_axes(op.axes.get_values(), x.rank)
    slices = {
        axis: (begin, end, stride)
        for axis, begin, end, stride in zip(
            axes, op.begin.data, op.end.data, op.strides.get_values(), strict=True
        )
    }
    clamped = {
        axis
        for axis, (begin, end, _) in slices.items()
        if not (
            provably_nonnegative(begin) and provably_nonnegative(x.shape[axis] - end)
        )
    }

    def indices_of(e: Emitter, ivs: list[SSAValue]) -> list[SSAValue]:
        indices = list(ivs)
        for axis, (begin, _, stride) in slices.items():
            index = ivs[axis]
            if stride != 1:
                index = e.mul(index, kb.dim(stride))
            index = _offset(e, kb, index, begin)
            if axis in clamped:
                index = _clamp(e, kb, index, x.shape[axis])
            indices[axis] = index
        return indices

    _guarded_gather(
        kb,
        [x.shape[axis] for axis in sorted(clamped)],
        lambda: _gather(kb, indices_of, "strided_slice"),
        "strided_slice",
    )


def wrapped_index(
    e: Emitter, kb: KernelBuilder, index: SSAValue, dim: SymExpr | int
) -> SSAValue:
    """A gather index into a dim of `dim` (>= 1) elements: negative counts
    from the end (numpy), then clamped into [0, dim)."""
    negative = e.compare("lt", index, kb.zero)
    index = e.select(negative, e.add(index, kb.dim(dim)), index)
    return _clamp(e, kb, index, SymExpr.of(dim))


def take_rule(op: Operation, kb: KernelBuilder) -> None:
    """out[p..., j..., s...] = in[p..., clamp(wrap(ids[j...])), s...].

    wrap: a negative index counts from the end (numpy); clamp: the result is
    limited to [0, dim), so no index reads out of bounds.
    """
    assert isinstance(op, mp.TakeOp)
    x, ids = kb.inputs
    axis = normalize_axis(op.axis.value.data, x.rank)
    dim = x.shape[axis]

    def indices_of(e: Emitter, ivs: list[SSAValue]) -> list[SSAValue]:
        raw = _move(e, ids, ivs[axis : axis + ids.rank])
        index = wrapped_index(e, kb, e.emit(arith.IndexCastOp(raw, IndexType())), dim)
        return [*ivs[:axis], index, *ivs[axis + ids.rank :]]

    _guarded_gather(kb, [dim], lambda: _gather(kb, indices_of, "take"), "take")


RULES: dict[type[Operation], LegalizeRule] = {
    mp.ReshapeOp: reshape_rule,
    mp.PermuteDimsOp: permute_dims_rule,
    mp.ConcatOp: concat_rule,
    mp.SplitOp: split_rule,
    mp.StridedSliceOp: strided_slice_rule,
    mp.TakeOp: take_rule,
    mp.BroadcastToOp: broadcast_to_rule,
    mp.ExpandDimsOp: expand_dims_rule,
    mp.SqueezeOp: squeeze_rule,
}
