"""The memory planner: symbolic offsets that never overlap live buffers, and
that share storage enough to matter (a 10-op chain, compiled and checked
against numpy too)."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest
from xdsl.dialects import func

import xunity
from xunity.dialects.context import make_context
from xunity.ir.diagnostics import parse_module
from xunity.ir.symbolic import SymExpr
from xunity.lowering.memory_plan import (
    ALIGN_BYTES,
    Buffer,
    MemoryPlan,
    align_up,
    plan_memory,
    provably_ge,
)
from xunity.transforms.graph.convert_graph_to_cpu import intermediate_buffers
from xunity.transforms.graph.graph_legalize import GraphLegalizePass

n = SymExpr.of("n")
m = SymExpr.of("m")


def assert_valid(plan: MemoryPlan, env: dict[str, int]) -> None:
    """Brute force: aligned offsets, inside the arena, no two live buffers overlap."""
    arena = plan.arena.evaluate(env)
    spans = []
    for buffer, offset in zip(plan.buffers, plan.offsets, strict=True):
        start, size = offset.evaluate(env), buffer.size.evaluate(env)
        assert start % ALIGN_BYTES == 0, (buffer, offset, env)
        assert start >= 0 and start + size <= arena, (buffer, offset, env)
        spans.append((start, start + size))
    assert arena >= plan.peak_bytes(env)
    for (a, span_a), (b, span_b) in itertools.combinations(
        zip(plan.buffers, spans, strict=True), 2
    ):
        if not a.overlaps(b) or span_a[0] == span_a[1] or span_b[0] == span_b[1]:
            continue
        assert span_a[1] <= span_b[0] or span_b[1] <= span_a[0], (a, b, env)


# ----------------------------------------------------------- the planner alone


def test_no_buffers_need_no_arena() -> None:
    plan = plan_memory([])
    assert plan.arena == SymExpr.of(0) and plan.offsets == ()


def test_disjoint_lifetimes_share_an_offset() -> None:
    plan = plan_memory([Buffer(1024 * n, 0, 1), Buffer(1024 * n, 2, 3)])
    assert plan.offsets == (SymExpr.of(0), SymExpr.of(0))
    assert plan.arena == 1024 * n


def test_overlapping_lifetimes_get_disjoint_offsets() -> None:
    plan = plan_memory([Buffer(1024 * n, 0, 1), Buffer(1024 * n, 1, 2)])
    assert plan.offsets == (SymExpr.of(0), 1024 * n)
    assert plan.arena == 2048 * n


def test_small_buffer_reuses_a_dead_large_one() -> None:
    """[big][small live with big] then two small ones after big died fit in big's space."""
    buffers = [
        Buffer(4096 * n, 0, 1),
        Buffer(1024 * n, 1, 2),
        Buffer(1024 * n, 2, 3),
        Buffer(1024 * n, 3, 4),
    ]
    plan = plan_memory(buffers)
    assert plan.arena == 5120 * n
    assert_valid(plan, {"n": 3})


def test_offsets_are_rounded_up_to_64_bytes() -> None:
    plan = plan_memory([Buffer(4 * n + 4, 0, 1), Buffer(4 * n, 0, 1)])
    for value in (0, 1, 5, 16, 17, 1000):
        assert_valid(plan, {"n": value})
    assert plan.arena.evaluate({"n": 1}) == 128


def test_last_use_before_definition_is_rejected() -> None:
    with pytest.raises(ValueError, match="last use 1 precedes its definition 2"):
        Buffer(n, 2, 1)


@pytest.mark.parametrize(
    ("lhs", "rhs", "expected"),
    [
        (1024 * n, 256 * n, True),
        (256 * n, 1024 * n, False),
        (n * m + n, n * m, True),
        (n * m, 7 * n, False),  # incomparable either way
        (7 * n, n * m, False),
        (1024 * n, align_up(4 * n), True),  # through (4n ceildiv 64) <= 4n
        (align_up(4 * n), SymExpr.of(0), True),
        (n - 1, SymExpr.of(0), False),
        (SymExpr.of((n - 3).floordiv(2)), SymExpr.of(0), False),
    ],
)
def test_provable_comparison(lhs: SymExpr, rhs: SymExpr, expected: bool) -> None:
    assert provably_ge(lhs, rhs) is expected


def test_incomparable_sizes_stay_apart_at_every_binding() -> None:
    buffers = [
        Buffer(4 * n * m, 0, 2),
        Buffer(28 * n, 1, 3),
        Buffer(8 * m, 2, 4),
        Buffer(3 * n + 5, 0, 4),
        Buffer(4 * n * m, 3, 5),
    ]
    plan = plan_memory(buffers)
    for nv, mv in itertools.product((0, 1, 2, 7, 100), (0, 1, 3, 64, 1000)):
        assert_valid(plan, {"n": nv, "m": mv})


