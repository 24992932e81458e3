"""Weights of builder modules: `Parameter` (shape, dtype, value or how to
make one) and the dtype names the builder accepts.

Apart from `core` (the graph being built) and `nn` (the modules), so that
both can use them.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence

import numpy as np
from xdsl.ir import Attribute

from xunity.dialects.graph.types import ELEMENT_TYPES
from xunity.runtime.executable import numpy_dtype

DTYPES: dict[str, Attribute] = {str(t): t for t in ELEMENT_TYPES}
"""Element types by their IR spelling: "f32", "f16", "i64", "i1", ..."""


def element_type(dtype: str | Attribute) -> Attribute:
    if not isinstance(dtype, str):
        return dtype
    if dtype not in DTYPES:
        raise ValueError(f"unknown dtype {dtype!r}; expected one of {list(DTYPES)}")
    return DTYPES[dtype]


Init = Callable[[np.random.Generator, tuple[int, ...]], np.ndarray]
"""Makes a parameter's initial value from a generator and a shape."""


def normal_init(std: float) -> Init:
    return lambda rng, shape: rng.standard_normal(shape) * std


def constant_init(value: float) -> Init:
    return lambda rng, shape: np.full(shape, value)


class Parameter:
    """A named weight of a Module: shape, dtype, and a value once set or made."""

    def __init__(
        self,
        shape: Sequence[int],
        dtype: str = "f32",
        init: Init | None = None,
        torch_transposed: bool = False,
    ):
        self.shape = tuple(shape)
        self.dtype = numpy_dtype(element_type(dtype))
        self.init = init or normal_init(0.02)
        self.torch_transposed = torch_transposed
        """PyTorch stores this parameter transposed (nn.Linear's `[out, in]`)."""
        self.value: np.ndarray | None = None

    def assign(self, value: np.ndarray, torch_layout: bool = False) -> None:
        if torch_layout and self.torch_transposed:
            value = value.T
        if value.shape != self.shape:
            raise ValueError(f"expected shape {self.shape}, got {value.shape}")
        self.value = np.ascontiguousarray(value, dtype=self.dtype)

    def materialize(self, name: str) -> np.ndarray:
        """The value, made by `init` (seeded by `name`) if none was assigned."""
        if self.value is None:
            rng = np.random.default_rng(zlib.crc32(name.encode()))
            self.value = np.ascontiguousarray(self.init(rng, self.shape), self.dtype)
        return self.value
