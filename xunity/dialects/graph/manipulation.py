"""Graph ops: manipulation family (being written)."""

MANIPULATION_OPS: tuple[type, ...] = ()
