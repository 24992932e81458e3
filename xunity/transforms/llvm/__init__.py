"""Passes that finish the lowering to xDSL's llvm dialect: arith, math, cf
and func ops (xDSL has no such conversions of its own)."""
