"""`cache_read` / `cache_write` with `compute_at` / `reverse_compute_at` keep
results: every scheduled kernel agrees with the unscheduled one and numpy at
sizes n the split factors do not divide (remainder guards), including
overlapping producer boxes (a stencil), symbolic boxes (a transposed read)
and boxes through split and tiled loops.  Illegal calls raise ScheduleError
naming the primitive and rule, and change nothing."""

from __future__ import annotations

import numpy as np
import pytest
from schedule_harness import (
    ADD,
    MATMUL_INIT,
    STENCIL,
    SUM,
    TRANSPOSE,
    assert_refused,
    check_schedule,
    kernel,
    legalized,
)

from xunity.schedule import Schedule, Trace


def _stencil(a: np.ndarray) -> np.ndarray:
    return 2 * a[:, :64] + 2 * a[:, 1:]


def _transpose(a: np.ndarray) -> np.ndarray:
    return (a + 1).T


def _sum(a: np.ndarray) -> np.ndarray:
    return a.sum(axis=1)


SHAPES = {
    ADD: [(-1, 64)] * 2,
    MATMUL_INIT: [(-1, 32), (32, 16)],
    STENCIL: [(-1, 65)],
    TRANSPOSE: [(-1, 64)],
    SUM: [(-1, 64)],
}
REFERENCES = {
    ADD: np.add,
    MATMUL_INIT: np.matmul,
    STENCIL: _stencil,
    TRANSPOSE: _transpose,
    SUM: _sum,
}
CASES = {
    # whole-buffer caches
    "cache_read_add": (ADD, "cache_read(add1, 1)"),
    "cache_write_add": (ADD, "cache_write(add1, 0)"),
    "cache_read_sum_input": (SUM, "cache_read(sum_update2, 0)"),
    "cache_write_matmul_init_region": (MATMUL_INIT, "cache_write(mm, 0)"),
    # caches narrowed to one loop iteration
    "cache_read_row_at_add_row": (
        ADD,
        "cache_read(add1, 0); compute_at(add1_read0, add1[0])",
    ),
    "cache_read_element_at_split_loop": (
        ADD,
        "split(add1[0], [None, 4]); cache_read(add1, 0); compute_at(add1_read0, add1[0])",
    ),
    "cache_read_b_at_k": (
        MATMUL_INIT,
        "cache_read(mm, 1); compute_at(mm_read1, mm[2])",
    ),
    "cache_read_a_tile_at_tiled_loop": (
        MATMUL_INIT,
        "tile([mm[0], mm[1]], [4, 8]); cache_read(mm, 0); compute_at(mm_read0, mm[1])",
    ),
    "cache_write_at_row": (
        MATMUL_INIT,
        "cache_write(mm, 0); reverse_compute_at(mm_write0, mm[0])",
    ),
    "cache_write_tile_at_tiled_loop": (
        MATMUL_INIT,
        "tile([mm[0], mm[1]], [4, 8]); cache_write(mm, 0); "
        "reverse_compute_at(mm_write0, mm[1])",
    ),
    "cache_write_then_read_add": (
        ADD,
        "split(add1[1], [None, 16]); cache_write(add1, 0); cache_read(add1, 0); "
        "compute_at(add1_read0, add1[1]); reverse_compute_at(add1_write0, add1[1])",
    ),
    # real producers
    "stencil_at_inner_loop_overlapping": (STENCIL, "compute_at(double, pair[1])"),
    "stencil_at_row": (STENCIL, "compute_at(double, pair[0])"),
    "stencil_at_split_inner_loop": (
        STENCIL,
        "split(pair[1], [None, 5]); compute_at(double, pair[1])",
    ),
    "stencil_at_split_rows_guarded": (
        STENCIL,
        "split(pair[0], [None, 4]); compute_at(double, pair[1])",
    ),
    "transpose_consumer_at_producer_row": (
        TRANSPOSE,
        "reverse_compute_at(flip, inc[0])",
    ),
    "transpose_consumer_at_split_producer": (
        TRANSPOSE,
        "split(inc[1], [None, 6]); reverse_compute_at(flip, inc[1])",
    ),
    "transpose_column_symbolic_box": (TRANSPOSE, "compute_at(inc, flip[0])"),
    "transpose_element": (TRANSPOSE, "compute_at(inc, flip[1])"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_schedule_keeps_results(name: str) -> None:
    source, trace_text = CASES[name]
    check_schedule(source, trace_text, REFERENCES[source], SHAPES[source])


def test_trace_prints_parses_and_replays_identically() -> None:
    _, trace_text = CASES["cache_write_then_read_add"]
    original = kernel(legalized(ADD))
    schedule = Schedule(original.clone()).replay(Trace.parse(trace_text))
    text = str(schedule.trace)
    # the loop of the last two calls is named by the first block under it
    assert text.splitlines()[1:4] == [
        "cache_write(add1, 0)",
        "cache_read(add1, 0)",
        "compute_at(add1_read0, add1[1])",
    ]
    assert text.splitlines()[4].startswith("reverse_compute_at(add1_write0, ")
    assert str(Trace.parse(text)) == text
    assert str(Schedule(original.clone()).replay(Trace.parse(text)).func) == str(
        schedule.func
    )


ERRORS = {
    "cache_read: reads index 3 is out of range: the block declares 2 reads": (
        ADD,
        "cache_read(add1, 3)",
    ),
    "reverse_compute_at: the block must read the buffer written under the loop at "
    "its iteration variables, each once": (
        STENCIL,
        "reverse_compute_at(pair, double[0])",
    ),
    'cache_write: block "sum_init1" also writes the buffer': (
        SUM,
        "cache_write(sum_update2, 0)",
    ),
    "compute_at: the block must come before the loop (a producer)": (
        STENCIL,
        "compute_at(pair, double[0])",
    ),
    "compute_at: the block must have only spatial iteration variables": (
        SUM,
        "compute_at(sum_update2, sum_init1[0])",
    ),
    "compute_at: no block under the loop reads what the block writes": (
        MATMUL_INIT,
        "cache_read(mm, 0); cache_read(mm, 1); compute_at(mm_read0, mm_read1[0])",
    ),
    'compute_at: cannot bound an index of block "pair"': (
        STENCIL,
        "fuse(pair[0], pair[1]); split(pair[0], [None, 8]); compute_at(double, pair[0])",
    ),
    'reverse_compute_at: block "mm" reduces over the loop or a loop above it': (
        MATMUL_INIT,
        "cache_write(mm, 0); reverse_compute_at(mm_write0, mm[2])",
    ),
    "reverse_compute_at: the block must come after the loop (a consumer)": (
        STENCIL,
        "reverse_compute_at(double, pair[0])",
    ),
    "compute_at: the block must be the only block in its loop nest": (
        SUM,
        "compute_at(sum_init1, sum_update2[1])",
    ),
}


@pytest.mark.parametrize("message", sorted(ERRORS))
def test_illegal_call_raises_and_changes_nothing(message: str) -> None:
    source, trace_text = ERRORS[message]
    assert_refused(source, trace_text, message)
