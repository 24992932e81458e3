"""Write models directly in xunity, in the style of `torch.nn`.

    from xunity.frontends.builder import GraphBuilder, Linear

    b = GraphBuilder()
    y = Linear(384, 8)(b.input("x", ["n", 384]))
    module, params = b.build(y)
    exe = xunity.compile(module, params=params)

`core` holds the graph-building context (`GraphBuilder`, `Tensor`), `nn`
the modules.
"""

from xunity.frontends.builder.core import (
    GraphBuilder,
    Tensor,
    attention,
    concat,
    rotary,
    where,
)
from xunity.frontends.builder.nn import (
    MLP,
    Attention,
    Embedding,
    GatedMLP,
    LayerNorm,
    Linear,
    Module,
    ModuleList,
    Parameter,
    QuantLinear,
    RMSNorm,
    StackedQuantLinear,
    rotary_tables,
)

__all__ = [
    "MLP",
    "Attention",
    "Embedding",
    "GatedMLP",
    "GraphBuilder",
    "LayerNorm",
    "Linear",
    "Module",
    "ModuleList",
    "Parameter",
    "QuantLinear",
    "RMSNorm",
    "StackedQuantLinear",
    "Tensor",
    "attention",
    "concat",
    "rotary",
    "rotary_tables",
    "where",
]
