"""The thread count of parallel regions: `xunity.set_num_threads` / `get_num_threads`.

Compiled code runs its parallel loops on a runtime thread pool.  The JIT
shares one runtime per process (xunity/backends/llvm/runtime/), while every
library loaded with `load_module` carries its own; `set_num_threads` sets
the count of all of them, the libraries loaded later included, so one call
is the knob for everything this process runs.

The default, without a call (or after `set_num_threads(0)`), is
`$XUNITY_NUM_THREADS` if it is a positive number, else the CPUs this process
may use: its affinity mask (`taskset`, `os.sched_setaffinity`, a container's
cpuset), capped by its cgroup CPU quota (a container's `--cpus`), at least 1.
The runtime computes it, so exported libraries called from C get the same.
"""

from __future__ import annotations

import ctypes
import operator
import threading
from collections.abc import Callable

from xunity.backends.llvm import runtime as jit_runtime

_SetNumThreads = ctypes.CFUNCTYPE(None, ctypes.c_int32)
_INT32_MAX = 2**31 - 1

_lock = threading.Lock()
_requested = 0
"""The last count set (0: the default), applied to libraries as they load."""
_library_setters: list[Callable[[int], None]] = []


def set_num_threads(n: int) -> None:
    """Let each parallel region use `n` threads from its next launch on.

    `n <= 0` restores the default; counts above the runtime's maximum (64)
    are clamped.  Applies process-wide: the JIT's runtime and every library
    loaded with `load_module`.  A forked child inherits the count.
    """
    global _requested
    count = max(min(operator.index(n), _INT32_MAX), 0)
    with _lock:
        _requested = count
        jit_runtime.set_num_threads(count)
        for setter in _library_setters:
            setter(count)


def get_num_threads() -> int:
    """The threads a parallel region of compiled code may use (the default if
    none was set)."""
    return jit_runtime.get_num_threads()


def adopt_library_setter(address: int) -> None:
    """Follow `set_num_threads` in a loaded library: its XUSetNumThreads."""
    setter = _SetNumThreads(address)
    with _lock:
        _library_setters.append(setter)
        if _requested:
            setter(_requested)
