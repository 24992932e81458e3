"""Graph ops: reduction family (being written)."""

REDUCTION_OPS: tuple[type, ...] = ()
