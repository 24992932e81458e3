"""`exe["f"](...)` from Python: zero-copy inputs, results owning runtime memory.

Inputs are numpy arrays or any DLPack producer (also read-only and
misaligned ones); results are numpy arrays over tensors the runtime
allocated, freed when the arrays die; calls release the GIL and run
concurrently.
"""

import gc
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import xunity

ADD_EXP = """
func.func @main(%a: !graph.tensor<[n, 37], f32>, %b: !graph.tensor<[37], f32>) -> !graph.tensor<[n, 37], f32> {
  %c = graph.add %a, %b : !graph.tensor<[n, 37], f32>, !graph.tensor<[37], f32> -> !graph.tensor<[n, 37], f32>
  %d = graph.exp %c : !graph.tensor<[n, 37], f32>
  func.return %d : !graph.tensor<[n, 37], f32>
}
"""

MATMUL = """
func.func @main(%x: !graph.tensor<[n, k], f32>, %w: !graph.tensor<[k, m], f32>) -> !graph.tensor<[n, m], f32> {
  %y = graph.matmul %x, %w : !graph.tensor<[n, k], f32>, !graph.tensor<[k, m], f32> -> !graph.tensor<[n, m], f32>
  func.return %y : !graph.tensor<[n, m], f32>
}
"""

TWO_RESULTS = """
func.func @main(%a: !graph.tensor<[n], i8>) -> (!graph.tensor<[n], i8>, !graph.tensor<[n, 1], i8>) {
  %b = graph.neg %a : !graph.tensor<[n], i8>
  %c = graph.reshape %b : !graph.tensor<[n], i8> -> !graph.tensor<[n, 1], i8>
  func.return %b, %c : !graph.tensor<[n], i8>, !graph.tensor<[n, 1], i8>
}
"""


@pytest.fixture(scope="module")
def add_exp() -> xunity.Executable:
    return xunity.compile(ADD_EXP)


@pytest.fixture(scope="module")
def matmul() -> xunity.Executable:
    return xunity.compile(MATMUL)


