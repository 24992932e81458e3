"""Graph ops: linalg family (being written)."""

LINALG_OPS: tuple[type, ...] = ()
