"""Materialise symbolic dims as SSA integer values (index or i64).

Kernels need dims as `index` values, native entry points need byte sizes as
`i64`; both come from the same `SymExpr`s of shape variables, so both use this
one emitter: sums of monomials, `floordiv` / `ceildiv` / `mod` by constants,
each distinct expression emitted once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from xdsl.builder import Builder
from xdsl.dialects import arith
from xdsl.dialects.builtin import IndexType, IntegerAttr, IntegerType
from xdsl.ir import Operation, SSAValue

from xunity.symbolic import DivAtom, SymExpr, Var

_DIVISIONS: dict[str, Callable[[SSAValue, SSAValue], Operation]] = {
    "floordiv": arith.FloorDivSIOp,
    "ceildiv": arith.CeilDivSIOp,
    "mod": arith.RemSIOp,
}


class SymValues:
    """Emits (and caches) the integer value of symbolic expressions."""

    def __init__(
        self,
        builder: Builder,
        variables: Mapping[str, SSAValue],
        value_type: IndexType | IntegerType,
    ):
        self.builder = builder
        self.variables = variables
        self.value_type = value_type
        self._cache: dict[SymExpr, SSAValue] = {}

    def _emit(self, op: Operation) -> SSAValue:
        self.builder.insert(op)
        return op.results[0]

    def constant(self, value: int) -> SSAValue:
        return self(SymExpr.of(value))

    def __call__(self, expr: SymExpr | int) -> SSAValue:
        expr = SymExpr.of(expr)
        if expr in self._cache:
            return self._cache[expr]
        value: SSAValue | None = None
        if expr.is_constant:
            value = self._emit(
                arith.ConstantOp(
                    IntegerAttr(expr.constant_value() or 0, self.value_type)
                )
            )
        for monomial, coefficient in [] if expr.is_constant else expr.terms:
            term = None if monomial and coefficient == 1 else self(coefficient)
            for atom in monomial:
                factor = self._atom(atom)
                term = (
                    factor if term is None else self._emit(arith.MuliOp(term, factor))
                )
            assert term is not None
            value = term if value is None else self._emit(arith.AddiOp(value, term))
        assert value is not None
        self._cache[expr] = value
        return value

    def _atom(self, atom: Var | DivAtom) -> SSAValue:
        if isinstance(atom, Var):
            if atom.name not in self.variables:
                raise KeyError(f"shape variable {atom.name} is not bound here")
            return self.variables[atom.name]
        numerator = self(atom.numerator)
        return self._emit(_DIVISIONS[atom.kind](numerator, self(atom.divisor)))
