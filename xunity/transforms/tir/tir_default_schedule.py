"""`tir-default-schedule`: schedules for unscheduled kernels (TVM dlight's role).

graph-legalize emits serial loop nests (the form schedules start from) for
ops no strategy takes.  This pass applies, to each top-level loop nest of
each unscheduled kernel, the first rule of `xunity.strategies.SCHEDULE_RULES`
whose pattern matches the nest's band (spatial-nest for elementwise and
injective kernels, parallel-rows for reductions and the rest), with the
`Schedule` primitives.

Skipped: kernels marked `tir.scheduled` (built by a strategy, or scheduled
by hand or by tir-apply-schedule), kernels with a loop that is not serial or
with a guard (scheduled by their legalization rule, e.g. softmax), and nests
with a constant trip count below `min_parallel_work`, where a pool launch
costs more than it saves.  A rule whose primitive refuses leaves its nest
serial: still correct.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func, scf
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from xunity.dialects import tir
from xunity.schedule import Schedule
from xunity.strategies import SCHEDULE_RULES
from xunity.strategies.loop_nests import nest_roots, spatial_band, work


@dataclass(frozen=True)
class TirDefaultSchedulePass(ModulePass):
    """Parallelize the unscheduled tir kernels' loop nests (see the module doc)."""

    name = "tir-default-schedule"

    min_parallel_work: int = 1 << 15
    """Nests with a constant trip count below this stay serial."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for kernel in op.ops:
            if isinstance(kernel, func.FuncOp) and _is_unscheduled_kernel(kernel):
                schedule_kernel(kernel, self.min_parallel_work)


def schedule_kernel(kernel: func.FuncOp, min_parallel_work: int) -> None:
    """Apply the first matching rule to each top-level loop nest of `kernel`."""
    sch = Schedule(kernel, scheduler=TirDefaultSchedulePass.name)
    for root in nest_roots(kernel.body.block.ops):
        if work(root) < min_parallel_work:
            continue
        band = spatial_band(root)
        rule = next(rule for rule in SCHEDULE_RULES if rule.applies(band))
        rule.apply(sch, band)


def _is_unscheduled_kernel(kernel: func.FuncOp) -> bool:
    if "tir.kernel" not in kernel.attributes:
        return False
    if tir.SCHEDULED_ATTR in kernel.attributes:
        return False
    for op in kernel.walk():
        if isinstance(op, tir.ForOp) and op.kind.data != tir.ForKind.SERIAL:
            return False
        if isinstance(op, scf.IfOp):
            return False
    return True
