"""Memory saved by the planner on the encoder layer of examples/transformer_block.mlir.

    python benchmarks/memory_plan.py

After graph-legalize, the layer's intermediates (every graph.call_tir result
that is not returned) are planned into one arena (xunity/lowering/memory_plan.py).
The table compares, per sequence length n, the sum of the intermediates (one
allocation each, as before planning) with the arena, and with the peak of live
bytes (a lower bound for any plan).
"""

from __future__ import annotations

from pathlib import Path

from xdsl.dialects import func

from xunity.dialects.context import make_context
from xunity.ir.diagnostics import parse_module
from xunity.lowering.memory_plan import plan_memory
from xunity.transforms.graph.convert_graph_to_cpu import intermediate_buffers
from xunity.transforms.graph.graph_legalize import GraphLegalizePass

EXAMPLE = Path(__file__).parent.parent / "examples" / "transformer_block.mlir"
SIZES = (128, 512)


def main() -> None:
    module = parse_module(make_context(), EXAMPLE.read_text(), str(EXAMPLE))
    GraphLegalizePass().apply(make_context(), module)
    for graph_func in module.ops:
        if (
            not isinstance(graph_func, func.FuncOp)
            or "tir.kernel" in graph_func.attributes
        ):
            continue
        plan = plan_memory(list(intermediate_buffers(graph_func).values()))
        name = graph_func.sym_name.data
        print(f"@{name}: {len(plan.buffers)} intermediates")
        print(f"  arena = {plan.arena} bytes (sum = {plan.total_bytes()})")
        header = (
            f"{'n':>6} {'sum of intermediates':>22} {'arena':>12} {'peak live':>12}"
        )
        print(header + f" {'arena / sum':>12}")
        for n in SIZES:
            env = {"n": n}
            total = plan.total_bytes().evaluate(env)
            arena = plan.arena.evaluate(env)
            peak = plan.peak_bytes(env)
            print(
                f"{n:>6} {total:>22,} {arena:>12,} {peak:>12,} {arena / total:>12.1%}"
            )


if __name__ == "__main__":
    main()
