"""The graph dialect: Relax-level tensor programs with symbolic shapes.

Op families live in one module each; this package assembles the `Graph`
dialect from them.  Import op classes from here.
"""

from xdsl.ir import Dialect

from xunity.dialects.graph.elementwise import *  # noqa: F403
from xunity.dialects.graph.elementwise import ELEMENTWISE_OPS
from xunity.dialects.graph.types import DimsAttr, TensorType

GRAPH_OPS = (*ELEMENTWISE_OPS,)

Graph = Dialect("graph", list(GRAPH_OPS), [TensorType, DimsAttr])
