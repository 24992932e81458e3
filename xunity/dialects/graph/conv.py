"""Graph ops: conv family (being written)."""

CONV_OPS: tuple[type, ...] = ()
