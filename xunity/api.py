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
from dataclasses import replace
from pathlib import Path

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.rewriter import Rewriter

from xunity import compile_cache
from xunity.backends.llvm.emit import emit_llvm_ir
from xunity.backends.llvm.jit import JitEngine
from xunity.backends.llvm.runtime import runtime_ir
from xunity.backends.llvm.target import HostTarget
from xunity.dialects import tir
from xunity.dialects.context import make_context
from xunity.dialects.cpu import PackedFuncOp
from xunity.dialects.graph.creation import ConstantOp, WeightOp
from xunity.dialects.graph.types import TensorType
from xunity.ir.abi import DESTINATION_SUFFIX
from xunity.ir.diagnostics import parse_module, verify_located
from xunity.pipeline import LowerToLlvmPass
from xunity.runtime.executable import Executable, Signature, numpy_dtype
from xunity.transforms.graph.convert_graph_to_cpu import is_graph_function
from xunity.transforms.graph.graph_legalize import GraphLegalizePass


def host_pipeline(
    pipeline: LowerToLlvmPass | None = None, profile: bool = False
) -> LowerToLlvmPass:
    """`pipeline` (default options if None) with the options the host decides
    (vector ldexp on AVX-512) filled in, and profiling on if asked."""
    pipeline = pipeline or LowerToLlvmPass()
    return replace(
        pipeline,
        vector_ldexp=HostTarget.detect().has_vector_ldexp,
        profile=pipeline.profile or profile,
    )


def lower_to_llvm(module: ModuleOp, pipeline: LowerToLlvmPass | None = None) -> None:
    """Run the lowering pipeline in place (the host's options filled in)."""
    host_pipeline(pipeline).run(make_context(), module)


def legalize(program: str | ModuleOp) -> ModuleOp:
    """`program` (parsed, or a copy) with every graph op replaced by a call of
    its tir kernel (graph-legalize): where a hand schedule starts.

    `xunity.compile` takes the result, scheduled or not, like any program.
    """
    module = _parsed(program)
    GraphLegalizePass().apply(make_context(), module)
    return module


def kernels(module: ModuleOp) -> dict[str, func.FuncOp]:
    """The tir kernels of `module` by name.  graph-legalize names a kernel
    after its op and its position among the module's kernels (`graph_exp_0`),
    and each block after what it computes plus a counter within the kernel
    (`exp1`; a strategy's blocks say which step they are, `gemm_pack_a`)."""
    return {
        op.sym_name.data: op
        for op in module.ops
        if isinstance(op, func.FuncOp) and "tir.kernel" in op.attributes
    }


def kernel_with_block(module: ModuleOp, block: str) -> func.FuncOp:
    """The kernel of `module` holding a `tir.block` named `block`."""
    found = [
        kernel
        for kernel in kernels(module).values()
        if any(
            isinstance(op, tir.BlockOp) and op.block_name.data == block
            for op in kernel.walk()
        )
    ]
    if len(found) != 1:
        names = sorted(
            op.block_name.data
            for kernel in kernels(module).values()
            for op in kernel.walk()
            if isinstance(op, tir.BlockOp)
        )
        count = "no kernel" if not found else f"{len(found)} kernels"
        raise KeyError(f'{count} with a block "{block}"; blocks: {", ".join(names)}')
    return found[0]


def _parsed(program: str | ModuleOp) -> ModuleOp:
    if isinstance(program, str):
        return parse_module(make_context(), program, "<program>")
    module = program.clone()
    verify_located(module)
    return module


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
    pipeline: LowerToLlvmPass | None = None,
) -> Executable:
    """Compile every graph function of `program` for the host CPU.

    With `profile=True`, kernel calls are timed: `exe.profile()` returns the
    per-kernel table of the calls made since the last `exe.reset_profile()`.
    `pipeline` sets the lowering options (e.g. `LowerToLlvmPass(fuse=False)`);
    the host-derived ones are filled in.
    """
    if target != "llvm":
        raise ValueError(f"unknown target {target!r}; xunity compiles for 'llvm'")
    module = _parsed(program)
    engine = JitEngine(cache_dir=cache_dir)
    engine.add(runtime_ir(engine.target.triple, engine.target.data_layout))
    lowering = host_pipeline(pipeline, profile)
    options = f"{engine.target}|{lowering.describe()}"
    key = compile_cache.compile_key(str(module), params, options)
    compiled = compile_cache.load(engine.cache.directory, key)
    if compiled is None:
        compiled = _lower(module, params, engine, lowering)
        compile_cache.store(engine.cache.directory, key, compiled)
    engine.add(compiled.llvm_ir)
    return Executable(engine, compiled.functions, compiled.llvm_ir)


def _lower(
    module: ModuleOp,
    params: Mapping[str, np.ndarray] | None,
    engine: JitEngine,
    lowering: LowerToLlvmPass,
) -> compile_cache.CompiledProgram:
    """Bind weights, lower and emit: the part of a compile the cache skips."""
    if params is not None:
        bind_weights(module, params)
    graph_functions = signatures(module)
    lowering.run(make_context(), module)
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
