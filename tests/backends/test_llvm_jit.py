"""LLVM back end: emission for the host, O3 vectorisation, JIT and object cache."""

import ctypes
from pathlib import Path

import numpy as np
import pytest

from xunity.backends.llvm.emit import emit_llvm_ir
from xunity.backends.llvm.jit import JitEngine
from xunity.backends.llvm.optimize import assembly, optimize
from xunity.backends.llvm.target import HostTarget
from xunity.dialects.context import make_context
from xunity.ir.diagnostics import parse_module

SAXPY = """
llvm.func @saxpy(%n: i64, %a: f32, %x: !llvm.ptr, %y: !llvm.ptr) {
  %c0 = llvm.mlir.constant(0 : i64) : i64
  %c1 = llvm.mlir.constant(1 : i64) : i64
  llvm.br ^loop(%c0 : i64)
^loop(%i: i64):
  %done = llvm.icmp "sge" %i, %n : i64
  llvm.cond_br %done, ^exit, ^body
^body:
  %px = llvm.getelementptr %x[%i] : (!llvm.ptr, i64) -> !llvm.ptr, f32
  %py = llvm.getelementptr %y[%i] : (!llvm.ptr, i64) -> !llvm.ptr, f32
  %vx = llvm.load %px : !llvm.ptr -> f32
  %vy = llvm.load %py : !llvm.ptr -> f32
  %m = llvm.fmul %a, %vx : f32
  %s = llvm.fadd %m, %vy : f32
  llvm.store %s, %py : f32, !llvm.ptr
  %next = llvm.add %i, %c1 : i64
  llvm.br ^loop(%next : i64)
^exit:
  llvm.return
}
"""

SaxpyFn = ctypes.CFUNCTYPE(
    None, ctypes.c_int64, ctypes.c_float, ctypes.c_void_p, ctypes.c_void_p
)


@pytest.fixture(scope="module")
def saxpy_ir() -> str:
    return emit_llvm_ir(parse_module(make_context(), SAXPY))


def test_emitted_ir_carries_the_host_triple_and_data_layout(saxpy_ir: str) -> None:
    target = HostTarget.detect()
    assert f'target triple = "{target.triple}"' in saxpy_ir
    assert f'target datalayout = "{target.data_layout}"' in saxpy_ir
    assert target.data_layout.startswith("e-")


def test_o3_vectorises_with_the_widest_registers(saxpy_ir: str) -> None:
    register = {512: "zmm", 256: "ymm", 128: "xmm"}[HostTarget.detect().vector_bits]
    assert register in assembly(optimize(saxpy_ir))


@pytest.mark.parametrize("n", [0, 1, 17, 1000])
def test_jit_compiled_saxpy_matches_numpy(
    saxpy_ir: str, tmp_path: Path, n: int
) -> None:
    engine = JitEngine(cache_dir=tmp_path)
    engine.add(saxpy_ir)
    saxpy = SaxpyFn(engine.address("saxpy"))
    rng = np.random.default_rng(n)
    x = rng.standard_normal(n).astype(np.float32)
    y = rng.standard_normal(n).astype(np.float32)
    expected = np.float32(2.5) * x + y
    saxpy(n, 2.5, x.ctypes.data, y.ctypes.data)
    np.testing.assert_allclose(y, expected, rtol=1e-6, atol=1e-6)


def test_second_engine_loads_the_object_from_the_cache(
    saxpy_ir: str, tmp_path: Path
) -> None:
    first = JitEngine(cache_dir=tmp_path)
    first.add(saxpy_ir)
    assert (first.cache.hits, first.cache.misses) == (0, 1)
    del first  # the engine and its target machine go; the cache stays
    second = JitEngine(cache_dir=tmp_path)
    second.add(saxpy_ir)
    assert (second.cache.hits, second.cache.misses) == (1, 0)
    x = np.ones(8, np.float32)
    y = np.zeros(8, np.float32)
    SaxpyFn(second.address("saxpy"))(8, 3.0, x.ctypes.data, y.ctypes.data)
    np.testing.assert_array_equal(y, np.full(8, 3.0, np.float32))


def test_a_changed_module_misses_the_cache(saxpy_ir: str, tmp_path: Path) -> None:
    engine = JitEngine(cache_dir=tmp_path)
    engine.add(saxpy_ir)
    engine.add(
        saxpy_ir.replace("@saxpy", "@saxpy_copy").replace('@"saxpy"', '@"saxpy_copy"')
    )
    assert engine.cache.misses == 2
    assert engine.address("saxpy_copy") != engine.address("saxpy")


def test_unknown_symbol_is_a_key_error(saxpy_ir: str, tmp_path: Path) -> None:
    engine = JitEngine(cache_dir=tmp_path)
    engine.add(saxpy_ir)
    with pytest.raises(KeyError, match="no compiled function named 'missing'"):
        engine.address("missing")


def test_invalid_llvm_ir_reports_llvm_message() -> None:
    with pytest.raises(RuntimeError, match="use of undefined value"):
        optimize("define void @f() {\n  %a = add i32 %x, 1\n  ret void\n}\n")
