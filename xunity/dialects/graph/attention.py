"""Graph ops: attention family (being written)."""

ATTENTION_OPS: tuple[type, ...] = ()
