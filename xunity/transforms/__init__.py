"""xunity's passes, one module per pass named after it, grouped by the stage
they start from: graph/, tir/, cpu/ and llvm/ (the passes that finish the
lowering to xDSL's llvm dialect).

Nothing here is imported by another pass module or by a lower layer: the
helpers the passes share live next to their stage (xunity/lowering/, the
schedule and strategy packages).  xunity/registry.py lists the passes by
name for `xunity-opt` and `xdsl-opt`; xunity/pipeline.py orders them into
the pipeline `xunity.compile` runs.
"""
