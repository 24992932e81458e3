"""`cpu-profile-kernels`: time every kernel call of the graph entry points.

Runs after `convert-graph-to-cpu`.  Each `func.call` of a kernel inside an
entry point is bracketed by two `clock_gettime(CLOCK_MONOTONIC)` reads; the
call count and elapsed nanoseconds accumulate in a module global of two i64
per kernel.  Two exported accessors let a host read them:

    int64_t*    __xunity_profile_counters(void)   // [calls0, ns0, calls1, ns1, ...]
    const char* __xunity_profile_names(void)      // kernel names, '\n'-separated

Counters are plain loads and stores: concurrent calls of profiled code give
approximate totals, which is acceptable for a profile.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.builder import Builder
from xdsl.context import Context
from xdsl.dialects import arith, func, llvm
from xdsl.dialects.builtin import (
    FunctionType,
    IntegerAttr,
    ModuleOp,
    StringAttr,
    i8,
    i32,
    i64,
)
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint

from xunity.ir.abi import PROFILE_COUNTERS_ACCESSOR, PROFILE_NAMES_ACCESSOR

COUNTERS = "__xunity_profile_counts"
NAMES = "__xunity_profile_kernel_names"
CLOCK_MONOTONIC = 1


def _kernel_names(module: ModuleOp) -> list[str]:
    return [
        op.sym_name.data
        for op in module.ops
        if isinstance(op, func.FuncOp) and "tir.kernel" in op.attributes
    ]


def _byte_global(name: str, data: bytes, constant: bool) -> llvm.GlobalOp:
    """A byte-array global, emitted directly by the back end (see emit.py)."""
    return llvm.GlobalOp(
        llvm.LLVMArrayType(len(data), i8),
        name,
        "internal",
        constant=constant or None,
        value=StringAttr(data.decode("latin-1")),
        alignment=64,
    )


def _accessor(name: str, global_name: str) -> func.FuncOp:
    """`ptr name()` returning the address of a global."""
    block = Block()
    address = llvm.AddressOfOp(global_name, llvm.LLVMPointerType())
    block.add_ops([address, func.ReturnOp(address)])
    return func.FuncOp(
        name, FunctionType.from_lists([], [llvm.LLVMPointerType()]), Region(block)
    )


class _Instrumenter:
    """Brackets kernel calls in one function with clock reads and counter updates."""

    def __init__(self, function: func.FuncOp, index_of: dict[str, int]):
        self.index_of = index_of
        entry = function.body.blocks[0]
        builder = Builder(InsertPoint.at_start(entry))
        fields = builder.insert(arith.ConstantOp(IntegerAttr(2, i32))).result
        # struct timespec { int64 tv_sec; int64 tv_nsec; } on x86-64 and aarch64 Linux
        self.timespec = builder.insert(llvm.AllocaOp(fields, i64, alignment=8)).res
        self.function = function

    def run(self) -> None:
        for op in list(self.function.walk()):
            if (
                isinstance(op, func.CallOp)
                and op.callee.root_reference.data in self.index_of
            ):
                self._bracket(op)

    def _now(self, builder: Builder) -> SSAValue:
        clock = builder.insert(
            arith.ConstantOp(IntegerAttr(CLOCK_MONOTONIC, i32))
        ).result
        builder.insert(func.CallOp("clock_gettime", [clock, self.timespec], [i32]))
        seconds = builder.insert(llvm.LoadOp(self.timespec, i64)).dereferenced_value
        nanos_at = builder.insert(llvm.GEPOp(self.timespec, [1], i64, [])).result
        nanos = builder.insert(llvm.LoadOp(nanos_at, i64)).dereferenced_value
        billion = builder.insert(
            arith.ConstantOp(IntegerAttr(1_000_000_000, i64))
        ).result
        scaled = builder.insert(arith.MuliOp(seconds, billion)).result
        return builder.insert(arith.AddiOp(scaled, nanos)).result

    def _bump(self, builder: Builder, slot: int, amount: SSAValue) -> None:
        base = builder.insert(llvm.AddressOfOp(COUNTERS, llvm.LLVMPointerType())).result
        at = builder.insert(llvm.GEPOp(base, [slot], i64, [])).result
        old = builder.insert(llvm.LoadOp(at, i64)).dereferenced_value
        new = builder.insert(arith.AddiOp(old, amount)).result
        builder.insert(llvm.StoreOp(new, at))

    def _bracket(self, call: Operation) -> None:
        assert isinstance(call, func.CallOp)
        index = self.index_of[call.callee.root_reference.data]
        start = self._now(Builder(InsertPoint.before(call)))
        after = Builder(InsertPoint.after(call))
        end = self._now(after)
        elapsed = after.insert(arith.SubiOp(end, start)).result
        one = after.insert(arith.ConstantOp(IntegerAttr(1, i64))).result
        self._bump(after, 2 * index, one)
        self._bump(after, 2 * index + 1, elapsed)


@dataclass(frozen=True)
class CpuProfileKernelsPass(ModulePass):
    """Count calls and time of every kernel called by a graph entry point."""

    name = "cpu-profile-kernels"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        kernels = _kernel_names(op)
        index_of = {name: index for index, name in enumerate(kernels)}
        names = "\n".join(name.removesuffix("_impl") for name in kernels)
        op.body.block.add_ops(
            [
                _byte_global(
                    COUNTERS, bytes(16 * max(len(kernels), 1)), constant=False
                ),
                _byte_global(NAMES, names.encode() + b"\0", constant=True),
                func.FuncOp(
                    "clock_gettime",
                    FunctionType.from_lists([i32, llvm.LLVMPointerType()], [i32]),
                    Region(),
                    visibility="private",
                ),
                _accessor(PROFILE_COUNTERS_ACCESSOR, COUNTERS),
                _accessor(PROFILE_NAMES_ACCESSOR, NAMES),
            ]
        )
        for function in list(op.ops):
            if (
                not isinstance(function, func.FuncOp)
                or "tir.kernel" in function.attributes
            ):
                continue
            if function.body.blocks and any(
                isinstance(c, func.CallOp) and c.callee.root_reference.data in index_of
                for c in function.walk()
            ):
                _Instrumenter(function, index_of).run()
