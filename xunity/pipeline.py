"""The lowering pipeline as objects: which passes run, in which order, with
which options.

`xunity.compile` runs `LowerToLlvmPass(...).passes()`; `xunity-opt -p
xunity-lower-to-llvm` runs the same list (the named pass is the pipeline
with default options), and so does `convert-to-llvm` for its tail.  Options
are fields, never edits of a pipeline string, and every pass in the list is
a named pass of its own: `xunity-opt` expands these pipeline passes before
running, so `--print-between-passes` and `--time-passes` show each step.

    graph-prepack-weights       f32 constant GEMM weights packed into panels
    graph-legalize              graph ops -> tir kernels (strategies first)
    graph-fuse-ops              choose producer/consumer merges
    tir-fuse-kernels            perform them
    tir-default-schedule        schedule rules for unscheduled kernels
    convert-tir-to-cpu          tir kernels -> cpu/scf/arith functions
    convert-graph-to-cpu        graph functions -> cpu packed functions
    cpu-profile-kernels         (profile=True) per-kernel counters
    cpu-expand-microkernels     micro-kernels -> scf loops of cpu vector ops
    convert-cpu-to-llvm         while cpu.parallel bodies are single blocks
    convert-scf-to-cf           (xDSL) the scf loops, cpu.parallel's included
    convert-math-to-llvm        emits arith (expansions), so before arith
    convert-arith-to-llvm       index -> i64 for every value arith produces
    convert-cf-to-llvm          block arguments -> i64
    convert-func-to-llvm        signatures -> i64, func.func -> llvm.func
    reconcile-unrealized-casts  (xDSL) drops the index <-> i64 bridges
    check-lowered-to-llvm       a cast left unreconciled is an error

Afterwards only llvm ops (and `cpu.packed_func`, which the LLVM emitter
expands) are left.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass, PassPipeline
from xdsl.transforms.convert_scf_to_cf import ConvertScfToCf
from xdsl.transforms.reconcile_unrealized_casts import ReconcileUnrealizedCastsPass

from xunity.transforms.cpu.convert_cpu_to_llvm import ConvertCpuToLlvmPass
from xunity.transforms.cpu.cpu_expand_microkernels import CpuExpandMicrokernelsPass
from xunity.transforms.cpu.cpu_profile_kernels import CpuProfileKernelsPass
from xunity.transforms.graph.convert_graph_to_cpu import ConvertGraphToCpuPass
from xunity.transforms.graph.graph_fuse_ops import GraphFuseOpsPass
from xunity.transforms.graph.graph_legalize import GraphLegalizePass
from xunity.transforms.graph.graph_prepack_weights import GraphPrepackWeightsPass
from xunity.transforms.llvm.check_lowered_to_llvm import CheckLoweredToLlvmPass
from xunity.transforms.llvm.convert_arith_to_llvm import ConvertArithToLlvmPass
from xunity.transforms.llvm.convert_cf_to_llvm import ConvertCfToLlvmPass
from xunity.transforms.llvm.convert_func_to_llvm import ConvertFuncToLlvmPass
from xunity.transforms.llvm.convert_math_to_llvm import ConvertMathToLlvmPass
from xunity.transforms.tir.convert_tir_to_cpu import ConvertTirToCpuPass
from xunity.transforms.tir.tir_default_schedule import TirDefaultSchedulePass
from xunity.transforms.tir.tir_fuse_kernels import TirFuseKernelsPass

Callback = Callable[[ModulePass | None, ModuleOp, ModulePass | None], None]


class PipelinePass(ModulePass):
    """A named pass that stands for a list of passes (MLIR's pass pipelines).

    Applied as one pass (e.g. inside a plain `xdsl-opt` pipeline) it runs its
    passes in order; `expand` replaces it by them, which `xunity-opt` does so
    that each shows in its own right.
    """

    @abstractmethod
    def passes(self) -> tuple[ModulePass, ...]:
        """The passes this one stands for, in order."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for inner in self.passes():
            inner.apply(ctx, op)


def expand(passes: Iterable[ModulePass]) -> tuple[ModulePass, ...]:
    """`passes` with every pipeline pass replaced by its passes, recursively."""
    flat: list[ModulePass] = []
    for each in passes:
        if isinstance(each, PipelinePass):
            flat.extend(expand(each.passes()))
        else:
            flat.append(each)
    return tuple(flat)


@dataclass(frozen=True)
class ConvertToLlvmPass(PipelinePass):
    """The output of convert-tir-to-cpu / convert-graph-to-cpu -> llvm dialect,
    in the order that keeps types legal (xDSL has no dialect conversion)."""

    name = "convert-to-llvm"

    vector_ldexp: bool = False
    """Passed to convert-math-to-llvm: the host has AVX-512's vector ldexp."""

    def passes(self) -> tuple[ModulePass, ...]:
        return (
            CpuExpandMicrokernelsPass(),
            ConvertCpuToLlvmPass(),
            ConvertScfToCf(),
            ConvertMathToLlvmPass(self.vector_ldexp),
            ConvertArithToLlvmPass(),
            ConvertCfToLlvmPass(),
            ConvertFuncToLlvmPass(),
            ReconcileUnrealizedCastsPass(),
            CheckLoweredToLlvmPass(),
        )


@dataclass(frozen=True)
class LowerToLlvmPass(PipelinePass):
    """Graph functions -> llvm dialect: the pipeline `xunity.compile` runs."""

    name = "xunity-lower-to-llvm"

    vector_ldexp: bool = False
    """exp/exp2 scale by 2^n with one vector ldexp (set when the host has
    AVX-512, where LLVM selects vscalefps; elsewhere it is a libm call)."""

    profile: bool = False
    """Count calls and nanoseconds of every kernel (`exe.profile()`)."""

    fuse: bool = True
    """Merge elementwise producers/consumers into their neighbours' kernels."""

    default_schedule: bool = True
    """Parallelise the kernels no strategy scheduled (tir-default-schedule)."""

    def passes(self) -> tuple[ModulePass, ...]:
        graph: list[ModulePass] = [GraphPrepackWeightsPass(), GraphLegalizePass()]
        if self.fuse:
            graph += [GraphFuseOpsPass(), TirFuseKernelsPass()]
        if self.default_schedule:
            graph.append(TirDefaultSchedulePass())
        graph += [ConvertTirToCpuPass(), ConvertGraphToCpuPass()]
        if self.profile:
            graph.append(CpuProfileKernelsPass())
        return (*graph, ConvertToLlvmPass(self.vector_ldexp))

    def run(self, ctx: Context, module: ModuleOp, callback: Callback | None = None):
        """Apply every pass in order, calling `callback` between them (xDSL's
        `PassPipeline` protocol: previous pass, module, next pass)."""
        PassPipeline(expand(self.passes()), callback).apply(ctx, module)

    def describe(self) -> str:
        """The expanded pipeline as `xunity-opt -p` text (the compile cache
        keys on it, so a changed option or pass list misses the cache)."""
        return ",".join(str(p.pipeline_pass_spec()) for p in expand(self.passes()))
