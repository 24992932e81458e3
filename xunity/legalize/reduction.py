"""Kernels of the reduction graph ops (sum, mean, max, min, argmax), numpy semantics.

Each output element folds the input over the reduced axes: the spatial loops
run over the output, the reduce loops over the reduced dims (TVM's
`te.compute` with `te.sum` / `te.max`).  f16/bf16 sums accumulate in f32.
Float sums carry `reassoc`, so LLVM vectorizes them: the result differs from
an in-order sum by rounding only (numpy's pairwise sum reorders too).  max
and min are `maximumf` / `minimumf` (LLVM vectorizes those as they are).

Where numpy raises (max, min or argmax over zero elements) the kernels return
the fold's identity instead: -inf / +inf (the integer extremes, false / true
for i1) and index 0.  NaN: max and min propagate it, and argmax returns the
index of the first NaN, as numpy does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from xdsl.dialects import arith
from xdsl.dialects.builtin import IntegerType, i64
from xdsl.dialects.utils.fast_math import FastMathFlag
from xdsl.ir import Attribute, Operation, SSAValue

from xunity.dialects.graph import reduction as red
from xunity.dialects.graph.inference import normalize_axes, reduce_shape
from xunity.dialects.graph.types import BOOL_TYPE
from xunity.ir.symbolic import SymExpr
from xunity.legalize.kernel_builder import (
    Buffer,
    Emitter,
    KernelBuilder,
    LegalizeRule,
    compute_type,
    element_count,
    is_float_type,
    reduce_into,
)


@dataclass(frozen=True)
class ReducedAxes:
    """How the loops of a reduction kernel address its input."""

    shape: tuple[SymExpr, ...]
    """The input's shape."""
    axes: tuple[int, ...]
    """The reduced axes, normalized and sorted."""
    keepdims: bool

    @staticmethod
    def of(shape: Sequence[SymExpr], axes: Sequence[int] | None, keepdims: bool):
        rank = len(shape)
        normalized = range(rank) if axes is None else normalize_axes(axes, rank)
        return ReducedAxes(tuple(shape), tuple(sorted(normalized)), keepdims)

    @property
    def extents(self) -> list[SymExpr]:
        """The reduce loops' extents."""
        return [self.shape[axis] for axis in self.axes]

    @property
    def kept_shape(self) -> tuple[SymExpr, ...]:
        """The shape of the reduced result (with 1s where keepdims keeps an axis)."""
        return reduce_shape(self.shape, self.axes, self.keepdims)

    def input_indices(
        self, kept: Sequence[SSAValue], reduced: Sequence[SSAValue]
    ) -> list[SSAValue]:
        """Input indices from the result's indices and the reduce indices."""
        kept_iter, reduced_iter = iter(kept), iter(reduced)
        indices: list[SSAValue] = []
        for axis in range(len(self.shape)):
            if axis not in self.axes:
                indices.append(next(kept_iter))
                continue
            if self.keepdims:
                next(kept_iter)  # the result's 1-dim of this axis
            indices.append(next(reduced_iter))
        return indices

    def element(self, x: Buffer) -> Element:
        """x at (the result's indices, the reduce indices)."""
        return lambda e, s, r: e.load(x, self.input_indices(s, r))

    def kept_indices(
        self, input_indices: Sequence[SSAValue], zero: SSAValue
    ) -> list[SSAValue]:
        """The result's indices of an input element (0 on kept reduced axes)."""
        return [
            zero if axis in self.axes else index
            for axis, index in enumerate(input_indices)
            if self.keepdims or axis not in self.axes
        ]


def reduced_axes(op: red.ReductionOp, shape: Sequence[SymExpr]) -> ReducedAxes:
    return ReducedAxes.of(shape, op.reduced_axes(), op.keepdims is not None)


# ------------------------------------------------------------------ scalar folds
def bounds(value_type: Attribute) -> tuple[float | int, float | int]:
    """The lowest and highest value of a type, the identities of max and min:
    -inf / +inf, the integer extremes, or false / true."""
    if is_float_type(value_type):
        return float("-inf"), float("inf")
    assert isinstance(value_type, IntegerType)
    if value_type == BOOL_TYPE:
        return 0, 1
    half = 1 << (value_type.width.data - 1)
    return -half, half - 1


def lowest(e: Emitter, value_type: Attribute) -> SSAValue:
    return e.constant(bounds(value_type)[0], value_type)