def test_random_programs_never_overlap_live_buffers() -> None:
    rng = random.Random(0)
    sizes = [
        1024 * n,
        4096 * n,
        4 * n,
        n * m * 4,
        2 * m + 6,
        SymExpr.of(100),
        SymExpr.of(0),
        n * n * 2,
        (n + 3).ceildiv(4) * 8,
    ]
    for _ in range(200):
        count = rng.randint(1, 12)
        buffers = []
        for _ in range(count):
            first = rng.randint(0, 10)
            buffers.append(Buffer(rng.choice(sizes), first, first + rng.randint(0, 4)))
        plan = plan_memory(buffers)
        for nv, mv in ((0, 0), (1, 1), (0, 5), (3, 0), (17, 2), (1024, 33)):
            assert_valid(plan, {"n": nv, "m": mv})


# ----------------------------------------------------------- a 10-op chain

T = "!graph.tensor<[n, 256], f32>"
W = "!graph.tensor<[256, 256], f32>"
ROW = "!graph.tensor<[256], f32>"
CHAIN = f"""
func.func @chain(%x: {T}, %w1: {W}, %w2: {W}, %b: {ROW}) -> {T} {{
  %1 = graph.matmul %x, %w1 : {T}, {W} -> {T}
  %2 = graph.add %1, %b : {T}, {ROW} -> {T}
  %3 = graph.relu %2 : {T}
  %4 = graph.matmul %3, %w2 : {T}, {W} -> {T}
  %5 = graph.tanh %4 : {T}
  %6 = graph.mul %5, %3 : {T}, {T} -> {T}
  %7 = graph.sigmoid %6 : {T}
  %8 = graph.matmul %7, %w1 : {T}, {W} -> {T}
  %9 = graph.sub %8, %6 : {T}, {T} -> {T}
  %10 = graph.neg %9 : {T}
  func.return %10 : {T}
}}
"""


def _chain_plan() -> MemoryPlan:
    module = parse_module(make_context(), CHAIN)
    GraphLegalizePass().apply(make_context(), module)
    graph_func = next(
        op
        for op in module.ops
        if isinstance(op, func.FuncOp) and op.sym_name.data == "chain"
    )
    return plan_memory(list(intermediate_buffers(graph_func).values()))


def test_chain_lifetimes_run_from_definition_to_last_use() -> None:
    buffers = _chain_plan().buffers
    assert len(buffers) == 9  # %10 is computed into the output
    assert [(b.first, b.last) for b in buffers] == [
        (0, 1),
        (1, 2),
        (2, 5),  # %3 feeds the mul at op 5
        (3, 4),
        (4, 5),
        (5, 8),  # %6 feeds the sub at op 8
        (6, 7),
        (7, 8),
        (8, 9),
    ]
    assert all(b.size == 1024 * n for b in buffers)


@pytest.mark.parametrize("size", [16, 1024])
def test_chain_arena_is_well_below_the_sum_of_intermediates(size: int) -> None:
    plan = _chain_plan()
    env = {"n": size}
    total = plan.total_bytes().evaluate(env)
    arena = plan.arena.evaluate(env)
    assert arena <= 0.4 * total, (arena, total)
    assert arena == plan.peak_bytes(env)  # three live at once, and no more


@pytest.mark.parametrize("size", [0, 1, 2, 16, 1024])
def test_chain_plan_never_overlaps_live_buffers(size: int) -> None:
    assert_valid(_chain_plan(), {"n": size})


@pytest.fixture(scope="module")
def chain() -> xunity.Executable:
    return xunity.compile(CHAIN)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


@pytest.mark.parametrize("size", [0, 1, 17, 64])
def test_chain_computes_what_numpy_computes(
    chain: xunity.Executable, size: int
) -> None:
    rng = np.random.default_rng(size)
    x = rng.standard_normal((size, 256), dtype=np.float32)
    w1 = rng.standard_normal((256, 256), dtype=np.float32) / 16
    w2 = rng.standard_normal((256, 256), dtype=np.float32) / 16
    b = rng.standard_normal(256, dtype=np.float32)
    t3 = np.maximum(x.astype(np.float64) @ w1 + b, 0)
    t6 = np.tanh(t3 @ w2) * t3
    expected = -(_sigmoid(t6) @ w1 - t6)
    out = chain["chain"](x, w1, w2, b)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)
