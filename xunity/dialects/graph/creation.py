"""Graph ops: creation family (being written)."""

CREATION_OPS: tuple[type, ...] = ()
