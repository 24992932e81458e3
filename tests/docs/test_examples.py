"""The documentation's code runs: the example scripts, and every fenced block
marked ```` ```python runnable ```` in README.md and docs/ (each in a fresh
interpreter from the repository root, as a reader would paste it).  The
snippets assert their own results (against numpy, with stated tolerances).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = [ROOT / "examples" / "schedule_softplus.py"]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
RUNNABLE = re.compile(r"^```python runnable\n(.*?)^```$", re.DOTALL | re.MULTILINE)


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


def _runnable_blocks() -> list[tuple[str, str]]:
    """(file:line, code) of every runnable python block of the docs."""
    blocks = []
    for path in DOCS:
        text = path.read_text()
        for match in RUNNABLE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            blocks.append((f"{path.relative_to(ROOT)}:{line}", match.group(1)))
    return blocks


BLOCKS = _runnable_blocks()


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_script_runs(script: Path) -> None:
    result = _run([str(script)])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "matches numpy" in result.stdout


def test_schedule_doc_has_a_runnable_example() -> None:
    assert any(where.startswith("docs/schedule.md:") for where, _ in BLOCKS)


@pytest.mark.parametrize(("where", "code"), BLOCKS, ids=[w for w, _ in BLOCKS])
def test_runnable_doc_block(where: str, code: str) -> None:
    result = _run(["-c", code])
    assert result.returncode == 0, f"{where}\n{result.stdout}{result.stderr}"
