"""Compiled functions callable from Python with numpy arrays (or any DLPack producer).

A graph function `f` has two packed entry points (docs/abi.md):
`__tvm_ffi_f` takes the inputs and returns runtime-allocated results, which
`exe["f"](x)` turns into numpy arrays owning that memory; `__tvm_ffi_f_out`
takes inputs then outputs (`exe["f"].call_packed(x, out)`).  Arguments go
over as the DLTensors their own `__dlpack__` exports, without copying; a
non-zero return code becomes an `XunityError` carrying the native message.
Calls release the GIL (ctypes) and may run concurrently: argument arrays
are per thread.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from dataclasses import dataclass
from os import PathLike
from typing import Any

import numpy as np
from xdsl.dialects.builtin import BFloat16Type, Float16Type, Float32Type, IntegerType
from xdsl.ir import Attribute

from xunity.ir.abi import DESTINATION_SUFFIX, packed_symbol
from xunity.runtime.dlpack import (
    ArgumentSlots,
    BoundArguments,
    ObjectCall,
    ObjectFunc,
    PackedCFunc,
    result_to_numpy,
)
from xunity.runtime.export import export_library
from xunity.runtime.profiling import Profile, ProfileCounters
from xunity.runtime.signature import Signature
from xunity.runtime.symbols import SymbolTable


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
class RuntimeCalls:
    """The runtime functions the Python side calls, from one module."""

    last_error: Callable[[], bytes | None]
    incref: ObjectCall
    decref: ObjectCall

    @staticmethod
    def of(table: SymbolTable) -> RuntimeCalls:
        return RuntimeCalls(
            ctypes.CFUNCTYPE(ctypes.c_char_p)(table.address("XUGetLastError")),
            ObjectFunc(table.address("XUObjectIncRef")),
            ObjectFunc(table.address("XUObjectDecRef")),
        )


class PackedFunction:
    """The packed entry points of one compiled function."""

    def __init__(
        self,
        name: str,
        table: SymbolTable,
        signature: Signature | None,
        runtime: RuntimeCalls,
    ):
        self.name = name
        self._owner = table
        """Keeps the JIT engine, and so this function's code, alive."""
        self.signature = signature
        self._runtime = runtime
        self._fn = PackedCFunc(table.address(packed_symbol(name)))
        self._destination = self._fn
        self._slots = ArgumentSlots()
        self._unsupported: TypeError | None = None
        if signature is not None:
            symbol = packed_symbol(name + DESTINATION_SUFFIX)
            self._destination = PackedCFunc(table.address(symbol))
            try:
                for tensor in signature.outputs:
                    numpy_dtype(tensor.element_type)
            except TypeError as error:
                self._unsupported = error

    def call_packed(self, *args: object) -> None:
        """Call with every tensor given explicitly (inputs, then outputs)."""
        self._invoke(self._destination, args)

    def bind(self, *template: object | None) -> BoundCall:
        """`call_packed` with the non-None arguments of `template` fixed.

        `f.bind(None, w1, w2, None)(x, out)` calls `f.call_packed(x, w1, w2,
        out)`; the fixed arguments are exported once, so a call costs only
        its free ones (a decoder binds its weights once per model).
        """
        return BoundCall(self, BoundArguments(template))

    def __call__(self, *inputs: object) -> np.ndarray | tuple[np.ndarray, ...]:
        """Graph functions: inputs in, runtime-allocated outputs back."""
        if self.signature is None:
            raise TypeError(
                f"{self.name} is a kernel: use call_packed(inputs..., outputs...)"
            )
        if self._unsupported is not None:
            raise TypeError(f"{self.name}: {self._unsupported}")
        type_index, value = self._invoke(self._fn, inputs)
        arrays = result_to_numpy(
            type_index, value, self._runtime.incref, self._runtime.decref
        )
        assert arrays is not None, f"{self.name} returned FFI type {type_index}"
        return arrays

    def _invoke(
        self, fn: Any, args: tuple[object, ...], bound: BoundArguments | None = None
    ) -> tuple[int, int]:
        """Call `fn` with `args` (the free ones of `bound`, if given); the
        result's (type index, value)."""
        slots = self._slots.get(len(args) if bound is None else bound.count)
        keep: list[object] = []  # the DLPack exports, alive until the call ends
        if bound is None:
            slots.fill(args, keep)
        else:
            slots.fill_bound(bound, args, keep)
        if fn(None, slots.args, slots.num_args, slots.result) != 0:
            message = self._runtime.last_error()
            raise XunityError(message.decode() if message else f"{self.name} failed")
        words, at = slots.words, slots.result_word
        return words[at] & 0xFFFFFFFF, words[at + 1]


class BoundCall:
    """A packed function's destination entry with some arguments fixed (`bind`)."""

    def __init__(self, function: PackedFunction, bound: BoundArguments):
        self.function = function
        self._bound = bound

    def __call__(self, *free: object) -> None:
        """Call with the free arguments, in their order in the template."""
        function = self.function
        function._invoke(function._destination, free, self._bound)


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
        self._counters: ProfileCounters | None = None
        runtime = RuntimeCalls.of(engine)
        self._functions = {
            name: PackedFunction(name, engine, sig, runtime)
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

    def profile(self) -> Profile:
        """Per-kernel timings of the calls since the last `reset_profile()`.

        Needs a module compiled with `xunity.compile(..., profile=True)`.
        """
        return self._profile_counters().read()

    def reset_profile(self) -> None:
        self._profile_counters().reset()

    def _profile_counters(self) -> ProfileCounters:
        if self._counters is None:
            try:
                self._counters = ProfileCounters(self.engine)
            except KeyError:
                raise ValueError(
                    "this module was compiled without profiling; "
                    "use xunity.compile(..., profile=True)"
                ) from None
        return self._counters

    def export_library(
        self, path: str | PathLike[str], compiler: str | None = None
    ) -> None:
        """Link the compiled module into a shared library (see docs/abi.md)."""
        export_library(self, path, compiler)
