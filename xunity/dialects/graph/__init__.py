"""The graph dialect: Relax-level tensor programs with symbolic shapes.

Op families live in one module each; this package assembles the `Graph`
dialect from their `*_OPS` tuples.  Import op classes from the family modules.
"""

from xdsl.ir import Dialect

from xunity.dialects.graph.attention import ATTENTION_OPS
from xunity.dialects.graph.call import CALL_OPS
from xunity.dialects.graph.conv import CONV_OPS
from xunity.dialects.graph.creation import CREATION_OPS
from xunity.dialects.graph.elementwise import ELEMENTWISE_OPS
from xunity.dialects.graph.linalg import LINALG_OPS
from xunity.dialects.graph.manipulation import MANIPULATION_OPS
from xunity.dialects.graph.normalization import NORMALIZATION_OPS
from xunity.dialects.graph.quantized import QUANTIZED_OPS
from xunity.dialects.graph.reduction import REDUCTION_OPS
from xunity.dialects.graph.types import DimsAttr, TensorType

GRAPH_OPS = (
    *CREATION_OPS,
    *ELEMENTWISE_OPS,
    *LINALG_OPS,
    *QUANTIZED_OPS,
    *REDUCTION_OPS,
    *NORMALIZATION_OPS,
    *MANIPULATION_OPS,
    *CONV_OPS,
    *ATTENTION_OPS,
    *CALL_OPS,
)

Graph = Dialect("graph", list(GRAPH_OPS), [TensorType, DimsAttr])
