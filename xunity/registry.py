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


DIALECTS: dict[str, Callable[[], Dialect]] = {
    "graph": _graph,
    "tir": _tir,
    "cpu": _cpu,
}


def _graph_specialize_shapes() -> type[ModulePass]:
    from xunity.transforms.graph_specialize_shapes import GraphSpecializeShapesPass

    return GraphSpecializeShapesPass


def _graph_simplify() -> type[ModulePass]:
    from xunity.transforms.graph_simplify import GraphSimplifyPass

    return GraphSimplifyPass


def _graph_legalize() -> type[ModulePass]:
    from xunity.transforms.graph_legalize import GraphLegalizePass

    return GraphLegalizePass


PASSES: dict[str, Callable[[], type[ModulePass]]] = {
    "graph-legalize": _graph_legalize,
    "graph-simplify": _graph_simplify,
    "graph-specialize-shapes": _graph_specialize_shapes,
}
