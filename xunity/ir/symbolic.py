"""Symbolic shape expressions: integer polynomials over shape variables.

Every tensor dimension in xunity is a `SymExpr`: an integer, a shape variable
(`n`), or an expression built from them with `+`, `-`, `*` and division by a
constant (`floordiv`, `ceildiv`, `mod`).  Expressions are kept in a canonical
form (a sum of monomials with integer coefficients), so two expressions are
*provably equal* exactly when their canonical forms are identical: this is
what lets a verifier accept `[n, 12, 64] -> [n, 768]` and reject `[n] -> [n+1]`.
Division by a constant that does not divide every coefficient stays an opaque
atom, which is sound (never claims a false equality) and covers the output
sizes of convolutions and pooling.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Union

Atom = Union["Var", "DivAtom"]
"""An indivisible factor of a monomial."""

Monomial = tuple[Atom, ...]
"""A product of atoms, sorted by their text; `()` is the constant monomial."""


@dataclass(frozen=True)
class Var:
    """A shape variable such as `n`; bound by the arguments of a function."""

    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class DivAtom:
    """`expr floordiv d`, `expr ceildiv d` or `expr mod d` that did not simplify."""

    kind: str
    numerator: SymExpr
    divisor: int

    def __str__(self) -> str:
        numerator = str(self.numerator)
        if len(self.numerator.terms) > 1 or " " in numerator:
            numerator = f"({numerator})"
        return f"({numerator} {self.kind} {self.divisor})"

    def evaluate(self, env: Mapping[str, int]) -> int:
        value = self.numerator.evaluate(env)
        return _apply_division(self.kind, value, self.divisor)


def _apply_division(kind: str, value: int, divisor: int) -> int:
    if kind == "floordiv":
        return value // divisor
    if kind == "ceildiv":
        return -(-value // divisor)
    return value % divisor


def _atom_key(atom: Atom) -> str:
    return str(atom)


@dataclass(frozen=True)
class SymExpr:
    """A canonical integer polynomial; build with `SymExpr.of`, `+`, `*`, ..."""

    terms: tuple[tuple[Monomial, int], ...]
    """Sorted monomials with non-zero coefficients."""

    # ----------------------------------------------------------- construction
    @staticmethod
    def of(value: int | str | SymExpr) -> SymExpr:
        """An expression from an int (constant), a str (variable) or itself."""
        if isinstance(value, SymExpr):
            return value
        if isinstance(value, str):
            return SymExpr((((Var(value),), 1),))
        return SymExpr._from_dict({(): int(value)})

    @staticmethod
    def _from_dict(terms: Mapping[Monomial, int]) -> SymExpr:
        items = [(mono, coeff) for mono, coeff in terms.items() if coeff != 0]
        items.sort(key=lambda item: (len(item[0]), [_atom_key(a) for a in item[0]]))
        return SymExpr(tuple(items))

    # ----------------------------------------------------------- arithmetic
    def __add__(self, other: int | SymExpr) -> SymExpr:
        acc: dict[Monomial, int] = dict(self.terms)
        for mono, coeff in SymExpr.of(other).terms:
            acc[mono] = acc.get(mono, 0) + coeff
        return SymExpr._from_dict(acc)

    __radd__ = __add__

    def __neg__(self) -> SymExpr:
        return SymExpr(tuple((mono, -coeff) for mono, coeff in self.terms))

    def __sub__(self, other: int | SymExpr) -> SymExpr:
        return self + (-SymExpr.of(other))

    def __rsub__(self, other: int | SymExpr) -> SymExpr:
        return SymExpr.of(other) - self

    def __mul__(self, other: int | SymExpr) -> SymExpr:
        acc: dict[Monomial, int] = {}
        for mono_a, coeff_a in self.terms:
            for mono_b, coeff_b in SymExpr.of(other).terms:
                mono = tuple(sorted(mono_a + mono_b, key=_atom_key))
                acc[mono] = acc.get(mono, 0) + coeff_a * coeff_b
        return SymExpr._from_dict(acc)

    __rmul__ = __mul__

    def floordiv(self, divisor: int) -> SymExpr:
        return self._divide("floordiv", divisor)

    def ceildiv(self, divisor: int) -> SymExpr:
        return self._divide("ceildiv", divisor)

    def mod(self, divisor: int) -> SymExpr:
        return self._divide("mod", divisor)

    def _divide(self, kind: str, divisor: int) -> SymExpr:
        """Exact where it can be: terms whose coefficients `divisor` divides
        leave the division (`(2n + h + 4) floordiv 2 == n + 2 + h floordiv 2`);
        only the rest stays an opaque atom."""
        if divisor <= 0:
            raise ValueError(f"{kind} by {divisor}: the divisor must be positive")
        divisible = {m: c for m, c in self.terms if c % divisor == 0}
        rest = SymExpr(tuple((m, c) for m, c in self.terms if c % divisor != 0))
        constant = rest.constant_value()
        if constant is not None:
            rest_part = SymExpr.of(_apply_division(kind, constant, divisor))
        elif divisor == 1:
            rest_part = rest if kind != "mod" else SymExpr.of(0)
        else:
            rest_part = SymExpr((((DivAtom(kind, rest, divisor),), 1),))
        if kind == "mod":
            return rest_part
        quotient = SymExpr._from_dict({m: c // divisor for m, c in divisible.items()})
        return quotient + rest_part

    # ----------------------------------------------------------- queries
    def constant_value(self) -> int | None:
        """The value if the expression has no variables, else None."""
        if not self.terms:
            return 0
        if len(self.terms) == 1 and self.terms[0][0] == ():
            return self.terms[0][1]
        return None

    @property
    def is_constant(self) -> bool:
        return self.constant_value() is not None

    def free_vars(self) -> set[str]:
        names: set[str] = set()
        for mono, _ in self.terms:
            for atom in mono:
                if isinstance(atom, Var):
                    names.add(atom.name)
                else:
                    names |= atom.numerator.free_vars()
        return names

    def provably_equal(self, other: int | SymExpr) -> bool:
        return self == SymExpr.of(other)

    def provably_different(self, other: int | SymExpr) -> bool:
        """True when the difference is a non-zero constant (e.g. `n` vs `n + 1`)."""
        difference = (self - SymExpr.of(other)).constant_value()
        return difference is not None and difference != 0

    def evaluate(self, env: Mapping[str, int]) -> int:
        """The value under a binding of every free variable; KeyError if unbound."""
        total = 0
        for mono, coeff in self.terms:
            value = coeff
            for atom in mono:
                value *= env[atom.name] if isinstance(atom, Var) else atom.evaluate(env)
            total += value
        return total

    def substitute(self, env: Mapping[str, int | SymExpr]) -> SymExpr:
        """Replace the variables named in `env`; others stay symbolic."""
        result = SymExpr.of(0)
        for mono, coeff in self.terms:
            term = SymExpr.of(coeff)
            for atom in mono:
                if isinstance(atom, Var):
                    term = term * SymExpr.of(env.get(atom.name, atom.name))
                else:
                    term = term * atom.numerator.substitute(env)._divide(
                        atom.kind, atom.divisor
                    )
            result = result + term
        return result

    # ----------------------------------------------------------- printing
    def __str__(self) -> str:
        if not self.terms:
            return "0"
        pieces: list[str] = []
        for index, (mono, coeff) in enumerate(reversed(self.terms)):
            body = _monomial_text(mono, abs(coeff))
            if index == 0:
                pieces.append(body if coeff > 0 else f"-{body}")
            else:
                pieces.append(f"{'+' if coeff > 0 else '-'} {body}")
        return " ".join(pieces)

    def __repr__(self) -> str:
        return f"SymExpr({self})"


def _monomial_text(mono: Monomial, coeff: int) -> str:
    factors = [str(atom) for atom in mono]
    if coeff != 1 or not factors:
        factors.insert(0, str(coeff))
    return " * ".join(factors)


Dim = int | str | SymExpr
"""What builders accept for one dimension."""


def dims_of(values: Iterable[Dim]) -> tuple[SymExpr, ...]:
    return tuple(SymExpr.of(v) for v in values)


def product(dims: Iterable[SymExpr]) -> SymExpr:
    result = SymExpr.of(1)
    for dim in dims:
        result = result * dim
    return result
