"""Graph ops: normalization family (being written)."""

NORMALIZATION_OPS: tuple[type, ...] = ()
