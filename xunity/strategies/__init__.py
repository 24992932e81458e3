"""Default rules: how each kind of kernel is made fast on the CPU, in one place.

Two registries (see base.py for the two kinds), each an ordered tuple where
the first rule whose pattern matches wins:

- `KERNEL_STRATEGIES`: graph ops built directly as scheduled kernels
  (graph-legalize consults them before the op's generic legalization rule);
- `SCHEDULE_RULES`: loop nests of generic kernels (tir-default-schedule).

A new rule is one module here defining a `KernelStrategy` or `ScheduleRule`
and one line in the tuple below (docs/strategies.md walks through one).
"""

from __future__ import annotations

from xdsl.ir import Operation

from xunity.legalize.kernel_builder import KernelBuilder
from xunity.strategies.attention_gemm import ATTENTION_GEMM
from xunity.strategies.base import KernelStrategy, ScheduleRule
from xunity.strategies.gemm import GEMM, PACKED_GEMM
from xunity.strategies.gemv import GEMV
from xunity.strategies.parallel_rows import PARALLEL_ROWS
from xunity.strategies.quant_gemm import QUANT_GEMM
from xunity.strategies.quant_gemv import QUANT_GEMV
from xunity.strategies.spatial_nest import SPATIAL_NEST

KERNEL_STRATEGIES: tuple[KernelStrategy, ...] = (
    GEMV,
    GEMM,
    PACKED_GEMM,
    ATTENTION_GEMM,
    QUANT_GEMV,
    QUANT_GEMM,
)

SCHEDULE_RULES: tuple[ScheduleRule, ...] = (
    SPATIAL_NEST,
    PARALLEL_ROWS,
)


def strategy_for(op: Operation, kb: KernelBuilder) -> KernelStrategy | None:
    """The first strategy for `op`'s class whose pattern holds, if any."""
    for strategy in KERNEL_STRATEGIES:
        if isinstance(op, strategy.op) and strategy.applies(op, kb):
            return strategy
    return None


def strategy_ops() -> set[type[Operation]]:
    """The graph op classes some strategy builds kernels for."""
    return {strategy.op for strategy in KERNEL_STRATEGIES}


__all__ = [
    "KERNEL_STRATEGIES",
    "SCHEDULE_RULES",
    "KernelStrategy",
    "ScheduleRule",
    "strategy_for",
    "strategy_ops",
]
