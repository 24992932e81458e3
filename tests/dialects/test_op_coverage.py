"""Every registered op has a round-trip lit test in both forms.

A lit file counts as a round-trip test when it RUNs both the custom form and
`--print-op-generic` through `xunity-opt`; an op is covered when it appears in
such a file.  Adding an op without its test fails here, by name.
"""

import re
from pathlib import Path

import pytest
from xdsl.ir import Dialect

from xunity.dialects.context import DIALECTS

LIT_DIALECTS = Path(__file__).parents[1] / "lit" / "dialects"


def _round_trip_text(dialect: str) -> str:
    texts = []
    for path in sorted((LIT_DIALECTS / dialect).glob("*.mlir")):
        text = path.read_text()
        if "--print-op-generic" in text and "_invalid" not in path.name:
            texts.append(text)
    return "\n".join(texts)


@pytest.mark.parametrize("dialect_name", sorted(DIALECTS))
def test_every_op_has_a_round_trip_test(dialect_name: str) -> None:
    dialect: Dialect = DIALECTS[dialect_name]()
    text = _round_trip_text(dialect_name)
    names = [op.name for op in dialect.operations]
    assert names, f"dialect {dialect_name} defines no ops"
    missing = [
        name
        for name in names
        if not re.search(rf"(?<![\w.]){re.escape(name)}(?![\w.])", text)
    ]
    assert not missing, f"ops without a round-trip lit test: {missing}"
