"""A large module compiled in parts, in parallel processes (split.py, jit.py)."""

import multiprocessing
import os
import re
from pathlib import Path

import llvmlite.binding as llvm
import numpy as np
import pytest

import xunity
import xunity.backends.llvm.jit as jit
from xunity.api import lower_to_llvm
from xunity.backends.llvm.emit import emit_llvm_ir
from xunity.backends.llvm.split import split_module
from xunity.backends.llvm.target import initialize_llvm

T = "!graph.tensor<[n, 64], f32>"
PROGRAM = f"""
func.func @main(%x: {T}, %w: !graph.tensor<[64, 64], f32>, %g: !graph.tensor<[64], f32>) -> {T} {{
  %0 = graph.matmul %x, %w : {T}, !graph.tensor<[64, 64], f32> -> {T}
  %1 = graph.softmax %0 axis = -1 : {T}
  %2 = graph.layer_norm %1, %g, %g axes = [-1] eps = 1.000000e-05 : {T}, !graph.tensor<[64], f32>, !graph.tensor<[64], f32>
  %3 = graph.matmul %2, %w : {T}, !graph.tensor<[64, 64], f32> -> {T}
  func.return %3 : {T}
}}
"""
DEFINED = re.compile(r'^define (?:internal )?.*?@"([^"]+)"\(', re.MULTILINE)


def reference(x: np.ndarray, w: np.ndarray, g: np.ndarray) -> np.ndarray:
    scores = x @ w
    e = np.exp(scores - scores.max(-1, keepdims=True))
    p = e / e.sum(-1, keepdims=True)
    mean, var = p.mean(-1, keepdims=True), p.var(-1, keepdims=True)
    return ((p - mean) / np.sqrt(var + 1e-5) * g + g) @ w


@pytest.fixture(scope="module")
def program_ir() -> str:
    module = xunity.legalize(PROGRAM)
    lower_to_llvm(module)
    return emit_llvm_ir(module)


def test_every_function_defined_in_exactly_one_part(program_ir: str) -> None:
    parts = split_module(program_ir, 2)
    assert parts is not None and len(parts) == 2
    whole = sorted(DEFINED.findall(program_ir))
    assert sorted(name for part in parts for name in DEFINED.findall(part)) == whole
    initialize_llvm()
    for part in parts:
        llvm.parse_assembly(part).verify()  # declarations resolve, constants present


def test_outlined_bodies_stay_with_their_kernel(program_ir: str) -> None:
    """A kernel's parallel bodies are internal and used by it alone: one family."""
    parts = split_module(program_ir, 2)
    assert parts is not None
    for part in parts:
        for name in DEFINED.findall(part):
            kernel = re.sub(r"_par\d+$", "", name)
            if kernel != name:
                assert (
                    f'@"{kernel}"(' in part.split(f'define internal i32 @"{name}"')[0]
                )


def test_a_mutable_global_keeps_the_module_whole() -> None:
    text = "\n".join(
        [
            '@"counter" = global i64 0',
            'define void @"a"()',
            "{",
            "entry:",
            '  %".1" = load i64, ptr @"counter"',
            "  ret void",
            "}",
            'define void @"b"()',
            "{",
            "entry:",
            "  ret void",
            "}",
        ]
    )
    assert split_module(text, 2) is None


def test_split_compile_runs_like_the_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every module split into two parts compiled in two processes: the
    program computes what numpy does, and each part was compiled once."""
    monkeypatch.setattr(jit, "SPLIT_LINES", 0)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    exe = xunity.compile(PROGRAM, cache_dir=tmp_path)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 64), dtype=np.float32)
    w = rng.standard_normal((64, 64), dtype=np.float32) / 8
    g = rng.standard_normal(64, dtype=np.float32)
    out = exe["main"](x, w, g)
    np.testing.assert_allclose(out, reference(x, w, g), rtol=1e-4, atol=1e-4)
    assert exe.engine.cache.misses >= 3  # the runtime, then the program's 2 parts


def _compile_and_run(cache_dir: str) -> float:
    jit.SPLIT_LINES = 0
    os.sched_getaffinity = lambda pid: {0, 1}  # type: ignore[assignment]
    exe = xunity.compile(PROGRAM, cache_dir=Path(cache_dir))
    x = np.ones((2, 64), np.float32)
    w = np.eye(64, dtype=np.float32)
    return float(exe["main"](x, w, np.ones(64, np.float32)).sum())


def test_a_daemonic_worker_compiles_in_process(tmp_path: Path) -> None:
    """multiprocessing.Pool's workers are daemonic and may not start
    processes: there the parts compile one after the other."""
    context = multiprocessing.get_context("fork")
    with context.Pool(1) as pool:
        total = pool.apply(_compile_and_run, (str(tmp_path),))
    assert np.isfinite(total)
