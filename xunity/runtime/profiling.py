"""Per-kernel timing tables read from code compiled with `cpu-profile-kernels`."""

from __future__ import annotations

import ctypes
from dataclasses import dataclass

from xunity.ir.abi import PROFILE_COUNTERS_ACCESSOR, PROFILE_NAMES_ACCESSOR
from xunity.runtime.symbols import SymbolTable


@dataclass(frozen=True)
class KernelTiming:
    kernel: str
    calls: int
    total_ns: int

    @property
    def mean_us(self) -> float:
        return self.total_ns / self.calls / 1e3 if self.calls else 0.0


@dataclass(frozen=True)
class Profile:
    """Kernel timings, most expensive first; `str()` is a printable table."""

    rows: tuple[KernelTiming, ...]

    @property
    def total_ns(self) -> int:
        return sum(row.total_ns for row in self.rows)

    def __str__(self) -> str:
        width = max([len("kernel"), *(len(r.kernel) for r in self.rows)])
        header = f"{'calls':>7}  {'total ms':>10}  {'mean us':>10}  {'%':>6}"
        lines = [f"{'kernel':<{width}}  {header}"]
        total = self.total_ns or 1
        for row in self.rows:
            lines.append(
                f"{row.kernel:<{width}}  {row.calls:>7}  {row.total_ns / 1e6:>10.3f}  "
                f"{row.mean_us:>10.2f}  {100 * row.total_ns / total:>6.1f}"
            )
        return "\n".join(lines)


class ProfileCounters:
    """The counters of one compiled module (JIT engine or loaded library)."""

    def __init__(self, symbols: SymbolTable):
        lookup = symbols.address
        counters = ctypes.CFUNCTYPE(ctypes.c_void_p)(
            lookup(PROFILE_COUNTERS_ACCESSOR)
        )()
        names = ctypes.CFUNCTYPE(ctypes.c_char_p)(lookup(PROFILE_NAMES_ACCESSOR))()
        self.kernels = [n for n in (names or b"").decode().split("\n") if n]
        slots = 2 * max(len(self.kernels), 1)
        self._counts = (ctypes.c_int64 * slots).from_address(counters)

    def reset(self) -> None:
        for index in range(len(self._counts)):
            self._counts[index] = 0

    def read(self) -> Profile:
        rows = [
            KernelTiming(name, self._counts[2 * i], self._counts[2 * i + 1])
            for i, name in enumerate(self.kernels)
            if self._counts[2 * i]
        ]
        rows.sort(key=lambda row: row.total_ns, reverse=True)
        return Profile(tuple(rows))
