"""Compiled functions callable from Python with numpy arrays.

A `PackedFunction` allocates the outputs of a graph function (destination
passing at the ABI) from the symbolic result types and the shape variables
the inputs bind, passes everything as DLTensors without copying, and turns a
non-zero return code into an `XunityError` carrying the native message.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from os import PathLike
from typing import Any, Protocol

import numpy as np
from xdsl.dialects.builtin import BFloat16Type, Float16Type, Float32Type, IntegerType
from xdsl.ir import Attribute

from xunity.dialects.graph.types import TensorType
from xunity.runtime.dlpack import PackedArgs, PackedCFunc, TVMFFIAny
from xunity.symbolic import SymExpr


class XunityError(RuntimeError):
    """A compiled function reported an error (bad arguments, allocation failure)."""


def numpy_dtype(element_type: Attribute) -> np.dtype[Any]:
    if isinstance(element_type, Float32Type):
        return np.dtype(np.float32)
    if isinstance(element_type, Float16Type):
        return np.dtype(np.float16)
    if isinstance(element_type, IntegerType):
        width = element_type.width.data
        return np.dtype(np.bool_) if width == 1 else np.dtype(f"int{width}")
    if isinstance(element_type, BFloat16Type):
        raise TypeError("bfloat16 tensors have no numpy dtype; use astype in the graph")
    raise TypeError(f"no numpy dtype for {element_type}")


@dataclass(frozen=True)
class Signature:
    """Tensor types of a function's inputs and outputs (symbolic shapes)."""

    inputs: tuple[TensorType, ...]
    outputs: tuple[TensorType, ...]

    def bind(self, arrays: Sequence[object]) -> dict[str, int] | None:
        """Shape variables from the inputs' whole-dim occurrences; None if unusable."""
        env: dict[str, int] = {}
        for tensor, array in zip(self.inputs, arrays, strict=False):
            if not isinstance(array, np.ndarray) or array.ndim != tensor.rank:
                return None
            for dim, size in zip(tensor.shape, array.shape, strict=True):
                names = dim.free_vars()
                if len(names) == 1 and dim == SymExpr.of(next(iter(names))):
                    env.setdefault(next(iter(names)), size)
        return env

    def output_shapes(self, env: Mapping[str, int]) -> list[tuple[int, ...]]:
        return [tuple(d.evaluate(env) for d in t.shape) for t in self.outputs]


class PackedFunction:
    """A `__tvm_ffi_<name>` entry point of a compiled module."""

    def __init__(
        self,
        name: str,
        address: int,
        signature: Signature | None,
        last_error: Callable[[], bytes | None],
        owner: object,
    ):
        self.name = name
        self._owner = owner
        """Keeps the JIT engine, and so this function's code, alive."""
        self.signature = signature
        self._fn = PackedCFunc(address)
        self._last_error = last_error

    def call_packed(self, *args: object) -> None:
        """Call with every tensor given explicitly (inputs, then outputs)."""
        packed = PackedArgs(args)
        result = TVMFFIAny()
        code = self._fn(None, packed.array, packed.count, ctypes.byref(result))
        if code != 0:
            message = self._last_error()
            raise XunityError(message.decode() if message else f"{self.name} failed")

    def __call__(self, *inputs: object) -> np.ndarray | tuple[np.ndarray, ...]:
        """Graph functions: inputs in, freshly allocated outputs back."""
        if self.signature is None:
            raise TypeError(
                f"{self.name} is a kernel: use call_packed(inputs..., outputs...)"
            )
        arrays = [_as_array(x) for x in inputs]
        env = (
            self.signature.bind(arrays)
            if len(arrays) == len(self.signature.inputs)
            else None
        )
        outputs = []
        for index, tensor in enumerate(self.signature.outputs):
            dtype = numpy_dtype(tensor.element_type)
            if env is None:
                # The native checks will reject the inputs before touching this.
                outputs.append(np.empty((0,) * tensor.rank, dtype))
                continue
            shape = self.signature.output_shapes(env)[index]
            outputs.append(np.empty(shape, dtype))
        self.call_packed(*arrays, *outputs)
        return outputs[0] if len(outputs) == 1 else tuple(outputs)


def _as_array(value: object) -> object:
    if isinstance(value, np.ndarray) or not hasattr(value, "__dlpack__"):
        return value
    return np.from_dlpack(value)  # type: ignore[arg-type]  # zero-copy, e.g. torch


class SymbolTable(Protocol):
    """Where compiled code lives: a `JitEngine` or a loaded `SharedLibrary`."""

    def address(self, symbol: str) -> int: ...


class Executable:
    """The functions of one compiled module, by name: `exe["main"](x, w)`."""

    def __init__(
        self,
        engine: SymbolTable,
        functions: dict[str, Signature | None],
        llvm_ir: str | None = None,
    ):
        self.engine = engine
        self.llvm_ir = llvm_ir
        """The program's LLVM IR (without the runtime), for export_library."""
        last_error = ctypes.CFUNCTYPE(ctypes.c_char_p)(engine.address("XUGetLastError"))
        self._functions = {
            name: PackedFunction(
                name, engine.address(f"__tvm_ffi_{name}"), sig, last_error, engine
            )
            for name, sig in functions.items()
        }

    def __getitem__(self, name: str) -> PackedFunction:
        if name not in self._functions:
            known = ", ".join(sorted(self._functions))
            raise KeyError(f"no function named {name!r}; the module has: {known}")
        return self._functions[name]

    def __contains__(self, name: object) -> bool:
        return name in self._functions

    @property
    def function_names(self) -> list[str]:
        return sorted(self._functions)

    def export_library(
        self, path: str | PathLike[str], compiler: str | None = None
    ) -> None:
        """Link the compiled module into a shared library (see docs/abi.md)."""
        from xunity.runtime.export import export_library

        export_library(self, path, compiler)
