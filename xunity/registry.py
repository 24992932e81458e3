"""The pass table: name -> pass class, imported on demand.

Factories import lazily so that `xunity-opt --help` and `xdsl-opt` start
fast; `xunity-opt` and `xdsl-opt` (through the universe entry point) read
this table.  A new pass is one module in xunity/transforms/<stage>/ plus one
entry here (README, "Adding a pass").
"""

from collections.abc import Callable

from xdsl.passes import ModulePass


def _cpu_expand_microkernels() -> type[ModulePass]:
    from xunity.transforms.cpu.cpu_expand_microkernels import CpuExpandMicrokernelsPass

    return CpuExpandMicrokernelsPass


def _cpu_profile_kernels() -> type[ModulePass]:
    from xunity.transforms.cpu.cpu_profile_kernels import CpuProfileKernelsPass

    return CpuProfileKernelsPass


def _convert_cpu_to_llvm() -> type[ModulePass]:
    from xunity.transforms.cpu.convert_cpu_to_llvm import ConvertCpuToLlvmPass

    return ConvertCpuToLlvmPass


def _convert_arith_to_llvm() -> type[ModulePass]:
    from xunity.transforms.llvm.convert_arith_to_llvm import ConvertArithToLlvmPass

    return ConvertArithToLlvmPass


def _convert_cf_to_llvm() -> type[ModulePass]:
    from xunity.transforms.llvm.convert_cf_to_llvm import ConvertCfToLlvmPass

    return ConvertCfToLlvmPass


def _convert_func_to_llvm() -> type[ModulePass]:
    from xunity.transforms.llvm.convert_func_to_llvm import ConvertFuncToLlvmPass

    return ConvertFuncToLlvmPass


def _convert_math_to_llvm() -> type[ModulePass]:
    from xunity.transforms.llvm.convert_math_to_llvm import ConvertMathToLlvmPass

    return ConvertMathToLlvmPass


def _check_lowered_to_llvm() -> type[ModulePass]:
    from xunity.transforms.llvm.check_lowered_to_llvm import CheckLoweredToLlvmPass

    return CheckLoweredToLlvmPass


def _convert_graph_to_cpu() -> type[ModulePass]:
    from xunity.transforms.graph.convert_graph_to_cpu import ConvertGraphToCpuPass

    return ConvertGraphToCpuPass


def _graph_fuse_ops() -> type[ModulePass]:
    from xunity.transforms.graph.graph_fuse_ops import GraphFuseOpsPass

    return GraphFuseOpsPass


def _graph_legalize() -> type[ModulePass]:
    from xunity.transforms.graph.graph_legalize import GraphLegalizePass

    return GraphLegalizePass


def _graph_prepack_weights() -> type[ModulePass]:
    from xunity.transforms.graph.graph_prepack_weights import GraphPrepackWeightsPass

    return GraphPrepackWeightsPass


def _graph_simplify() -> type[ModulePass]:
    from xunity.transforms.graph.graph_simplify import GraphSimplifyPass

    return GraphSimplifyPass


def _graph_specialize_shapes() -> type[ModulePass]:
    from xunity.transforms.graph.graph_specialize_shapes import (
        GraphSpecializeShapesPass,
    )

    return GraphSpecializeShapesPass


def _convert_tir_to_cpu() -> type[ModulePass]:
    from xunity.transforms.tir.convert_tir_to_cpu import ConvertTirToCpuPass

    return ConvertTirToCpuPass


def _tir_apply_schedule() -> type[ModulePass]:
    from xunity.transforms.tir.tir_apply_schedule import TirApplySchedulePass

    return TirApplySchedulePass


def _tir_fuse_kernels() -> type[ModulePass]:
    from xunity.transforms.tir.tir_fuse_kernels import TirFuseKernelsPass

    return TirFuseKernelsPass


def _tir_default_schedule() -> type[ModulePass]:
    from xunity.transforms.tir.tir_default_schedule import TirDefaultSchedulePass

    return TirDefaultSchedulePass


def _convert_to_llvm() -> type[ModulePass]:
    from xunity.pipeline import ConvertToLlvmPass

    return ConvertToLlvmPass


def _xunity_lower_to_llvm() -> type[ModulePass]:
    from xunity.pipeline import LowerToLlvmPass

    return LowerToLlvmPass


PASSES: dict[str, Callable[[], type[ModulePass]]] = {
    "check-lowered-to-llvm": _check_lowered_to_llvm,
    "convert-arith-to-llvm": _convert_arith_to_llvm,
    "convert-cf-to-llvm": _convert_cf_to_llvm,
    "convert-cpu-to-llvm": _convert_cpu_to_llvm,
    "convert-func-to-llvm": _convert_func_to_llvm,
    "convert-graph-to-cpu": _convert_graph_to_cpu,
    "convert-math-to-llvm": _convert_math_to_llvm,
    "convert-tir-to-cpu": _convert_tir_to_cpu,
    "convert-to-llvm": _convert_to_llvm,
    "cpu-expand-microkernels": _cpu_expand_microkernels,
    "cpu-profile-kernels": _cpu_profile_kernels,
    "graph-fuse-ops": _graph_fuse_ops,
    "graph-legalize": _graph_legalize,
    "graph-prepack-weights": _graph_prepack_weights,
    "graph-simplify": _graph_simplify,
    "graph-specialize-shapes": _graph_specialize_shapes,
    "tir-apply-schedule": _tir_apply_schedule,
    "tir-default-schedule": _tir_default_schedule,
    "tir-fuse-kernels": _tir_fuse_kernels,
    "xunity-lower-to-llvm": _xunity_lower_to_llvm,
}
