"""Materialise symbolic dims as SSA integer values (index or i64).

Kernels need dims and strides as `index` values, native entry points need
byte sizes as `i64`; both come from the same `SymExpr`s of shape variables,
so both use this one emitter.  Every constant, atom (`floordiv` / `ceildiv` /
`mod` by a constant), monomial and expression is built once, so dims shared
by several buffers, and strides equal to a dim, cost nothing extra.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from xdsl.builder import Builder
from xdsl.dialects import arith
from xdsl.dialects.builtin import IndexType, IntegerAttr, IntegerType
from xdsl.ir import Operation, SSAValue

from xunity.ir.symbolic import DivAtom, Monomial, SymExpr, Var

_DIVISIONS: dict[str, Callable[[SSAValue, SSAValue], Operation]] = {
    "floordiv": arith.FloorDivSIOp,
    "ceildiv": arith.CeilDivSIOp,
    "mod": arith.RemSIOp,
}


class SymValues:
    """Emits (and caches) the integer values of symbolic expressions."""

    def __init__(
        self,
        builder: Builder,
        variables: Mapping[str, SSAValue],
        value_type: IndexType | IntegerType,
        created: list[Operation] | None = None,
    ):
        self.builder = builder
        self.variables = variables
        self.value_type = value_type
        self.created = created
        """If given, every op built here is appended (callers prune unused ones)."""
        self._constants: dict[int, SSAValue] = {}
        self._atoms: dict[Var | DivAtom, SSAValue] = {}
        self._monomials: dict[Monomial, SSAValue] = {}
        self._exprs: dict[SymExpr, SSAValue] = {}

    def _emit(self, op: Operation) -> SSAValue:
        self.builder.insert(op)
        if self.created is not None:
            self.created.append(op)
        return op.results[0]

    def constant(self, value: int) -> SSAValue:
        if value not in self._constants:
            attr = IntegerAttr(value, self.value_type)
            self._constants[value] = self._emit(arith.ConstantOp(attr))
        return self._constants[value]

    def value(self, expr: SymExpr | int) -> SSAValue:
        """The value of `expr`, built from its terms (highest degree first)."""
        expr = SymExpr.of(expr)
        if expr in self._exprs:
            return self._exprs[expr]
        constant = expr.constant_value()
        if constant is not None:
            return self.constant(constant)
        total: SSAValue | None = None
        # Positive terms first, so `m - n` is one subtraction rather than `0 - n + m`.
        terms = sorted(reversed(expr.terms), key=lambda term: term[1] < 0)
        for monomial, coefficient in terms:
            magnitude = abs(coefficient)
            if not monomial:
                term = self.constant(magnitude)
            elif magnitude == 1:
                term = self._monomial(monomial)
            else:
                term = self._emit(
                    arith.MuliOp(self._monomial(monomial), self.constant(magnitude))
                )
            if total is None and coefficient < 0:
                total = self._emit(arith.SubiOp(self.constant(0), term))
            elif total is None:
                total = term
            elif coefficient < 0:
                total = self._emit(arith.SubiOp(total, term))
            else:
                total = self._emit(arith.AddiOp(total, term))
        assert total is not None  # a non-constant expression has a term
        self._exprs[expr] = total
        return total

    def product(self, lhs: SymExpr, rhs: SymExpr) -> SymExpr:
        """`lhs * rhs`, whose value is one multiplication of the two values."""
        result = lhs * rhs
        if result in self._exprs or result.is_constant:
            return result
        if lhs.constant_value() == 1 or rhs.constant_value() == 1:
            return result  # value(result) is the value of the other factor
        self._exprs[result] = self._emit(arith.MuliOp(self.value(lhs), self.value(rhs)))
        return result

    def _monomial(self, monomial: Monomial) -> SSAValue:
        if monomial not in self._monomials:
            value = self._atom(monomial[0])
            for atom in monomial[1:]:
                value = self._emit(arith.MuliOp(value, self._atom(atom)))
            self._monomials[monomial] = value
        return self._monomials[monomial]

    def _atom(self, atom: Var | DivAtom) -> SSAValue:
        if isinstance(atom, Var):
            if atom.name not in self.variables:
                raise KeyError(f"shape variable {atom.name} is not bound here")
            return self.variables[atom.name]
        if atom not in self._atoms:
            division = _DIVISIONS[atom.kind]
            self._atoms[atom] = self._emit(
                division(self.value(atom.numerator), self.constant(atom.divisor))
            )
        return self._atoms[atom]
