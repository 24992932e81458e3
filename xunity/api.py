"""`xunity.compile`: from a graph program to functions callable from Python.

    exe = xunity.compile(text_or_module)
    y = exe["main"](x, w)          # numpy arrays (or DLPack producers) in,
                                   # numpy arrays owning runtime memory out

The program is parsed (with source locations), weights are bound from
`params`, and the module goes through the lowering chain of
docs/lowering.md; the LLVM IR is compiled for the host CPU (cached on disk)
and loaded into an in-process JIT together with the runtime.  A program
compiled before (same text, weights, options and compiler) comes from the
whole-compile cache (xunity/compile_cache.py) without being lowered again.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import PassPipeline
from xdsl.rewriter import Rewriter

from xunity import compile_cache
from xunity.backends.llvm.emit import emit_llvm_ir
from xunity.backends.llvm.jit import JitEngine
from xunity.backends.llvm.runtime import runtime_ir
from xunity.backends.llvm.target import HostTarget
from xunity.context import make_context
from xunity.dialects.cpu import PackedFuncOp
from xunity.dialects.graph.creation import ConstantOp, WeightOp
from xunity.dialects.graph.types import TensorType
from xunity.ir.diagnostics import parse_module, verify_located
from xunity.registry import PASSES
from xunity.runtime.executable import Executable, Signature, numpy_dtype
from xunity.transforms.convert_graph_to_cpu import (
    DESTINATION_SUFFIX,
    is_graph_function,
)

LOWER_TO_LLVM = (
    "graph-prepack-weights,graph-legalize,graph-fuse-ops,tir-fuse-kernels,tir-default-schedule,"
    "convert-tir-to-cpu,convert-graph-to-cpu,convert-to-llvm"
)
"""The pass pipeline from graph functions to the llvm dialect."""


def lower_to_llvm(module: ModuleOp, profile: bool = False) -> None:
    """Run the lowering chain in place; `profile` times every kernel call."""
    ctx = make_context()
    available = {**_xdsl_passes(), **PASSES}
    pipeline = LOWER_TO_LLVM
    if HostTarget.detect().has_vector_ldexp:
        pipeline = pipeline.replace(
            "convert-to-llvm", "convert-to-llvm{vector-ldexp=true}"
        )
    if profile:
        pipeline = pipeline.replace(
            "convert-graph-to-cpu,", "convert-graph-to-cpu,cpu-profile-kernels,"
        )
    PassPipeline.parse_spec(available, pipeline).apply(ctx, module)


def _xdsl_passes():
    from xdsl.transforms import get_all_passes

    return get_all_passes()


def bind_weights(module: ModuleOp, params: Mapping[str, np.ndarray]) -> None:
    """Replace each `graph.weight "name"` by a constant holding `params[name]`."""
    for op in list(module.walk()):
        if not isinstance(op, WeightOp):
            continue
        name = op.weight_name.data
        if name not in params:
            raise KeyError(f'weight "{name}" has no value in params')
        value = np.ascontiguousarray(params[name])
        expected = op.result.type
        assert isinstance(expected, TensorType)
        want_shape = tuple(d.constant_value() for d in expected.shape)
        want_dtype = numpy_dtype(expected.element_type)
        if value.shape != want_shape or value.dtype != want_dtype:
            raise ValueError(
                f'weight "{name}": expected {want_dtype}{list(want_shape)}, '
                f"got {value.dtype}{list(value.shape)}"
            )
        Rewriter.replace_op(op, ConstantOp.from_numpy(value))


def signatures(module: ModuleOp) -> dict[str, Signature]:
    result: dict[str, Signature] = {}
    for op in module.ops:
        if is_graph_function(op):
            assert isinstance(op, func.FuncOp)
            kind = op.function_type
            inputs = tuple(t for t in kind.inputs if isinstance(t, TensorType))
            outputs = tuple(t for t in kind.outputs if isinstance(t, TensorType))
            result[op.sym_name.data] = Signature(inputs, outputs)
    return result


def compile(  # the natural name, as tvm.compile
    program: str | ModuleOp,
    target: str = "llvm",
    params: Mapping[str, np.ndarray] | None = None,
    cache_dir: Path | None = None,
    profile: bool = False,
) -> Executable:
    """Compile every graph function of `program` for the host CPU.

    With `profile=True`, kernel calls are timed: `exe.profile()` returns the
    per-kernel table of the calls made since the last `exe.reset_profile()`.
    """
    if target != "llvm":
        raise ValueError(f"unknown target {target!r}; xunity compiles for 'llvm'")
    if isinstance(program, str):
        module = parse_module(make_context(), program, "<program>")
    else:
        module = program.clone()
        verify_located(module)
    engine = JitEngine(cache_dir=cache_dir)
    engine.add(runtime_ir(engine.target.triple, engine.target.data_layout))
    options = f"profile={profile}|{engine.target}|{LOWER_TO_LLVM}"
    key = compile_cache.compile_key(str(module), params, options)
    compiled = compile_cache.load(engine.cache.directory, key)
    if compiled is None:
        compiled = _lower(module, params, engine, profile)
        compile_cache.store(engine.cache.directory, key, compiled)
    engine.add(compiled.llvm_ir)
    return Executable(engine, compiled.functions, compiled.llvm_ir)


def _lower(
    module: ModuleOp,
    params: Mapping[str, np.ndarray] | None,
    engine: JitEngine,
    profile: bool,
) -> compile_cache.CompiledProgram:
    """Bind weights, lower and emit: the part of a compile the cache skips."""
    if params is not None:
        bind_weights(module, params)
    graph_functions = signatures(module)
    lower_to_llvm(module, profile)
    program_ir = emit_llvm_ir(module, engine.target)
    entries = {*graph_functions, *(f"{g}{DESTINATION_SUFFIX}" for g in graph_functions)}
    kernels = [
        op.sym_name.data
        for op in module.ops
        if isinstance(op, PackedFuncOp) and op.sym_name.data not in entries
    ]
    functions: dict[str, Signature | None] = {name: None for name in kernels}
    functions.update(graph_functions)
    return compile_cache.CompiledProgram(program_ir, functions)
