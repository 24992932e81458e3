"""The dialect table and the xDSL context that knows every dialect.

Dialects load on demand, so that `xunity-opt --help` and `xdsl-opt` start
fast; `xunity-opt`, `xdsl-opt` (through the universe entry point) and the
Python API all read `DIALECTS`.
"""

from collections.abc import Callable

from xdsl.context import Context
from xdsl.dialects import get_all_dialects
from xdsl.ir import Dialect


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


def make_context() -> Context:
    """A context with every xDSL dialect and xunity's (ours win on a clash)."""
    ctx = Context()
    for name, factory in {**get_all_dialects(), **DIALECTS}.items():
        ctx.register_dialect(name, factory)
    return ctx
