"""`convert-graph-to-cpu`: graph functions become native entry points.

Runs after `graph-legalize` and `convert-tir-to-cpu`.  A graph function

    func.func @main(%a: !graph.tensor<[n, 64], f32>, ...) -> !graph.tensor<[n, 64], f32>

becomes `@main_impl(%n: i64, %a: !llvm.ptr, ..., %out0: !llvm.ptr)` —
destination passing: shape variables (sorted), input data, output data —
plus two `cpu.packed_func`s describing every tensor, from which the back end
generates the checked tvm-ffi entry points:

    cpu.packed_func @main wraps @main_impl args = [#cpu.arg<"a", ...>, ...,
                                                   #cpu.arg<"out0", ...>] returns 1
    cpu.packed_func @main_out wraps @main_impl args = [#cpu.arg<"a", ...>, ...,
                                                       #cpu.arg<"out0", ...>]

`@main` takes the inputs and allocates and returns the results (its last
`returns` arguments; see backends/llvm/packed.py); `@main_out` takes the
inputs then caller-allocated outputs.
Inside, each `graph.call_tir` calls its kernel with the shape variables and
data pointers; results that are returned are computed straight into the
output buffers; the other intermediates live in one arena laid out at compile
time by the memory planner (memory_plan.py: buffers whose lifetimes do not
overlap share storage), taken from `XUAlloc` at entry and freed before
returning; constants become private globals.  Each kernel `@k` also gets a
packed entry point (`cpu.packed_func @k wraps @k_impl`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xdsl.builder import Builder
from xdsl.context import Context
from xdsl.dialects import func, llvm
from xdsl.dialects.builtin import (
    FunctionType,
    IntegerType,
    ModuleOp,
    StringAttr,
    i8,
    i64,
)
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint
from xdsl.utils.exceptions import PassFailedException

from xunity.dialects.cpu import ArgAttr, PackedFuncOp, RuntimeCallOp
from xunity.dialects.graph.call import CallPackedOp, CallTirOp
from xunity.dialects.graph.creation import ConstantOp, WeightOp
from xunity.dialects.graph.types import BOOL_TYPE, TensorType
from xunity.ir.abi import DESTINATION_SUFFIX
from xunity.ir.sym_values import SymValues
from xunity.ir.symbolic import SymExpr, product
from xunity.lowering.memory_plan import Buffer, plan_memory

ALIGN_BYTES = 64


def element_bytes(element_type: Attribute) -> int:
    if element_type == BOOL_TYPE:
        return 1
    if isinstance(element_type, IntegerType):
        width = element_type.width.data
        if width < 8:
            raise PassFailedException(
                f"convert-graph-to-cpu: packed {width}-bit tensors are not "
                "supported yet"
            )
        return width // 8
    return 4 if element_type.name == "f32" else 2  # f16, bf16


def shape_vars_of(types: list[TensorType]) -> list[str]:
    """The shape-variable arguments of a kernel or entry point, in order."""
    return sorted(set().union(*(t.free_vars() for t in types)))


def is_graph_function(op: Operation) -> bool:
    if not isinstance(op, func.FuncOp) or "tir.kernel" in op.attributes:
        return False
    types = [*op.function_type.inputs, *op.function_type.outputs]
    return any(isinstance(t, TensorType) for t in types)


def _tensor(value_type: Attribute, what: str) -> TensorType:
    if not isinstance(value_type, TensorType):
        raise PassFailedException(f"convert-graph-to-cpu: {what} is not a graph tensor")
    return value_type


def byte_size(tensor: TensorType) -> SymExpr:
    return product(tensor.shape) * element_bytes(tensor.element_type)


def intermediate_buffers(graph_func: func.FuncOp) -> dict[SSAValue, Buffer]:
    """The `graph.call_tir` results that need memory of their own (returned
    ones are computed into the output buffers), with their byte sizes and live
    ranges as indices of the body's ops, in order of definition."""
    body = list(graph_func.body.block.ops)
    returned = set(body[-1].operands)
    first: dict[SSAValue, int] = {}
    last: dict[SSAValue, int] = {}
    for index, op in enumerate(body[:-1]):
        for operand in op.operands:
            if operand in first:
                last[operand] = index
        if not isinstance(op, CallTirOp):
            continue
        for result in op.results:
            if result not in returned:
                first[result] = last[result] = index
    return {
        value: Buffer(
            byte_size(_tensor(value.type, "call_tir result")),
            first[value],
            last[value],
            value.name_hint or "",
        )
        for value in first
    }


