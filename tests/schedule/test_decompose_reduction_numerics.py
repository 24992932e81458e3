"""`decompose_reduction` keeps results: a matmul whose block zeroes the
accumulator in its `init` region, decomposed at each legal loop (also after
tiling, with remainder guards, and combined with cache_write), agrees with
the undecomposed kernel and numpy.  Illegal calls raise ScheduleError and
change nothing."""

from __future__ import annotations

import numpy as np
import pytest
from schedule_harness import MATMUL_INIT, SUM, assert_refused, check_schedule

SHAPES = [(-1, 32), (32, 16)]


CASES = {
    "at_outermost_loop": "decompose_reduction(mm, mm[0])",
    "at_middle_loop": "decompose_reduction(mm, mm[1])",
    "at_reduce_loop": "decompose_reduction(mm, mm[2])",
    "after_tile_guarded": "tile([mm[0], mm[1]], [3, 5]); decompose_reduction(mm, mm[1])",
    "reduce_loop_outside_spatial": (
        "reorder(mm[2], mm[1]); decompose_reduction(mm, mm[1]); parallel(mm[0])"
    ),
    "with_cache_write": (
        "cache_write(mm, 0); reverse_compute_at(mm_write0, mm[0]); "
        "decompose_reduction(mm, mm[2])"
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_decompose_reduction_keeps_results(name: str) -> None:
    check_schedule(MATMUL_INIT, CASES[name], np.matmul, SHAPES)


ERRORS = {
    'decompose_reduction: block "sum_update2" has no init region': (
        SUM,
        "decompose_reduction(sum_update2, sum_update2[0])",
    ),
    "decompose_reduction: the loop must be at or above every loop bound to a "
    "reduce iteration variable": (
        MATMUL_INIT,
        "reorder(mm[2], mm[0]); decompose_reduction(mm, mm[1])",
    ),
    "decompose_reduction: a loop is bound to both spatial and reduce iteration "
    "variables": (MATMUL_INIT, "fuse(mm[1], mm[2]); decompose_reduction(mm, mm[0])"),
    "decompose_reduction: the loop must enclose the block": (
        MATMUL_INIT,
        "cache_read(mm, 0); decompose_reduction(mm, mm_read0[0])",
    ),
}


@pytest.mark.parametrize("message", sorted(ERRORS))
def test_illegal_decompose_reduction_raises(message: str) -> None:
    source, trace_text = ERRORS[message]
    assert_refused(source, trace_text, message)
