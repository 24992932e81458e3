"""Lazy name -> factory tables of xunity's dialects and passes.

Factories import on demand so that `xunity-opt --help` and `xdsl-opt` start
fast; `xunity-opt`, `xdsl-opt` (through the universe entry point) and the
Python API all read these two tables.
"""

from collections.abc import Callable

from xdsl.ir import Dialect
from xdsl.passes import ModulePass


def _graph() -> Dialect:
    from xunity.dialects.graph import Graph

    return Graph


def _tir() -> Dialect:
    from xunity.dialects.tir import Tir

    return Tir


def _cpu() -> Dialect:
    from xunity.dialects.cpu import Cpu

    return Cpu


def _llvm_extra() -> Dialect:
    from xunity.dialects.llvm_extra import LlvmExtra

    return LlvmExtra


DIALECTS: dict[str, Callable[[], Dialect]] = {
    "graph": _graph,
    "tir": _tir,
    "cpu": _cpu,
    "llvm_extra": _llvm_extra,
}


def _graph_specialize_shapes() -> type[ModulePass]:
    from xunity.transforms.graph_specialize_shapes import GraphSpecializeShapesPass

    return GraphSpecializeShapesPass


def _graph_prepack_weights() -> type[ModulePass]:
    from xunity.transforms.graph_prepack_weights import GraphPrepackWeightsPass

    return GraphPrepackWeightsPass


def _graph_simplify() -> type[ModulePass]:
    from xunity.transforms.graph_simplify import GraphSimplifyPass

    return GraphSimplifyPass


def _graph_legalize() -> type[ModulePass]:
    from xunity.transforms.graph_legalize import GraphLegalizePass

    return GraphLegalizePass


def _convert_tir_to_cpu() -> type[ModulePass]:
    from xunity.transforms.convert_tir_to_cpu import ConvertTirToCpuPass

    return ConvertTirToCpuPass


def _convert_graph_to_cpu() -> type[ModulePass]:
    from xunity.transforms.convert_graph_to_cpu import ConvertGraphToCpuPass

    return ConvertGraphToCpuPass


def _convert_arith_to_llvm() -> type[ModulePass]:
    from xunity.transforms.convert_arith_to_llvm import ConvertArithToLlvmPass

    return ConvertArithToLlvmPass


def _convert_math_to_llvm() -> type[ModulePass]:
    from xunity.transforms.convert_math_to_llvm import ConvertMathToLlvmPass

    return ConvertMathToLlvmPass


def _convert_cf_to_llvm() -> type[ModulePass]:
    from xunity.transforms.convert_cf_to_llvm import ConvertCfToLlvmPass

    return ConvertCfToLlvmPass


def _convert_func_to_llvm() -> type[ModulePass]:
    from xunity.transforms.convert_func_to_llvm import ConvertFuncToLlvmPass

    return ConvertFuncToLlvmPass


def _convert_cpu_to_llvm() -> type[ModulePass]:
    from xunity.transforms.convert_cpu_to_llvm import ConvertCpuToLlvmPass

    return ConvertCpuToLlvmPass


def _convert_to_llvm() -> type[ModulePass]:
    from xunity.transforms.convert_to_llvm import ConvertToLlvmPass

    return ConvertToLlvmPass


def _xunity_lower_to_llvm() -> type[ModulePass]:
    from xunity.transforms.xunity_lower_to_llvm import XunityLowerToLlvmPass

    return XunityLowerToLlvmPass


def _cpu_profile_kernels() -> type[ModulePass]:
    from xunity.transforms.cpu_profile_kernels import CpuProfileKernelsPass

    return CpuProfileKernelsPass


def _cpu_expand_microkernels() -> type[ModulePass]:
    from xunity.transforms.cpu_expand_microkernels import CpuExpandMicrokernelsPass

    return CpuExpandMicrokernelsPass


def _graph_fuse_ops() -> type[ModulePass]:
    from xunity.transforms.graph_fuse_ops import GraphFuseOpsPass

    return GraphFuseOpsPass


def _tir_fuse_kernels() -> type[ModulePass]:
    from xunity.transforms.tir_fuse_kernels import TirFuseKernelsPass

    return TirFuseKernelsPass


def _tir_apply_schedule() -> type[ModulePass]:
    from xunity.transforms.tir_apply_schedule import TirApplySchedulePass

    return TirApplySchedulePass


def _tir_default_schedule() -> type[ModulePass]:
    from xunity.transforms.tir_default_schedule import TirDefaultSchedulePass

    return TirDefaultSchedulePass


PASSES: dict[str, Callable[[], type[ModulePass]]] = {
    "cpu-expand-microkernels": _cpu_expand_microkernels,
    "cpu-profile-kernels": _cpu_profile_kernels,
    "xunity-lower-to-llvm": _xunity_lower_to_llvm,
    "convert-arith-to-llvm": _convert_arith_to_llvm,
    "convert-cf-to-llvm": _convert_cf_to_llvm,
    "convert-cpu-to-llvm": _convert_cpu_to_llvm,
    "convert-func-to-llvm": _convert_func_to_llvm,
    "convert-math-to-llvm": _convert_math_to_llvm,
    "convert-to-llvm": _convert_to_llvm,
    "convert-graph-to-cpu": _convert_graph_to_cpu,
    "convert-tir-to-cpu": _convert_tir_to_cpu,
    "graph-fuse-ops": _graph_fuse_ops,
    "graph-legalize": _graph_legalize,
    "graph-prepack-weights": _graph_prepack_weights,
    "graph-simplify": _graph_simplify,
    "graph-specialize-shapes": _graph_specialize_shapes,
    "tir-apply-schedule": _tir_apply_schedule,
    "tir-fuse-kernels": _tir_fuse_kernels,
    "tir-default-schedule": _tir_default_schedule,
}