@dataclass
class _EntryBuilder:
    """Builds `<name>_impl` for one graph function."""

    module: ModuleOp
    graph_func: func.FuncOp
    kernels: dict[str, func.FuncOp]
    pointers: dict[SSAValue, SSAValue] = field(default_factory=dict)
    offsets: dict[SSAValue, SymExpr] = field(default_factory=dict)
    """Each intermediate's offset in the arena."""
    arena: SSAValue | None = None
    constants: int = 0

    def build(self) -> tuple[func.FuncOp, PackedFuncOp, PackedFuncOp]:
        name = self.graph_func.sym_name.data
        inputs = [
            _tensor(t, f"@{name} argument")
            for t in self.graph_func.function_type.inputs
        ]
        outputs = [
            _tensor(t, f"@{name} result") for t in self.graph_func.function_type.outputs
        ]
        input_vars = set().union(*(t.free_vars() for t in inputs))
        unbound = set().union(*(t.free_vars() for t in outputs)) - input_vars
        if unbound:
            raise PassFailedException(
                f"convert-graph-to-cpu: @{name} returns shapes with {sorted(unbound)}, "
                "which no argument binds"
            )
        if not _all_shape_vars_whole(inputs):
            raise PassFailedException(
                f"convert-graph-to-cpu: @{name}: every shape variable must be a whole "
                "dim of some argument (e.g. [n, 4], not only [2 * n]) so that calls "
                "can bind it"
            )
        variables = shape_vars_of(inputs)
        ptr = llvm.LLVMPointerType()
        arg_types = [i64] * len(variables) + [ptr] * (len(inputs) + len(outputs))
        entry = Block(arg_types=arg_types)
        self.builder = Builder(InsertPoint.at_end(entry))
        shape_args = dict(zip(variables, entry.args, strict=False))
        for var, arg in shape_args.items():
            arg.name_hint = var
        self.sizes = SymValues(self.builder, shape_args, i64)
        self.shape_args = shape_args
        data_args = entry.args[len(variables) :]
        arg_names = []
        for index, (old, new) in enumerate(
            zip(self.graph_func.args, data_args, strict=False)
        ):
            arg_names.append(old.name_hint or f"arg{index}")
            new.name_hint = arg_names[-1]
            self.pointers[old] = new
        out_args: list[SSAValue] = list(data_args[len(inputs) :])
        for index, arg in enumerate(out_args):
            arg.name_hint = f"out{index}"
        self._translate_body(out_args)
        impl = func.FuncOp(
            f"{name}_impl",
            FunctionType.from_lists(arg_types, []),
            Region(entry),
            visibility="private",
        )
        in_args = [
            ArgAttr(n, t.element_type, t.dims)
            for n, t in zip(arg_names, inputs, strict=True)
        ]

        result_args = [
            ArgAttr(f"out{i}", t.element_type, t.dims) for i, t in enumerate(outputs)
        ]
        returning = PackedFuncOp(
            name, impl.sym_name.data, in_args + result_args, num_results=len(outputs)
        )
        destination = PackedFuncOp(
            name + DESTINATION_SUFFIX, impl.sym_name.data, in_args + result_args
        )
        return impl, returning, destination

    def _emit(self, op: Operation) -> Operation:
        self.builder.insert(op)
        return op

    def _bytes(self, tensor: TensorType) -> SSAValue:
        return self.sizes.value(byte_size(tensor))

    def _translate_body(self, out_args: list[SSAValue]) -> None:
        body = list(self.graph_func.body.block.ops)
        returned = body[-1]
        assert isinstance(returned, func.ReturnOp)
        # Results returned once are computed straight into their output buffer.
        destination: dict[SSAValue, SSAValue] = {}
        for value, out in zip(returned.arguments, out_args, strict=True):
            if value not in destination and value not in self.pointers:
                destination[value] = out
        for op in body[:-1]:
            _check_lowerable(op)
        buffers = intermediate_buffers(self.graph_func)
        if buffers:
            plan = plan_memory(list(buffers.values()))
            self.offsets = dict(zip(buffers, plan.offsets, strict=True))
            align = self.sizes.constant(ALIGN_BYTES)
            size = self.sizes.value(plan.arena)
            self.arena = self._emit(RuntimeCallOp("XUAlloc", [size, align])).results[0]
            self.arena.name_hint = "arena"
        for op in body[:-1]:
            if isinstance(op, ConstantOp):
                self.pointers[op.result] = self._constant(op)
            else:
                assert isinstance(op, CallTirOp)
                self._call(op, destination)
        for value, out in zip(returned.arguments, out_args, strict=True):
            source = self.pointers[value]
            if source is out:
                continue
            size = self._bytes(_tensor(value.type, "returned value"))
            self._emit(RuntimeCallOp("XUCopy", [out, source, size]))
        if self.arena is not None:
            self._emit(RuntimeCallOp("XUFree", [self.arena]))
        self._emit(func.ReturnOp())

    def _call(self, op: CallTirOp, destination: dict[SSAValue, SSAValue]) -> None:
        callee = op.callee.root_reference.data
        kernel = self.kernels.get(callee)
        if kernel is None:
            raise PassFailedException(
                f"convert-graph-to-cpu: kernel @{callee} not found"
            )
        for result in op.results:
            if result in destination:
                self.pointers[result] = destination[result]
            else:
                self.pointers[result] = self._in_arena(self.offsets[result])
        tensors = [_tensor(v.type, "call_tir operand") for v in (*op.args, *op.results)]
        shape_values = [self.shape_args[v] for v in shape_vars_of(tensors)]
        data = [self.pointers[v] for v in (*op.args, *op.results)]
        self._emit(func.CallOp(f"{callee}_impl", [*shape_values, *data], []))

    def _in_arena(self, offset: SymExpr) -> SSAValue:
        """`arena + offset` bytes."""
        assert self.arena is not None
        if offset.constant_value() == 0:
            return self.arena
        index = self.sizes.value(offset)
        gep = llvm.GEPOp(self.arena, [llvm.GEP_USE_SSA_VAL], i8, [index])
        return self._emit(gep).results[0]

    def _constant(self, op: ConstantOp) -> SSAValue:
        raw = op.to_numpy().tobytes()
        self.constants += 1
        symbol = f"{self.graph_func.sym_name.data}_const{self.constants}"
        # Bytes as a latin-1 string: one char per byte, no per-element attributes
        # (megabytes of weights would otherwise cost minutes); see emit.py.
        glob = llvm.GlobalOp(
            llvm.LLVMArrayType(len(raw), i8),
            symbol,
            "private",
            constant=True,
            value=StringAttr(raw.decode("latin-1")),
            alignment=ALIGN_BYTES,
        )
        self.module.body.block.add_op(glob)
        address = self._emit(llvm.AddressOfOp(symbol, llvm.LLVMPointerType()))
        return address.results[0]


