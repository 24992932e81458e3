"""Kernel definitions of graph ops: one table, op class -> rule.

Each family module exports `RULES`; adding an op's kernel is one entry plus
its rule.  `graph-legalize` (xunity/transforms/graph/graph_legalize.py) applies them.
"""

from xdsl.ir import Operation

from xunity.legalize import (
    attention,
    conv,
    creation,
    elementwise,
    linalg,
    manipulation,
    normalization,
    quantized,
    reduction,
)
from xunity.legalize.kernel_builder import LegalizeRule

LEGALIZE_RULES: dict[type[Operation], LegalizeRule] = {
    **conv.RULES,
    **attention.RULES,
    **elementwise.RULES,
    **reduction.RULES,
    **normalization.RULES,
    **linalg.RULES,
    **manipulation.RULES,
    **creation.RULES,
    **quantized.RULES,
}
