"""Graph ops: call family (being written)."""

CALL_OPS: tuple[type, ...] = ()
