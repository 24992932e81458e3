"""`tile` keeps results: each tiled kernel agrees with the unscheduled one and
numpy at sizes n the tile factors do not divide; it records one instruction
that prints, parses and replays to the same kernel."""

from __future__ import annotations

import numpy as np
import pytest
from schedule_harness import (
    ADD,
    MATMUL_INIT,
    SUM,
    assert_refused,
    check_schedule,
    kernel,
    legalized,
)

from xunity.schedule import Schedule, Trace

CASES = {
    "add_2d_symbolic_and_divisible": (ADD, "tile([add1[0], add1[1]], [4, 16])", np.add),
    "add_remainder_then_parallel_vectorize": (
        ADD,
        "tile([add1[0], add1[1]], [3, 10]); parallel(add1[0]); unroll(add1[3])",
        np.add,
    ),
    "add_single_loop": (ADD, "tile([add1[1]], [48])", np.add),
    "matmul_three_loops": (
        MATMUL_INIT,
        "tile([mm[0], mm[1], mm[2]], [4, 8, 5])",
        np.matmul,
    ),
}
SHAPES = {ADD: [(-1, 64)] * 2, MATMUL_INIT: [(-1, 32), (32, 16)]}


@pytest.mark.parametrize("name", sorted(CASES))
def test_tile_keeps_results(name: str) -> None:
    source, trace_text, reference = CASES[name]
    check_schedule(source, trace_text, reference, SHAPES[source])


def test_tile_returns_outer_then_inner_loops_and_records_one_call() -> None:
    function = kernel(legalized(ADD))
    schedule = Schedule(function)
    block = schedule.get_block("add1")
    i, j = schedule.get_loops(block)
    tiles = schedule.tile([i, j], [4, 16])
    assert schedule.get_loops(block) == tiles
    assert [str(loop.ub.type) for loop in tiles] == ["index"] * 4
    text = str(schedule.trace)
    assert text == "tile([add1[0], add1[1]], [4, 16])\n"
    original = kernel(legalized(ADD))
    assert str(Schedule(original.clone()).replay(Trace.parse(text)).func) == str(
        function
    )


ERRORS = {
    "tile: needs one factor per loop: 2 loops, 1 factors": (
        ADD,
        "tile([add1[0], add1[1]], [4])",
    ),
    "tile: factors must be positive ints, got [4, 0]": (
        ADD,
        "tile([add1[0], add1[1]], [4, 0])",
    ),
    "tile: each loop must be directly nested in the previous one": (
        ADD,
        "tile([add1[1], add1[0]], [4, 4])",
    ),
    "tile: the loops must be perfectly nested": (
        SUM,
        "tile([sum_update2[0], sum_update2[1]], [4, 4])",
    ),
    "tile: the loop must be serial, it is parallel": (
        ADD,
        "parallel(add1[0]); tile([add1[0], add1[1]], [4, 4])",
    ),
}


@pytest.mark.parametrize("message", sorted(ERRORS))
def test_illegal_tile_raises_and_changes_nothing(message: str) -> None:
    source, trace_text = ERRORS[message]
    assert_refused(source, trace_text, message)
