"""Names and codes shared by the compiler, the runtime and their callers.

The compiled functions follow tvm-ffi's packed-function ABI (docs/abi.md);
the symbols and codes below are spelled once here, because the lowering
passes emit them, the LLVM backend and the runtime IR implement them and
the Python side looks them up.
"""

DESTINATION_SUFFIX = "_out"
"""`<name>_out`: the destination-passing entry of graph function `<name>`."""

PROFILE_COUNTERS_ACCESSOR = "__xunity_profile_counters"
"""Returns the per-kernel (calls, nanoseconds) counters of a profiled build."""

PROFILE_NAMES_ACCESSOR = "__xunity_profile_names"
"""Returns the kernel names, in the order of the profile counters."""
