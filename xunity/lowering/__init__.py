"""Helpers of the lowering passes, each next to the stage it serves.

- tir kernels: `kernel_fusion` (merging a producer kernel into its consumer
  or the reverse), `fusion_policy` (which merges are chosen);
- tir -> cpu: `promote_accumulators` (loop-carried register accumulators);
- graph -> cpu: `memory_plan` (buffer reuse in graph functions);
- cpu/arith/math -> llvm: `llvm_patterns` (shared conversion helpers).

Only passes (xunity/transforms/) import these.
"""
