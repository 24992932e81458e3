"""`tir-apply-schedule`: replay a schedule trace on tir kernels.

    xunity-opt k.mlir -p 'tir-apply-schedule{func=graph_add_0
        trace="split(add1[0], [None, 8]); parallel(add1[0])"}'

(one line on a real command line).  `trace` is `Trace` text with `;`
between calls.  Without `func`, the trace is applied to every `tir.kernel`
function that holds all blocks it names.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import PassFailedException

from xunity.dialects import tir
from xunity.schedule import Schedule, ScheduleError, Trace


def _block_names(function: func.FuncOp) -> set[str]:
    return {op.block_name.data for op in function.walk() if isinstance(op, tir.BlockOp)}


@dataclass(frozen=True)
class TirApplySchedulePass(ModulePass):
    """Apply the schedule `trace` to the kernel `func` (or every matching kernel)."""

    name = "tir-apply-schedule"

    trace: str = ""
    func: str = ""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        try:
            trace = Trace.parse(self.trace)
        except ScheduleError as error:
            raise PassFailedException(f"{self.name}: {error}") from None
        wanted = trace.block_names()
        targets = [
            function
            for function in op.ops
            if isinstance(function, func.FuncOp)
            and (
                function.sym_name.data == self.func
                if self.func
                else "tir.kernel" in function.attributes
                and wanted <= _block_names(function)
            )
        ]
        if not targets:
            where = f"@{self.func}" if self.func else "a tir kernel with those blocks"
            raise PassFailedException(f"{self.name}: no function {where}")
        for function in targets:
            try:
                Schedule(function, scheduler=self.name).replay(trace)
            except ScheduleError as error:
                raise PassFailedException(
                    f"{self.name}: @{function.sym_name.data}: {error}"
                ) from None