def highest(e: Emitter, value_type: Attribute) -> SSAValue:
    return e.constant(bounds(value_type)[1], value_type)


def maximum(e: Emitter, lhs: SSAValue, rhs: SSAValue) -> SSAValue:
    """numpy.maximum, with i1 ordered false < true (signed i1 has true = -1)."""
    if lhs.type == BOOL_TYPE:
        return e.emit(arith.MaxUIOp(lhs, rhs))
    return e.maximum(lhs, rhs)


def minimum(e: Emitter, lhs: SSAValue, rhs: SSAValue) -> SSAValue:
    if lhs.type == BOOL_TYPE:
        return e.emit(arith.MinUIOp(lhs, rhs))
    return e.minimum(lhs, rhs)


Element = Callable[[Emitter, list[SSAValue], list[SSAValue]], SSAValue]
"""The value folded in at (spatial indices, reduce indices)."""
Finalize = Callable[[Emitter, SSAValue], SSAValue]


@dataclass(frozen=True)
class Fold:
    """acc = identity, then acc = combine(acc, element) over the reduce loops."""

    identity: Callable[[Emitter, Attribute], SSAValue]
    combine: Callable[[Emitter, SSAValue, SSAValue], SSAValue]
    widen: bool
    """Accumulate f16/bf16 in f32: sums would round at every step, while max
    and min are exact in the output type and fold in place."""

    def into(
        self,
        kb: KernelBuilder,
        out: Buffer,
        extents: Sequence[SymExpr],
        element: Element,
        name: str,
        finalize: Finalize | None = None,
    ) -> None:
        """out[s] = finalize(fold of element(s, r) over r in `extents`)."""
        acc_type = compute_type(out.element_type)

        def init(e: Emitter, ivs: list[SSAValue]) -> SSAValue:
            return self.identity(e, acc_type)

        def update(
            e: Emitter, s: list[SSAValue], r: list[SSAValue], acc: SSAValue
        ) -> SSAValue:
            return self.combine(e, acc, element(e, s, r))

        if not self.widen:
            assert finalize is None, "only widened folds take a finalize"
            kb.reduce(out, extents, init, update, name)
            return
        reduce_into(kb, out, extents, init, update, finalize, name)

    def in_row(
        self,
        kb: KernelBuilder,
        acc: Buffer,
        rows: Sequence[tuple[SSAValue, SymExpr]],
        extents: Sequence[SymExpr],
        element: Element,
        name: str,
        finalize: Finalize | None = None,
    ) -> None:
        """acc[row] = finalize(fold of element(row, r) over r), inside the caller's
        loops over `rows` (loop variable, extent): an init block, the reduce loops
        and, with `finalize`, a block mapping acc[row] in place.  `acc` holds the
        compute type (an f32 scratch for f16/bf16) and is indexed by the row, so
        every row touches only its own element and the row loops may be parallel.
        """
        acc_type = compute_type(acc.element_type)
        assert acc_type == acc.element_type, "in_row accumulates in the compute type"
        spatial = list(rows)
        with kb.block(f"{name}_init", spatial) as ivs:
            kb.emitter.store(self.identity(kb.emitter, acc_type), acc, ivs)
        with kb.loops(extents) as reduce_vars:
            reduce = list(zip(reduce_vars, extents, strict=True))
            with kb.block(f"{name}_update", spatial, reduce) as ivs:
                e = kb.emitter
                s, r = ivs[: len(spatial)], ivs[len(spatial) :]
                e.store(self.combine(e, e.load(acc, s), element(e, s, r)), acc, s)
        if finalize is not None:
            with kb.block(f"{name}_final", spatial) as ivs:
                e = kb.emitter
                e.store(finalize(e, e.load(acc, ivs)), acc, ivs)


REASSOC = arith.FastMathFlagsAttr([FastMathFlag.REASSOC])
"""Float sums may be reassociated (numpy's own pairwise sum reorders them too)."""


def add_reassociable(e: Emitter, acc: SSAValue, value: SSAValue) -> SSAValue:
    """acc + value, for floats with `reassoc` so that LLVM may split the sum into
    vector lanes (an in-order float sum is one serial chain: never vectorized)."""
    if not is_float_type(acc.type):
        return e.add(acc, value)
    return e.emit(arith.AddfOp(acc, value, flags=REASSOC))


