"""Schedule rule `spatial-nest`: elementwise and injective kernels.

A perfect nest around one block whose iteration variables are all spatial:
the loops outside the innermost non-unit loop are fused into one parallel
loop, so every thread gets one contiguous range of rows; the innermost loop
stays serial and unit-stride for LLVM's loop vectorizer.  When every outer
loop has extent 1 (a 1-D kernel), the innermost loop itself is parallel:
the pool hands each thread one contiguous chunk, and the outlined chunk
loop vectorizes.  (The `vectorize` primitive needs a constant extent, and a
split to make one would put a remainder guard in the vector loop.)
"""

from __future__ import annotations

from xunity.dialects import tir
from xunity.schedule import Schedule
from xunity.strategies.base import ScheduleRule
from xunity.strategies.loop_nests import is_spatial_nest, is_trivial, parallelize


def _schedule_spatial_nest(sch: Schedule, band: list[tir.ForOp]) -> None:
    """Fuse and parallelize the loops outside the innermost non-unit one (or
    parallelize that one when they are all trivial)."""
    nontrivial = [i for i, loop in enumerate(band) if not is_trivial(loop)]
    if not nontrivial:
        return
    vector = nontrivial[-1]
    outer = band[:vector]
    if all(is_trivial(loop) for loop in outer):
        parallelize(sch, [band[vector]])
        return
    parallelize(sch, outer)


SPATIAL_NEST = ScheduleRule("spatial-nest", is_spatial_nest, _schedule_spatial_nest)
