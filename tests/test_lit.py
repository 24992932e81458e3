"""Runs the lit suite from pytest, one pytest test per lit file.

One command (`pytest`) then runs everything; a failing lit file shows up as
its own failing test with lit's output.
"""

import subprocess
import sys
from pathlib import Path

import pytest

LIT_ROOT = Path(__file__).parent / "lit"
LIT = Path(sys.executable).parent / "lit"
LIT_FILES = sorted(p for p in LIT_ROOT.rglob("*.mlir") if "Output" not in p.parts)


@pytest.mark.parametrize(
    "lit_file", LIT_FILES, ids=[str(p.relative_to(LIT_ROOT)) for p in LIT_FILES]
)
def test_lit_file(lit_file: Path) -> None:
    # Parallel pytest workers run lit at once: none may rewrite lit's shared
    # timing file (a torn write fails every later lit run in the tree).
    result = subprocess.run(
        [str(LIT), "-v", "--skip-test-time-recording", str(lit_file)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_lit_suite_is_not_empty() -> None:
    assert len(LIT_FILES) >= 1