def _inputs(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(n)
    a = rng.standard_normal((n, 37)).astype(np.float32)
    return a, rng.standard_normal(37).astype(np.float32)


class Producer:
    """A DLPack producer that is not a numpy array (as a torch tensor would be)."""

    def __init__(self, array: np.ndarray):
        self._array = array
        self.exports = 0

    def __dlpack__(self, *, max_version: tuple[int, int] | None = None) -> object:
        self.exports += 1
        return self._array.__dlpack__(max_version=max_version)

    def __dlpack_device__(self) -> tuple[int, int]:
        return self._array.__dlpack_device__()


# ------------------------------------------------------------ results
def test_result_is_a_writable_array_over_aligned_runtime_memory(
    add_exp: xunity.Executable,
) -> None:
    a, b = _inputs(5)
    y = add_exp["main"](a, b)
    assert isinstance(y, np.ndarray) and y.shape == (5, 37) and y.dtype == np.float32
    assert y.flags.c_contiguous and y.flags.writeable
    assert y.ctypes.data % 64 == 0
    assert not np.shares_memory(y, a)
    np.testing.assert_allclose(y, np.exp(a + b), rtol=1e-6)
    y[0, 0] = 42.0
    assert y[0, 0] == 42.0


def test_result_goes_out_again_through_dlpack(add_exp: xunity.Executable) -> None:
    y = add_exp["main"](*_inputs(3))
    assert isinstance(y, np.ndarray)
    view = np.from_dlpack(y)
    assert np.shares_memory(view, y)
    del y  # view keeps the block: the next result cannot reuse it
    again = add_exp["main"](*_inputs(3))
    np.testing.assert_array_equal(view, again)


def test_results_are_freed_when_the_arrays_die(add_exp: xunity.Executable) -> None:
    a, b = np.ones((1 << 16, 37), np.float32), np.zeros(37, np.float32)  # 9.5 MB out
    add_exp["main"](a, b)
    before = _resident_bytes()
    for _ in range(60):
        add_exp["main"](a, b)  # 570 MB if nothing were freed
    assert _resident_bytes() - before < 100 << 20


def _resident_bytes() -> int:
    fields = Path("/proc/self/statm").read_text().split()
    return int(fields[1]) * 4096


def test_several_results_come_back_as_a_tuple_of_arrays() -> None:
    exe = xunity.compile(TWO_RESULTS)
    a = np.array([1, -2, 3, 127], np.int8)
    b, c = exe["main"](a)
    np.testing.assert_array_equal(b, -a)
    np.testing.assert_array_equal(c, (-a)[:, None])
    assert not np.shares_memory(b, c)
    del b
    np.testing.assert_array_equal(c, (-a)[:, None])  # each array owns its tensor


def test_zero_size_results(add_exp: xunity.Executable) -> None:
    a, b = _inputs(0)
    y = add_exp["main"](a, b)
    assert isinstance(y, np.ndarray) and y.shape == (0, 37)


# ------------------------------------------------------------ inputs
def test_dlpack_producers_are_accepted(add_exp: xunity.Executable) -> None:
    a, b = _inputs(4)
    pa, pb = Producer(a), Producer(b)
    np.testing.assert_allclose(add_exp["main"](pa, pb), np.exp(a + b), rtol=1e-6)
    assert (pa.exports, pb.exports) == (1, 1)


def test_torch_tensors_round_trip_through_dlpack(add_exp: xunity.Executable) -> None:
    import torch

    a, b = _inputs(4)
    y = add_exp["main"](torch.from_numpy(a), torch.from_numpy(b))
    as_torch = torch.from_dlpack(y)
    assert as_torch.data_ptr() == y.ctypes.data  # the result is shared, not copied
    np.testing.assert_allclose(as_torch.numpy(), np.exp(a + b), rtol=1e-6)


def test_read_only_inputs_are_accepted(add_exp: xunity.Executable) -> None:
    a, b = _inputs(4)
    a.flags.writeable = False
    np.testing.assert_allclose(add_exp["main"](a, b), np.exp(a + b), rtol=1e-6)


@pytest.mark.parametrize("offset", [1, 3, 15])
def test_misaligned_inputs_give_correct_results(
    add_exp: xunity.Executable, matmul: xunity.Executable, offset: int
) -> None:
    """Views `offset` floats into a 64-byte aligned buffer: 4-byte aligned only."""
    rng = np.random.default_rng(offset)

    def misaligned(*shape: int) -> np.ndarray:
        size = int(np.prod(shape))
        block = np.empty(size + offset + 16, np.float32)
        start = (-block.ctypes.data // 4) % 16 + offset  # 64-byte boundary + offset
        view = block[start : start + size].reshape(shape)
        view[...] = rng.standard_normal(shape)
        assert view.ctypes.data % 64 == 4 * offset
        return view

    a, b = misaligned(9, 37), misaligned(37)
    np.testing.assert_allclose(add_exp["main"](a, b), np.exp(a + b), rtol=1e-6)
    x, w = misaligned(33, 70), misaligned(70, 19)
    np.testing.assert_allclose(
        matmul["main"](x, w), x.astype(np.float64) @ w, rtol=1e-4, atol=1e-4
    )


@pytest.mark.parametrize(
    "b", [[1.0] * 37, np.zeros(37, object)], ids=["list", "object-array"]
)
def test_non_tensor_arguments_are_named(add_exp: xunity.Executable, b: object) -> None:
    with pytest.raises(
        xunity.XunityError,
        match=r"^main: argument 1 \(b\): expected a tensor, got an FFI value of type "
        r"index 1$",
    ):
        add_exp["main"](np.zeros((2, 37), np.float32), b)


def test_results_outlive_their_executable() -> None:
    exe = xunity.compile(ADD_EXP)
    a, b = _inputs(2)
    y = exe["main"](a, b)
    del exe
    gc.collect()
    np.testing.assert_allclose(y, np.exp(a + b), rtol=1e-6)
    del y  # freed by the process runtime, which outlives every engine


# ------------------------------------------------------------ threads
def test_two_threads_calling_one_function_get_their_own_results(
    matmul: xunity.Executable,
) -> None:
    main = matmul["main"]
    failures: list[str] = []

    def work(seed: int) -> None:
        rng = np.random.default_rng(seed)
        for n in range(1, 80):
            x = rng.standard_normal((n, 24)).astype(np.float32)
            w = rng.standard_normal((24, seed)).astype(np.float32)
            y = main(x, w)
            assert isinstance(y, np.ndarray)
            if y.shape != (n, seed) or not np.allclose(y, x @ w, rtol=1e-4, atol=1e-4):
                failures.append(f"thread {seed}, n = {n}")

    threads = [threading.Thread(target=work, args=(seed,)) for seed in (5, 11)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_calls_release_the_gil(matmul: xunity.Executable) -> None:
    """Python keeps running in this thread while another is inside a long call
    (2048^3: tens of milliseconds even for the packed GEMM)."""
    x = np.ones((2048, 2048), np.float32)
    matmul["main"](x, x)
    window: list[float] = []

    def call() -> None:
        start = time.perf_counter()
        matmul["main"](x, x)
        window.extend([start, time.perf_counter()])

    thread = threading.Thread(target=call)
    stamps: list[float] = []
    thread.start()
    while thread.is_alive():
        stamps.append(time.perf_counter())
    thread.join()
    start, end = window
    inside = [s for s in stamps if start < s < end]
    assert inside and max(inside) - min(inside) > 0.5 * (end - start)
