"""Per-kernel profiling of graph functions (xunity.compile(..., profile=True))."""

import numpy as np
import pytest

import xunity

# %0 has two uses, so kernel fusion leaves the three calls apart.
PROGRAM = """
func.func @main(%x: !graph.tensor<[n, 64], f32>, %w: !graph.tensor<[64, 64], f32>) -> (!graph.tensor<[n, 64], f32>, !graph.tensor<[n, 64], f32>) {
  %0 = graph.matmul %x, %w : !graph.tensor<[n, 64], f32>, !graph.tensor<[64, 64], f32> -> !graph.tensor<[n, 64], f32>
  %1 = graph.exp %0 : !graph.tensor<[n, 64], f32>
  %2 = graph.exp %0 : !graph.tensor<[n, 64], f32>
  func.return %1, %2 : !graph.tensor<[n, 64], f32>, !graph.tensor<[n, 64], f32>
}
"""


def _inputs() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 64)).astype(np.float32) / 8
    w = rng.standard_normal((64, 64)).astype(np.float32) / 8
    return x, w


def test_profile_counts_every_kernel_call() -> None:
    exe = xunity.compile(PROGRAM, profile=True)
    x, w = _inputs()
    exe.reset_profile()
    for _ in range(3):
        y, z = exe["main"](x, w)
    np.testing.assert_allclose(y, np.exp(x @ w), rtol=1e-5)
    np.testing.assert_array_equal(y, z)
    profile = exe.profile()
    calls = {row.kernel: row.calls for row in profile.rows}
    # the two exps share one kernel, called twice per run
    assert calls == {"graph_matmul_0": 3, "graph_exp_1": 6}
    assert all(row.total_ns > 0 for row in profile.rows)
    assert profile.total_ns == sum(row.total_ns for row in profile.rows)
    table = str(profile)
    assert table.splitlines()[0].split() == [
        "kernel",
        "calls",
        "total",
        "ms",
        "mean",
        "us",
        "%",
    ]
    assert "graph_matmul_0" in table and "graph_exp_1" in table


def test_reset_clears_the_counters() -> None:
    exe = xunity.compile(PROGRAM, profile=True)
    exe["main"](*_inputs())
    exe.reset_profile()
    assert exe.profile().rows == ()


def test_profiling_needs_a_profiled_build() -> None:
    exe = xunity.compile(PROGRAM)
    with pytest.raises(ValueError, match="compiled without profiling"):
        exe.profile()
