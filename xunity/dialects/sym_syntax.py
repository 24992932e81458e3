"""Textual syntax of symbolic dimensions, shared by every dialect that prints them.

Grammar (precedence climbing, as in MLIR's affine expressions)::

    expr   ::= term (('+' | '-') term)*
    term   ::= factor ('*' factor | ('floordiv' | 'ceildiv' | 'mod') integer)*
    factor ::= integer | bare-id | '(' expr ')' | '-' factor
    dims   ::= '[' (expr (',' expr)*)? ']'
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.parser import AttrParser
from xdsl.printer import Printer

from xunity.ir.symbolic import SymExpr

_DIVISIONS = ("floordiv", "ceildiv", "mod")


def parse_sym_expr(parser: AttrParser) -> SymExpr:
    expr = _parse_term(parser)
    while True:
        if parser.parse_optional_punctuation("+") is not None:
            expr = expr + _parse_term(parser)
        elif parser.parse_optional_punctuation("-") is not None:
            expr = expr - _parse_term(parser)
        else:
            return expr


def _parse_term(parser: AttrParser) -> SymExpr:
    expr = _parse_factor(parser)
    while True:
        if parser.parse_optional_punctuation("*") is not None:
            expr = expr * _parse_factor(parser)
            continue
        kind = parser.parse_optional_keyword_in(_DIVISIONS)
        if kind is None:
            return expr
        start = parser.pos
        divisor = parser.parse_integer(allow_negative=False, allow_boolean=False)
        if divisor == 0:
            parser.raise_error(f"{kind} by zero in a shape expression", start)
        expr = expr._divide(kind, divisor)


def _parse_factor(parser: AttrParser) -> SymExpr:
    if parser.parse_optional_punctuation("-") is not None:
        return -_parse_factor(parser)
    if parser.parse_optional_punctuation("(") is not None:
        expr = parse_sym_expr(parser)
        parser.parse_punctuation(")")
        return expr
    value = parser.parse_optional_integer(allow_negative=False, allow_boolean=False)
    if value is not None:
        return SymExpr.of(value)
    name = parser.parse_optional_identifier()
    if name is None or name in _DIVISIONS:
        parser.raise_error(
            "expected a shape dimension: an integer, a shape variable or `(expr)`"
        )
    return SymExpr.of(name)


def parse_dims(parser: AttrParser) -> tuple[SymExpr, ...]:
    return tuple(
        parser.parse_comma_separated_list(
            parser.Delimiter.SQUARE, lambda: parse_sym_expr(parser)
        )
    )


def print_dims(printer: Printer, dims: Sequence[SymExpr]) -> None:
    printer.print_string("[" + ", ".join(str(d) for d in dims) + "]")
