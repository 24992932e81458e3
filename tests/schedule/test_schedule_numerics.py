"""Schedules never change results: each scheduled kernel, compiled end to end
(graph-legalize -> schedule -> the rest of the pipeline), agrees with the
unscheduled kernel and numpy on random shapes, including a symbolic `n` the
split factors do not divide.  Also: traces print, parse and replay exactly,
and illegal primitives raise ScheduleError naming the primitive."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pytest
from schedule_harness import ADD, SUM, legalized
from schedule_harness import kernel as only_kernel

import xunity
from xunity.schedule import Schedule, ScheduleError, Trace

# Matrix x vector: the generic matmul kernel (f32 matrix products take the
# packed GEMM, whose structure is not the subject here).
MATMUL = """
func.func @main(%a: !graph.tensor<[n, 32], f32>, %b: !graph.tensor<[32], f32>) -> !graph.tensor<[n], f32> {
  %c = graph.matmul %a, %b : !graph.tensor<[n, 32], f32>, !graph.tensor<[32], f32> -> !graph.tensor<[n], f32>
  func.return %c : !graph.tensor<[n], f32>
}
"""


def _sum(a: np.ndarray) -> np.ndarray:
    return a.sum(axis=1)


Case = tuple[str, str, Callable[..., np.ndarray], list[tuple[int, ...]]]
CASES: dict[str, Case] = {
    "split_symbolic_guarded": (
        ADD,
        "split(add1[0], [None, 4])",
        np.add,
        [(-1, 64)] * 2,
    ),
    "split_constant_divisible_unroll": (
        ADD,
        "split(add1[1], [4, 16]); unroll(add1[2])",
        np.add,
        [(-1, 64)] * 2,
    ),
    "split_constant_remainder": (
        ADD,
        "split(add1[1], [None, 10]); split(add1[0], [3, None, 2])",
        np.add,
        [(-1, 64)] * 2,
    ),
    "reorder_transposes_iteration": (
        ADD,
        "reorder(add1[1], add1[0])",
        np.add,
        [(-1, 64)] * 2,
    ),
    "fuse_then_split_symbolic": (
        ADD,
        "fuse(add1[0], add1[1]); split(add1[0], [None, 48]); parallel(add1[0])",
        np.add,
        [(-1, 64)] * 2,
    ),
    "split_reorder_fuse_vectorize_parallel": (
        ADD,
        "split(add1[0], [None, 4]); split(add1[2], [None, 16]); "
        "reorder(add1[2], add1[1]); fuse(add1[0], add1[1]); "
        "vectorize(add1[2]); parallel(add1[0])",
        np.add,
        [(-1, 64)] * 2,
    ),
    "reduction_split_parallel": (
        SUM,
        "split(sum_update2[1], [None, 8]); unroll(sum_update2[2]); "
        "split(sum_init1[0], [None, 3]); parallel(sum_init1[0])",
        _sum,
        [(-1, 64)],
    ),
    "matmul_tiled": (
        MATMUL,
        # The default matrix-vector loops are (i parallel, k) for the update block.
        "split(matmul_update2[1], [None, 8]); split(matmul_update2[2], [None, 4]); "
        "unroll(matmul_update2[3])",
        np.matmul,
        [(-1, 32), (32,)],
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_schedule_keeps_results(name: str) -> None:
    source, trace_text, reference, shapes = CASES[name]
    plain = xunity.compile(legalized(source))
    module = legalized(source)
    Schedule(only_kernel(module)).replay(Trace.parse(trace_text))
    module.verify()
    scheduled = xunity.compile(module)
    rng = np.random.default_rng(0)
    for n in (1, 5, 13, 37):
        inputs = [
            rng.standard_normal([n if d == -1 else d for d in shape]).astype(np.float32)
            for shape in shapes
        ]
        got = scheduled["main"](*inputs)
        np.testing.assert_allclose(got, plain["main"](*inputs), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(got, reference(*inputs), rtol=1e-5, atol=1e-5)


def test_trace_prints_parses_and_replays_identically() -> None:
    _, trace_text, _, _ = CASES["split_reorder_fuse_vectorize_parallel"]
    module = legalized(ADD)
    original = only_kernel(module)
    schedule = Schedule(original.clone()).replay(Trace.parse(trace_text))
    text = str(schedule.trace)
    assert text.count("\n") == 6
    assert text.startswith("split(add1[0], [None, 4])\n")
    reparsed = Trace.parse(text)
    assert str(reparsed) == text
    assert str(Schedule(original.clone()).replay(reparsed).func) == str(schedule.func)
    assert "tir.for" in str(original) and "scf.if" not in str(original)


def test_schedule_api_returns_new_loops() -> None:
    kernel = only_kernel(legalized(ADD))
    schedule = Schedule(kernel)
    block = schedule.get_block("add1")
    i, j = schedule.get_loops(block)
    jo, ji = schedule.split(j, [None, 16])
    schedule.vectorize(ji)
    fused = schedule.fuse(i, jo)
    schedule.parallel(fused)
    kernel.verify()
    assert schedule.get_loops(block) == [fused, ji]
    assert str(schedule.trace) == (
        "split(add1[1], [None, 16])\nvectorize(add1[2])\n"
        "fuse(add1[0], add1[1])\nparallel(add1[0])\n"
    )


ERRORS = {
    "vectorize: the loop needs a constant extent": (ADD, "vectorize(add1[0])"),
    "split: a symbolic extent needs one factor None": (ADD, "split(add1[0], [4, 4])"),
    "split: factors [2, 2] (product 4) do not cover extent 64": (
        ADD,
        "split(add1[1], [2, 2])",
    ),
    "parallel: the loop is bound to a reduce iteration variable": (
        SUM,
        "parallel(sum_update2[1])",
    ),
    "reorder: the loops must be perfectly nested": (
        SUM,
        "reorder(sum_update2[1], sum_update2[0])",
    ),
    "parallel: parallel loops must not nest": (
        ADD,
        "parallel(add1[0]); parallel(add1[1])",
    ),
    "get_block: no block named": (ADD, "unroll(nope[0])"),
    "trace: line 1: unknown primitive": (ADD, "frobnicate(add1[0])"),
}


@pytest.mark.parametrize("message", sorted(ERRORS))
def test_illegal_schedule_raises(message: str) -> None:
    source, trace_text = ERRORS[message]
    kernel = only_kernel(legalized(source))
    before = str(kernel)
    with pytest.raises(ScheduleError, match=re.escape(message)):
        Schedule(kernel).replay(Trace.parse(trace_text))
    if ";" not in trace_text:
        assert str(kernel) == before
