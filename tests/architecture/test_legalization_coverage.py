"""Every graph op either stays at the graph level or has a kernel rule.

graph-legalize replaces each op by a call of a kernel built by a strategy
or by the op's generic rule; an op with neither fails a user's compile, so
adding an op without its kernel fails here, by name.
"""

from xunity.dialects.graph import Graph
from xunity.legalize import LEGALIZE_RULES
from xunity.strategies import KERNEL_STRATEGIES
from xunity.transforms.graph.graph_legalize import GRAPH_LEVEL_OPS, has_kernel_rule


def test_every_graph_op_has_a_kernel_rule() -> None:
    ops = [op for op in Graph.operations if op not in GRAPH_LEVEL_OPS]
    assert ops
    missing = [op.name for op in ops if not has_kernel_rule(op)]
    assert not missing, f"graph ops without a legalization rule: {missing}"


def test_rules_and_strategies_name_graph_ops() -> None:
    """No rule or strategy is keyed by an op outside the graph dialect."""
    graph_ops = set(Graph.operations)
    keyed = set(LEGALIZE_RULES) | {strategy.op for strategy in KERNEL_STRATEGIES}
    assert keyed <= graph_ops, sorted(op.name for op in keyed - graph_ops)
