"""Write the LLVM IR xunity compiles for every benchmark case, one file each.

    python benchmarks/dump_llvm_ir.py OUT_DIR

Comparing two directories made at two commits (`diff -r`) shows whether a
change altered the generated code at all, which timings on a noisy machine
cannot: a restructuring that keeps every file byte-identical kept the speed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cases
import models
import numpy as np

from xunity.api import bind_weights, lower_to_llvm
from xunity.backends.llvm.emit import emit_llvm_ir
from xunity.backends.llvm.target import HostTarget
from xunity.dialects.context import make_context
from xunity.ir.diagnostics import parse_module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    target = HostTarget.detect()
    for case in cases.kernel_cases(rng) + models.layer_cases(rng):
        module = parse_module(make_context(), case.program, case.key)
        if case.params:
            bind_weights(module, case.params)
        lower_to_llvm(module)
        (out / f"{case.key}.ll").write_text(emit_llvm_ir(module, target))
        print(f"{out / case.key}.ll")


if __name__ == "__main__":
    main()
