"""Hand-schedule one kernel of a graph program, compile the program, check it.

softplus(x) = log(1 + exp(x)), written with graph.exp, graph.add and
graph.log (the graph dialect has no softplus op).  graph-legalize gives each
op a kernel: graph_exp_0 (block "exp1"), graph_add_1 ("add1") and
graph_log_2 ("log1").  The exp kernel gets a hand schedule; the pipeline
leaves a kernel it finds marked `tir.scheduled` alone, and fusion merges add
and log into that kernel's final block, keeping its loops.

    .venv/bin/python examples/schedule_softplus.py

docs/schedule.md walks through the same steps.
"""

from __future__ import annotations

import numpy as np

import xunity
from xunity.schedule import Schedule

PROGRAM = """
func.func @main(%x: !graph.tensor<[n, 256], f32>) -> !graph.tensor<[n, 256], f32> {
  %e = graph.exp %x : !graph.tensor<[n, 256], f32>
  %one = graph.constant dense<1.0> : !graph.tensor<[1], f32>
  %s = graph.add %e, %one : !graph.tensor<[n, 256], f32>, !graph.tensor<[1], f32>
      -> !graph.tensor<[n, 256], f32>
  %y = graph.log %s : !graph.tensor<[n, 256], f32>
  func.return %y : !graph.tensor<[n, 256], f32>
}
"""

RTOL, ATOL = 1e-5, 1e-6
"""Against float64 numpy.  The f32 exp and log expansions are within a few
ulp; log(1 + e) for tiny e loses relative accuracy to the rounding of
1 + e (the formula's, in any f32 implementation), which ATOL covers."""


def main() -> None:
    module = xunity.legalize(PROGRAM)  # a parsed copy, every graph op a call_tir
    print("kernels:", ", ".join(xunity.kernels(module)))

    kernel = xunity.kernel_with_block(module, "exp1")  # graph_exp_0
    sch = Schedule(kernel)  # rewrites the kernel inside `module`
    block = sch.get_block("exp1")
    rows, cols = sch.get_loops(block)  # n, 256
    _, lanes = sch.split(cols, [None, 64])  # 4 x 64
    sch.vectorize(lanes)
    sch.parallel(rows)
    print("trace:", "; ".join(str(sch.trace).splitlines()))
    assert kernel.attributes["tir.scheduled"].data == "manual"

    exe = xunity.compile(module)
    x = np.random.default_rng(0).uniform(-8.0, 8.0, (100, 256)).astype(np.float32)
    y = exe["main"](x)

    expected = np.logaddexp(0.0, x.astype(np.float64))  # log(1 + e^x)
    np.testing.assert_allclose(y, expected, rtol=RTOL, atol=ATOL)
    print(f"softplus of {list(x.shape)}: matches numpy (rtol {RTOL}, atol {ATOL})")


if __name__ == "__main__":
    main()
