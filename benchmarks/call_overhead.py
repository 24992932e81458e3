"""Call overhead from Python: ns per call of a tiny graph function.

    python benchmarks/call_overhead.py

The function is `main(a: f32[4], b: f32[4]) -> f32[4]`, one add, so the time
is nearly all calling convention: marshalling two numpy inputs, the packed
call, allocating the result and handing it back.  Rows, each the median of
`REPEATS` runs of `CALLS` calls (ns per call):
- xunity exe["main"](a, b): numpy in, numpy (owning runtime memory) out;
- xunity exe["main"].call_packed(a, b, out): destination passing into `out`;
- tvm_ffi on the exported library: `main(ta, tb)` with tvm_ffi Tensors made
  once (returns a tvm_ffi Tensor), and `main(a, b)` with numpy arrays
  (tvm-ffi converts them per call); needs a C compiler and apache-tvm-ffi;
- ctypes no-op: a CFUNCTYPE call of a native function with the packed
  signature that returns at once (xunity's floor: the ctypes call itself).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

import xunity
from xunity.backends.llvm.jit import JitEngine
from xunity.runtime.dlpack import PackedCFunc, Slots
from xunity.runtime.export import ExportError

CALLS = 20_000
REPEATS = 7

PROGRAM = """
func.func @main(%a: !graph.tensor<[4], f32>, %b: !graph.tensor<[4], f32>) -> !graph.tensor<[4], f32> {
  %c = graph.add %a, %b : !graph.tensor<[4], f32>, !graph.tensor<[4], f32> -> !graph.tensor<[4], f32>
  func.return %c : !graph.tensor<[4], f32>
}
"""

NOOP_IR = """
define i32 @noop(ptr %self, ptr %args, i32 %num_args, ptr %result) {
  ret i32 0
}
"""


def ns_per_call(call: Callable[[], object]) -> float:
    runs = []
    for _ in range(REPEATS):
        start = time.perf_counter_ns()
        for _ in range(CALLS):
            call()
        runs.append((time.perf_counter_ns() - start) / CALLS)
    return statistics.median(runs)


def main() -> None:
    exe = xunity.compile(PROGRAM)
    a = np.arange(4, dtype=np.float32)
    b = np.ones(4, np.float32)
    out = np.empty(4, np.float32)
    fn = exe["main"]
    np.testing.assert_array_equal(fn(a, b), a + b)
    rows = [
        ('xunity exe["main"](a, b)', lambda: fn(a, b)),
        (
            'xunity exe["main"].call_packed(a, b, out)',
            lambda: fn.call_packed(a, b, out),
        ),
    ]

    engine = JitEngine()
    engine.add(NOOP_IR)
    noop = PackedCFunc(engine.address("noop"))
    slots = Slots(2)
    rows.append(
        (
            "ctypes no-op (packed signature)",
            lambda: noop(None, slots.args, slots.num_args, slots.result),
        )
    )

    with tempfile.TemporaryDirectory() as tmp:
        rows += _tvm_ffi_rows(exe, Path(tmp) / "add.so", a, b)
        for name, call in rows:
            print(f"{name:48s} {ns_per_call(call):9.0f} ns/call")


def _tvm_ffi_rows(
    exe: xunity.Executable, path: Path, a: np.ndarray, b: np.ndarray
) -> list[tuple[str, Callable[[], object]]]:
    try:
        import tvm_ffi
    except ImportError:
        print("(tvm_ffi rows skipped: apache-tvm-ffi is not installed)")
        return []
    try:
        exe.export_library(path)
    except ExportError as error:
        print(f"(tvm_ffi rows skipped: {error})")
        return []
    main = tvm_ffi.load_module(path)["main"]
    ta, tb = tvm_ffi.from_dlpack(a), tvm_ffi.from_dlpack(b)
    np.testing.assert_array_equal(np.from_dlpack(main(ta, tb)), a + b)
    return [
        ("tvm_ffi main(ta, tb), exported library", lambda: main(ta, tb)),
        ("tvm_ffi main(a, b) with numpy, exported library", lambda: main(a, b)),
    ]


if __name__ == "__main__":
    main()
