"""Passes over the cpu stage: profiling counters, micro-kernel expansion and
the conversion of cpu ops to the llvm dialect."""
