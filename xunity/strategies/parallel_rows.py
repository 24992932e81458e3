"""Schedule rule `parallel-rows`: reductions and any other nest.

The band's spatial loops (the rows of a reduction: spatial loops around
init blocks and reduce loops) are fused into one parallel loop; the reduce
loops stay serial (float sums carry `reassoc`, so LLVM vectorizes a
contiguous one).  Parallel loops are legal here because a block's spatial
instances write disjoint elements (tir's block semantics, which every
legalization rule follows).
"""

from __future__ import annotations

from xunity.strategies.base import ScheduleRule
from xunity.strategies.loop_nests import parallelize

PARALLEL_ROWS = ScheduleRule("parallel-rows", lambda band: True, parallelize)
"""Matches every nest: the last rule of the registry."""
