"""The KV cache: every layer's keys and values, in the caller's memory.

How the IR models it: the compiled step function is pure (see
`xunity.models.llama.build_step_graph`).  It takes the cached past as an
input and returns the new positions' keys and values as outputs; the cache
is one preallocated array per kind, `[capacity, layers, kv_heads, head_dim]`,
position-major, so that

- the past (positions `0..length-1`) is the contiguous view `keys[:length]`,
  passed in without copying, and
- the new rows `keys[length:length + n]` are the step's *destination*: the
  destination-passing entry point writes the new keys straight into the
  cache, so appending costs no copy either.

TVM keeps its paged cache as a runtime object mutated by packed functions;
here the graph never sees mutation, aliasing or a cache type, and the
compiler's ordinary buffers, fusion and memory planning apply unchanged.
What it costs: each step's attention reads the past through a concat with
the new rows (one copy of the past per layer and step), small next to the
weights at the contexts we serve; a paged or in-place layout can replace
this class without touching the graph's semantics.

The arrays are anonymous memory the OS zero-fills on first touch, advised
into 2 MB pages where the kernel allows it: a long capacity costs resident
memory only for the positions written, and filling it faults once per 2 MB
rather than once per 4 KB.  (A SmolLM2 decode step writes a 23 KB row per
kind; with 4 KB pages, first-touch faults made the step's final concat into
the cache 54 us instead of 6.)
"""

from __future__ import annotations

import mmap

import numpy as np


def zeroed_array(shape: tuple[int, ...]) -> np.ndarray:
    """A float32 array of zeros in fresh anonymous memory (2 MB pages advised)."""
    count = int(np.prod(shape))
    memory = mmap.mmap(-1, max(count * 4, 1))
    if hasattr(mmap, "MADV_HUGEPAGE"):
        memory.madvise(mmap.MADV_HUGEPAGE)
    return np.frombuffer(memory, np.float32, count).reshape(shape)


class ContextFullError(ValueError):
    """More positions than the cache was made for."""


class KVCache:
    """Keys and values of up to `capacity` positions, and how many are filled."""

    def __init__(self, capacity: int, layers: int, kv_heads: int, head_dim: int):
        if capacity < 1:
            raise ValueError(f"KV cache capacity must be positive, got {capacity}")
        shape = (capacity, layers, kv_heads, head_dim)
        self.keys = zeroed_array(shape)
        self.values = zeroed_array(shape)
        self.length = 0

    @property
    def capacity(self) -> int:
        return self.keys.shape[0]

    def past(self) -> tuple[np.ndarray, np.ndarray]:
        """Views of the filled positions, the step's past inputs."""
        return self.keys[: self.length], self.values[: self.length]

    def slots(self, count: int) -> tuple[np.ndarray, np.ndarray]:
        """Views of the next `count` positions, the step's destinations.

        Raises ContextFullError, naming the limit, if they do not fit.
        """
        end = self.length + count
        if end > self.capacity:
            raise ContextFullError(
                f"{count} new tokens after {self.length} do not fit the context "
                f"of {self.capacity} tokens"
            )
        return self.keys[self.length : end], self.values[self.length : end]

    def advance(self, count: int) -> None:
        """Count the `count` positions just written through `slots`."""
        if not 0 <= self.length + count <= self.capacity:
            raise ContextFullError(f"cannot advance {count} from {self.length}")
        self.length += count

    def truncate(self, length: int) -> None:
        """Forget positions `length..` (a shared prompt prefix keeps the rest)."""
        if not 0 <= length <= self.length:
            raise ValueError(f"cannot truncate to {length} of {self.length} positions")
        self.length = length
