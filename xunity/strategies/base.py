"""The two kinds of default rule, and how a kernel records that it has one.

- A `KernelStrategy` builds a graph op's kernel already scheduled for the
  CPU (packed panels, micro-kernels, parallel tasks) when its pattern holds:
  TVM's op strategies, or the fast kernels of a BLAS.  graph-legalize asks
  the strategies, in registry order, before the op's generic rule
  (xunity/legalize/).
- A `ScheduleRule` schedules a generic kernel's loop nest with the Schedule
  primitives when its pattern holds: TVM dlight's rules.  tir-default-schedule
  applies the first that matches each nest of every unscheduled kernel.

A kernel built by a strategy, or changed by a Schedule primitive, carries
`tir.scheduled` (tir.SCHEDULED_ATTR) naming who scheduled it; the default
schedule leaves such kernels alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from xdsl.ir import Operation

from xunity.dialects import tir
from xunity.legalize.kernel_builder import KernelBuilder, LegalizeRule
from xunity.schedule import Schedule


@dataclass(frozen=True)
class KernelStrategy:
    """A specialised kernel for `op` wherever `applies(op, kernel builder)`:
    a pattern over the op and its operand buffers (types, ranks, static
    extents)."""

    name: str
    op: type[Operation]
    applies: Callable[[Operation, KernelBuilder], bool]
    build: LegalizeRule


@dataclass(frozen=True)
class ScheduleRule:
    """A schedule for one top-level loop nest of a generic kernel, given as
    its band (the root loop and the loops directly nested in it that are
    bound only to spatial variables, outermost first)."""

    name: str
    applies: Callable[[list[tir.ForOp]], bool]
    apply: Callable[[Schedule, list[tir.ForOp]], None]
