"""Static memory planning over symbolic sizes: one arena for all intermediates.

A graph function's intermediates are buffers with a byte size (a `SymExpr` of
the shape variables) and a live range `[first, last]` of program points (the
op that defines it, the last op that reads it; both inclusive, so an op's
outputs never share memory with its inputs).  `plan_memory` gives each buffer
an offset in one arena such that buffers whose live ranges overlap never
overlap in memory, while the others may share it.  Offsets and the arena size
are `SymExpr`s too: the plan is made once, at compile time, and is valid for
every binding of the shape variables.

The algorithm is greedy by size (TFLite's "greedy by size" offset planner):
buffers in decreasing size, each placed at the lowest candidate offset (0 or
the end of a conflicting buffer) that provably keeps clear of every
conflicting buffer already placed.  "Provably" means the difference of two
expressions is a polynomial with non-negative coefficients in non-negative
shape variables (`provably_ge`); where sizes are incomparable a buffer goes
to the current end of the arena, which is always safe.  Every buffer takes
its size rounded up to 64 bytes, so every offset is 64-byte aligned.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from xunity.ir.symbolic import DivAtom, SymExpr, Var

ALIGN_BYTES = 64

_HINT = 1 << 12
"""Every shape variable's value when ranking sizes: large, so that the
ranking follows the leading terms and agrees with every provable comparison."""


@dataclass(frozen=True)
class Buffer:
    """An intermediate: `size` bytes live from op `first` to op `last` (inclusive)."""

    size: SymExpr
    first: int
    last: int
    name: str = ""

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError(
                f"buffer {self.name or '?'}: last use {self.last} precedes "
                f"its definition {self.first}"
            )

    def overlaps(self, other: Buffer) -> bool:
        """Whether the two live ranges share a program point."""
        return self.first <= other.last and other.first <= self.last


@dataclass(frozen=True)
class MemoryPlan:
    """Where each buffer lives in the arena; `offsets[i]` is `buffers[i]`'s."""

    buffers: tuple[Buffer, ...]
    offsets: tuple[SymExpr, ...]
    arena: SymExpr
    """Arena bytes: a multiple of 64 at least as large as every offset + size."""

    def total_bytes(self) -> SymExpr:
        """The sum of all buffer sizes: what one allocation per buffer takes."""
        return sum((b.size for b in self.buffers), SymExpr.of(0))

    def peak_bytes(self, env: Mapping[str, int]) -> int:
        """The most bytes live at one program point under `env`: a lower bound
        for any plan's arena."""
        if not self.buffers:
            return 0
        start = min(b.first for b in self.buffers)
        stop = max(b.last for b in self.buffers)
        return max(
            sum(b.size.evaluate(env) for b in self.buffers if b.first <= t <= b.last)
            for t in range(start, stop + 1)
        )


def provably_nonnegative(expr: SymExpr) -> bool:
    """Whether `expr >= 0` for all non-negative shape variables (sound, not complete).

    True when every coefficient is non-negative and every division is of such
    an expression, or when that holds for a lower bound of `expr`: for a
    non-negative numerator `N`, `0 <= N floordiv d, N ceildiv d, N mod d <= N`,
    so divisions may be dropped from positive terms and replaced by `N` in
    negative ones (`1024 * n - 64 * ((4 * n) ceildiv 64) >= 768 * n >= 0`).
    """
    if _nonnegative_terms(expr):
        return True
    lower = SymExpr.of(0)
    for monomial, coefficient in expr.terms:
        divisions = [a for a in monomial if isinstance(a, DivAtom)]
        if not divisions:
            lower = lower + SymExpr(((monomial, coefficient),))
            continue
        if not all(_atom_nonnegative(a) for a in divisions):
            return False
        if coefficient > 0:
            continue
        term = SymExpr.of(coefficient)
        for atom in monomial:
            term = term * (
                atom.numerator if isinstance(atom, DivAtom) else SymExpr.of(atom.name)
            )
        lower = lower + term
    return _nonnegative_terms(lower)


def _nonnegative_terms(expr: SymExpr) -> bool:
    return all(
        coefficient >= 0 and all(_atom_nonnegative(atom) for atom in monomial)
        for monomial, coefficient in expr.terms
    )


def _atom_nonnegative(atom: Var | DivAtom) -> bool:
    # mod too: the native code's signed remainder is negative for a negative numerator.
    return isinstance(atom, Var) or _nonnegative_terms(atom.numerator)


@functools.lru_cache(maxsize=1 << 16)
def provably_ge(lhs: SymExpr, rhs: SymExpr) -> bool:
    """Whether `lhs >= rhs` for all non-negative shape variables (sound).

    Cached: planning a model's arena asks about the same pairs of offsets
    once per candidate (SmolLM2's step: 333k questions, 6 s uncached)."""
    left, right = lhs.constant_value(), rhs.constant_value()
    if left is not None and right is not None:
        return left >= right
    return provably_nonnegative(lhs - rhs)


def align_up(size: SymExpr, align: int = ALIGN_BYTES) -> SymExpr:
    """`size` rounded up to a multiple of `align` (exact where `align` divides it)."""
    return size.ceildiv(align) * align


def _hint_value(expr: SymExpr) -> int:
    return expr.evaluate({var: _HINT for var in expr.free_vars()})


def plan_memory(buffers: Sequence[Buffer]) -> MemoryPlan:
    """Offsets in one arena for `buffers` (see the module docstring)."""
    footprints = [align_up(b.size) for b in buffers]
    order = sorted(
        range(len(buffers)),
        key=lambda i: (-_hint_value(footprints[i]), buffers[i].first, i),
    )
    offsets: dict[int, SymExpr] = {}
    arena = SymExpr.of(0)
    for index in order:
        buffer, size = buffers[index], footprints[index]
        conflicts = [
            (offsets[other], offsets[other] + footprints[other])
            for other in offsets
            if buffers[other].overlaps(buffer)
        ]
        offset = _lowest_fit(size, conflicts)
        if offset is None:
            # Every offset so far is at most the arena's end, so this one is too.
            offset = arena
        offsets[index] = offset
        end = offset + size
        if provably_ge(end, arena):
            arena = end
        elif not provably_ge(arena, end):
            arena = arena + size  # >= end, since offset <= arena
    return MemoryPlan(
        tuple(buffers), tuple(offsets[i] for i in range(len(buffers))), arena
    )


def _lowest_fit(
    size: SymExpr, conflicts: list[tuple[SymExpr, SymExpr]]
) -> SymExpr | None:
    """The lowest candidate offset that provably keeps `size` bytes clear of
    every `[start, end)` in `conflicts`; None if no candidate can be proved."""
    candidates = [SymExpr.of(0), *(end for _, end in conflicts)]
    fits = [
        offset
        for offset in dict.fromkeys(candidates)
        if all(
            provably_ge(offset, end) or provably_ge(start, offset + size)
            for start, end in conflicts
        )
    ]
    if not fits:
        return None
    return min(fits, key=_hint_value)