SUM = Fold(lambda e, t: e.constant(0, t), add_reassociable, widen=True)
MAX = Fold(lowest, maximum, widen=False)
MIN = Fold(highest, minimum, widen=False)
SHIFT_MAX = Fold(lowest, lambda e, acc, x: e.emit(arith.MaxnumfOp(acc, x)), widen=False)
"""The max a softmax subtracts: a NaN in the row makes every output NaN
whichever max is taken, so NaN may be skipped (`maxnumf`, cheaper than
numpy's NaN-propagating `maximumf`: no per-element NaN select)."""


def mean_of(kb: KernelBuilder, extents: Sequence[SymExpr]) -> Finalize:
    """total -> total / element count (NaN for zero elements, like numpy)."""
    return lambda e, total: e.div(total, element_count(e, kb, extents))


# ------------------------------------------------------------------ rules
def fold_rule(fold: Fold, mean: bool = False) -> LegalizeRule:
    """sum, mean, max, min: fold the input over the op's reduced axes."""

    def rule(op: Operation, kb: KernelBuilder) -> None:
        assert isinstance(op, red.ReductionOp)
        (x,), (out,) = kb.inputs, kb.outputs
        axes = reduced_axes(op, x.shape)
        fold.into(
            kb,
            out,
            axes.extents,
            axes.element(x),
            name=op.name[6:],
            finalize=mean_of(kb, axes.extents) if mean else None,
        )

    return rule


def _flat_index(
    e: Emitter, kb: KernelBuilder, indices: Sequence[SSAValue], dims: Sequence[SymExpr]
) -> SSAValue:
    """The row-major linear index of `indices` in `dims`, as i64."""
    linear = indices[0] if indices else kb.zero
    for index, dim in zip(indices[1:], dims[1:], strict=True):
        linear = e.add(e.mul(linear, kb.dim(dim)), index)
    return e.emit(arith.IndexCastOp(linear, i64))


def _replaces_best(e: Emitter, value: SSAValue, best: SSAValue) -> SSAValue:
    """value > best; for floats also a first NaN (numpy: NaN is the maximum)."""
    if value.type == BOOL_TYPE:
        return e.emit(arith.CmpiOp(value, best, "ugt"))
    greater = e.compare("gt", value, best)
    if not is_float_type(value.type):
        return greater
    value_is_nan = e.emit(arith.CmpfOp(value, value, "uno"))
    best_is_number = e.emit(arith.CmpfOp(best, best, "ord"))
    first_nan = e.emit(arith.AndIOp(value_is_nan, best_is_number))
    return e.emit(arith.OrIOp(greater, first_nan))


def argmax_rule(op: Operation, kb: KernelBuilder) -> None:
    """Strictly-greater updates keep the first maximum; the running maximum
    lives in a scratch buffer shaped like the output."""
    assert isinstance(op, red.ArgmaxOp)
    (x,), (out,) = kb.inputs, kb.outputs
    axes = reduced_axes(op, x.shape)
    value_type = compute_type(x.element_type)
    best = kb.scratch(out.shape, value_type)
    with kb.loops(out.shape) as loop_vars:
        spatial = list(zip(loop_vars, out.shape, strict=True))
        with kb.block("argmax_init", spatial) as ivs:
            e = kb.emitter
            e.store(lowest(e, value_type), best, ivs)
            e.store(e.constant(0, i64), out, ivs)
        with kb.loops(axes.extents) as reduce_vars:
            reduce = list(zip(reduce_vars, axes.extents, strict=True))
            with kb.block("argmax_update", spatial, reduce) as ivs:
                e = kb.emitter
                s_ivs, r_ivs = ivs[: len(spatial)], ivs[len(spatial) :]
                value = e.load(x, axes.input_indices(s_ivs, r_ivs))
                current = e.load(best, s_ivs)
                take = _replaces_best(e, value, current)
                index = _flat_index(e, kb, r_ivs, axes.extents)
                e.store(e.select(take, value, current), best, s_ivs)
                e.store(e.select(take, index, e.load(out, s_ivs)), out, s_ivs)


RULES: dict[type[Operation], LegalizeRule] = {
    red.SumOp: fold_rule(SUM),
    red.MeanOp: fold_rule(SUM, mean=True),
    red.MaxOp: fold_rule(MAX),
    red.MinOp: fold_rule(MIN),
    red.ArgmaxOp: argmax_rule,
}
