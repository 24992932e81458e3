"""An xDSL context with every xDSL dialect and xunity's, loaded on demand."""

from xdsl.context import Context
from xdsl.dialects import get_all_dialects

from xunity.registry import DIALECTS


def make_context() -> Context:
    ctx = Context()
    for name, factory in {**get_all_dialects(), **DIALECTS}.items():
        ctx.register_dialect(name, factory)
    return ctx
