"""What the weight readers share: their error type and a dict that explains misses.

A model loader asks for tensors by name; a typo or a naming convention from
another exporter should say which names the file does have, not just `KeyError`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from os import PathLike, fspath

import numpy as np


class WeightFileError(ValueError):
    """A weight file that cannot be read as asked: `<path>: <problem>`."""

    def __init__(self, path: str | PathLike[str], problem: str):
        self.path = fspath(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")

    def __str__(self) -> str:
        # KeyError (see MissingTensorError) would otherwise print the repr.
        return f"{self.path}: {self.problem}"


class MissingTensorError(WeightFileError, KeyError):
    """A tensor name the file does not hold; a `KeyError` so `in` and `.get` work."""

    def __init__(self, path: str | PathLike[str], name: str, available: Iterable[str]):
        self.name = name
        super().__init__(path, f"no tensor named '{name}'; {_suggest(name, available)}")


def _suggest(name: str, available: Iterable[str]) -> str:
    names = sorted(available)
    if not names:
        return "the file holds no tensors"
    close = difflib.get_close_matches(name, names, n=5, cutoff=0.6)
    if close:
        return "close names: " + ", ".join(close)
    shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
    return f"the file holds {len(names)} tensors: {shown}"


def bf16_bits_to_float32(bits: np.ndarray) -> np.ndarray:
    """Widen bfloat16 bits (uint16) to float32: exact, bf16 is f32's high half."""
    return (bits.astype(np.uint32) << 16).view(np.float32)


class TensorDict(dict[str, np.ndarray]):
    """Tensors by name; a missing name raises `MissingTensorError` naming close ones."""

    def __init__(self, path: str | PathLike[str], tensors: dict[str, np.ndarray]):
        super().__init__(tensors)
        self.path = fspath(path)

    def __missing__(self, name: str) -> np.ndarray:
        raise MissingTensorError(self.path, name, self.keys())
