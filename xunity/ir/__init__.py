"""The ground layer: what every stage of xunity shares and nothing above it.

Symbolic dims (`symbolic`), source-located diagnostics (`diagnostics`),
symbolic dims as SSA index values (`sym_values`), the numeric constants of
the math expansions (`numerics`) and the names and codes of the compiled
functions' ABI (`abi`).  Modules here import only xDSL and the standard
library; tests/test_layers.py keeps it so.
"""