def _check_lowerable(op: Operation) -> None:
    """Fail on a body op that has no native lowering (yet)."""
    if isinstance(op, ConstantOp | CallTirOp):
        return
    if isinstance(op, WeightOp):
        raise PassFailedException(
            f'convert-graph-to-cpu: weight "{op.weight_name.data}" is not '
            "bound; bind weights (xunity.compile(..., params=...)) first"
        )
    if isinstance(op, CallPackedOp):
        raise PassFailedException(
            f'convert-graph-to-cpu: graph.call_packed "{op.callee.data}": '
            "calls into runtime functions are not lowered yet"
        )
    raise PassFailedException(
        f"convert-graph-to-cpu: {op.name} must be legalized first (run graph-legalize)"
    )


def _all_shape_vars_whole(tensors: list[TensorType]) -> bool:
    """Whether every shape variable is some tensor's whole dim (so it can be read)."""
    whole = {
        var
        for t in tensors
        for d in t.shape
        for var in d.free_vars()
        if d == SymExpr.of(var)
    }
    return set(shape_vars_of(tensors)) <= whole


def _check_destination_names(module: ModuleOp, graph_funcs: list[Operation]) -> None:
    """`<name>_out` must not name another function of the module."""
    taken = {
        f.sym_name.data for f in module.ops if isinstance(f, func.FuncOp | PackedFuncOp)
    }
    for graph_func in graph_funcs:
        assert isinstance(graph_func, func.FuncOp)
        name = graph_func.sym_name.data + DESTINATION_SUFFIX
        if name in taken:
            raise PassFailedException(
                f"convert-graph-to-cpu: @{graph_func.sym_name.data} needs the "
                f"symbol @{name} for its destination-passing entry, but the "
                "module already defines it"
            )


def _kernel_packed_funcs(
    module: ModuleOp, kernels: dict[str, func.FuncOp]
) -> list[PackedFuncOp]:
    """One packed entry per kernel, typed from the first call that uses it."""
    packed: dict[str, PackedFuncOp] = {}
    for call in module.walk():
        if not isinstance(call, CallTirOp):
            continue
        name = call.callee.root_reference.data
        if name in packed or name not in kernels:
            continue
        tensors = [
            _tensor(v.type, "call_tir value") for v in (*call.args, *call.results)
        ]
        if not _all_shape_vars_whole(tensors):
            continue  # no entry point could bind it; the graph entry still calls it
        names = [f"in{i}" for i in range(len(call.args))]
        names += [f"out{i}" for i in range(len(call.results))]
        args = [
            ArgAttr(n, t.element_type, t.dims)
            for n, t in zip(names, tensors, strict=True)
        ]
        packed[name] = PackedFuncOp(name, f"{name}_impl", args)
    return list(packed.values())


@dataclass(frozen=True)
class ConvertGraphToCpuPass(ModulePass):
    """Graph functions -> native entry points; kernels get packed entries."""

    name = "convert-graph-to-cpu"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        kernels = {
            f.sym_name.data: f
            for f in op.ops
            if isinstance(f, func.FuncOp) and "tir.kernel" in f.attributes
        }
        for name, kernel in kernels.items():
            params = kernel.function_type.inputs.data
            if any(
                not isinstance(p, IntegerType | llvm.LLVMPointerType) for p in params
            ):
                raise PassFailedException(
                    f"convert-graph-to-cpu: kernel @{name} still takes buffers; run "
                    "convert-tir-to-cpu first"
                )
        packed = _kernel_packed_funcs(op, kernels)
        graph_funcs = [f for f in op.ops if is_graph_function(f)]
        _check_destination_names(op, graph_funcs)
        for graph_func in graph_funcs:
            assert isinstance(graph_func, func.FuncOp)
            ops = _EntryBuilder(op, graph_func, kernels).build()
            graph_func.detach()
            graph_func.erase()
            op.body.block.add_ops(ops)
        for name, kernel in kernels.items():
            kernel.sym_name = StringAttr(f"{name}_impl")
        op.body.block.add_ops(packed)
