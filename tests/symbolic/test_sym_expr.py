"""SymExpr: canonical forms, provable (in)equality, evaluation and the text syntax."""

import pytest
from xdsl.context import Context
from xdsl.dialects.builtin import f32
from xdsl.parser import Parser
from xdsl.utils.exceptions import ParseError

from xunity.dialects.context import make_context
from xunity.dialects.graph.types import TensorType
from xunity.ir.symbolic import SymExpr

n, m, h = SymExpr.of("n"), SymExpr.of("m"), SymExpr.of("h")


def test_products_of_constants_and_symbols_normalise() -> None:
    assert n * 12 * 64 == n * 768
    assert (n + 1) * 2 == 2 * n + 2
    assert n * h == h * n
    assert (n + m) - m == n


def test_provably_different_needs_a_constant_difference() -> None:
    assert n.provably_different(n + 1)
    assert SymExpr.of(3).provably_different(4)
    assert not n.provably_different(m)
    assert not n.provably_different(n)


def test_exact_division_simplifies_and_inexact_stays_opaque() -> None:
    assert (n * 4).floordiv(2) == n * 2
    assert (n * 4).mod(2) == SymExpr.of(0)
    opaque = (n - 3).floordiv(2) + 1
    assert not opaque.is_constant
    assert opaque.evaluate({"n": 10}) == 4
    assert (n + 1).ceildiv(2).evaluate({"n": 4}) == 3


def test_division_by_a_non_positive_constant_is_rejected() -> None:
    with pytest.raises(ValueError, match="divisor must be positive"):
        n.floordiv(0)


def test_substitute_specialises_and_keeps_other_variables() -> None:
    expr = (n * m + 2).floordiv(2)
    assert expr.substitute({"n": 4}) == (m * 4 + 2).floordiv(2) == m * 2 + 1
    assert expr.substitute({"n": 3, "m": 3}) == SymExpr.of(5)


def test_evaluate_needs_every_variable() -> None:
    with pytest.raises(KeyError):
        (n + m).evaluate({"n": 1})


def test_free_vars_include_variables_under_division() -> None:
    assert ((n + h).floordiv(3) * m).free_vars() == {"n", "h", "m"}


def _parse_type(ctx: Context, text: str) -> TensorType:
    parsed = Parser(ctx, text).parse_type()
    assert isinstance(parsed, TensorType)
    return parsed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[n, 4096]", (n, SymExpr.of(4096))),
        ("[n + 1, 2 * n]", (n + 1, n * 2)),
        ("[n * h, -(-n)]", (n * h, n)),
        ("[(n - 3) floordiv 2 + 1]", ((n - 3).floordiv(2) + 1,)),
        ("[]", ()),
    ],
)
def test_dims_parse_to_canonical_expressions(text: str, expected: tuple) -> None:
    parsed = _parse_type(make_context(), f"!graph.tensor<{text}, f32>")
    assert parsed.shape == expected


def test_printed_dims_reparse_to_the_same_type() -> None:
    ctx = make_context()
    original = TensorType([(n - 3).floordiv(2) + 1, n * h + 7, (m * 3).ceildiv(2)], f32)
    assert _parse_type(ctx, str(original)) == original


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("!graph.tensor<[n, +], f32>", "expected a shape dimension"),
        ("!graph.tensor<[n floordiv 0], f32>", "floordiv by zero"),
        ("!graph.tensor<[n], f64>", "unsupported element type f64"),
    ],
)
def test_malformed_types_raise_parse_errors(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        Parser(make_context(), text).parse_type()


def test_divisible_terms_leave_the_division() -> None:
    assert (h - 2).floordiv(2) + 1 == h.floordiv(2)
    assert (n * 2 + h + 4).floordiv(2) == n + 2 + h.floordiv(2)
    assert (n * 4 + 3).mod(2) == SymExpr.of(1)
    assert (h * 4 - 6).floordiv(4) == h - 2


@pytest.mark.parametrize("kind", ["floordiv", "ceildiv", "mod"])
def test_division_agrees_with_integer_arithmetic(kind: str) -> None:
    exprs = [h * 3 + 5, h * 4 - 6, n * 2 + h - 1, h * h + 2]
    reference = {
        "floordiv": lambda a, d: a // d,
        "ceildiv": lambda a, d: -(-a // d),
        "mod": lambda a, d: a % d,
    }[kind]
    for expr in exprs:
        for divisor in (1, 2, 3, 4):
            divided = getattr(expr, kind)(divisor)
            for hv in range(-3, 9):
                env = {"h": hv, "n": 5}
                assert divided.evaluate(env) == reference(expr.evaluate(env), divisor)
