"""`xunity`: the user-facing command line.

`xunity check FILE` parses and verifies a program and prints, per function,
the shape variables it binds and the inferred type of every value it returns:
the quickest way to see symbolic shape inference at work.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from xdsl.dialects.func import FuncOp
from xdsl.utils.exceptions import DiagnosticException, ParseError

from xunity.context import make_context
from xunity.diagnostics import parse_module
from xunity.dialects.graph.types import TensorType


def _check(path: Path) -> int:
    start = time.perf_counter()
    module = parse_module(make_context(), path.read_text(), str(path))
    elapsed_ms = (time.perf_counter() - start) * 1e3
    for func in module.walk():
        if not isinstance(func, FuncOp):
            continue
        shape_vars: set[str] = set()
        for arg_type in func.function_type.inputs:
            if isinstance(arg_type, TensorType):
                shape_vars |= arg_type.free_vars()
        ops = sum(1 for _ in func.walk()) - 1
        names = ", ".join(sorted(shape_vars)) or "none"
        print(f"@{func.sym_name.data}: {ops} ops, shape variables: {names}")
        for index, result_type in enumerate(func.function_type.outputs):
            print(f"  result {index}: {result_type}")
    print(f"{path}: ok (parsed and verified in {elapsed_ms:.1f} ms)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="xunity", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="parse, verify and summarise a program")
    check.add_argument("file", type=Path)
    args = parser.parse_args(argv)
    try:
        return _check(args.file)
    except (ParseError, DiagnosticException, OSError) as error:
        print(error, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
