"""Run the onnx package's backend node tests through xunity and count passes.

    python -m xunity.frontends.onnx.node_tests            # summary over all
    python -m xunity.frontends.onnx.node_tests -v -k conv # one line per test

The onnx wheel ships the node tests as generators (`onnx.backend.test.case
.node`), not as files; `collect_testcases` rebuilds every model with its
inputs and expected outputs in memory (a few seconds).  A test is *attempted*
when every op in its model can be imported (else it counts as unsupported);
it *passes* when xunity imports, compiles and runs it and every output
matches with the test's own tolerances (as onnx's backend runner checks).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from onnx import TensorProto, numpy_helper
from onnx.backend.test.case.test_case import TestCase

from xunity.frontends.onnx.converter import OnnxImportError
from xunity.frontends.onnx.importer import UnsupportedOpsError, import_onnx

STATUSES = ("pass", "unsupported", "import", "compile", "run", "mismatch")
"""Outcomes, in pipeline order: the first stage that failed names the status."""


@dataclass(frozen=True)
class NodeTestResult:
    name: str
    status: str
    detail: str = ""


def collect(pattern: str | None = None) -> list[TestCase]:
    """The onnx node test cases whose names match `pattern` (a regex)."""
    from onnx.backend.test.case.node import collect_testcases

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the generators divide by zero on purpose
        cases = collect_testcases()
    regex = re.compile(pattern) if pattern else None
    return [c for c in cases if regex is None or regex.search(c.name)]


def run_case(case: TestCase) -> NodeTestResult:
    """Import, compile and run one node test; never raises."""
    assert case.model is not None and case.data_sets
    try:
        model = import_onnx(case.model)
    except UnsupportedOpsError as error:
        return NodeTestResult(case.name, "unsupported", str(error))
    except OnnxImportError as error:
        return NodeTestResult(case.name, "import", str(error))
    except Exception as error:  # an importer bug: report it, keep counting
        return NodeTestResult(case.name, "import", f"{type(error).__name__}: {error}")
    try:
        exe = model.compile()
    except Exception as error:
        return NodeTestResult(case.name, "compile", _first_line(error))
    for inputs, expected in case.data_sets:
        try:
            outputs = exe[model.func_name](*(_array(v) for v in inputs))
        except Exception as error:
            return NodeTestResult(case.name, "run", _first_line(error))
        if not isinstance(outputs, tuple):
            outputs = (outputs,)
        problem = _compare(outputs, [_array(v) for v in expected], case.rtol, case.atol)
        if problem:
            return NodeTestResult(case.name, "mismatch", problem)
    return NodeTestResult(case.name, "pass")


def _array(value: object) -> np.ndarray:
    """Test data are arrays, numpy scalars (rank-0 tensors) or, for dtypes
    numpy lacks or mangles, TensorProtos."""
    if isinstance(value, TensorProto):
        return numpy_helper.to_array(value)
    return np.asarray(value)


def _compare(
    outputs: Sequence[np.ndarray],
    expected: Sequence[np.ndarray],
    rtol: float,
    atol: float,
) -> str:
    if len(outputs) != len(expected):
        return f"{len(outputs)} outputs, expected {len(expected)}"
    for index, (have, want) in enumerate(zip(outputs, expected, strict=True)):
        if have.dtype != want.dtype or have.shape != want.shape:
            return (
                f"output {index}: {have.dtype}{list(have.shape)}, expected "
                f"{want.dtype}{list(want.shape)}"
            )
        try:
            np.testing.assert_allclose(have, want, rtol=rtol, atol=atol)
        except AssertionError as error:
            return f"output {index}: " + " ".join(str(error).split())[:200]
    return ""


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"[:300]


def run(cases: Iterable[TestCase], verbose: bool = False) -> list[NodeTestResult]:
    results: list[NodeTestResult] = []
    for case in cases:
        result = run_case(case)
        results.append(result)
        if verbose and result.status != "unsupported":
            print(
                f"{result.status:11} {result.name}  {result.detail}"[:240], flush=True
            )
    return results


def summary(results: Sequence[NodeTestResult]) -> str:
    counts = Counter(r.status for r in results)
    attempted = len(results) - counts["unsupported"]
    lines = [
        f"onnx node tests: {len(results)} total, {attempted} with only supported "
        f"ops, {counts['pass']} pass",
        "  " + ", ".join(f"{s}: {counts[s]}" for s in STATUSES),
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Run the onnx node tests through xunity."
    )
    parser.add_argument("-k", "--filter", help="regex on test names")
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--list-passing", action="store_true")
    options = parser.parse_args(argv)
    start = time.perf_counter()
    results = run(collect(options.filter), options.verbose)
    if options.list_passing:
        print("\n".join(r.name for r in results if r.status == "pass"))
    print(summary(results))
    print(f"  ({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
