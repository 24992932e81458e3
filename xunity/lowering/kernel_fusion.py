"""Merging two tir kernels where one consumes the other's output.

Two merges, TVM's compute_inline and reverse_compute_inline across kernels:

- *inline the producer* (prologue fusion): an elementwise producer
  `r[i..] = f(inputs at i..)` disappears into its consumer; every
  `tir.load r[idx]` of the consumer becomes `f` evaluated at `idx`.  The
  consumer may be any kernel that only loads `r` (a reduction, a GEMM's
  packing, another elementwise op), e.g. add + layer_norm.
- *inline the consumer* (epilogue fusion): an elementwise consumer
  `z[i..] = g(r[i..], others at i..)` runs inside the producer's *final
  block* for `r`, the last block that stores `r`, once per element at its
  own iteration variables (softmax's normalise step, a GEMM's epilogue); the
  producer then writes `z` instead of `r`, which must have the same type.
  E.g. matmul + bias + gelu.

"Elementwise" is structural: one block, spatial only, storing its output at
exactly its iteration variables, each bound to one loop of a perfect nest,
reading only input buffers, using nothing from outside the block but the
function's arguments and entry-level pure ops (constants, dims).  The merged
kernel is a new function; the inputs of both are its inputs (the inner
buffer `r` is gone), shape variables are the union of both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from xdsl.dialects import func
from xdsl.dialects.builtin import ArrayAttr, DictionaryAttr, FunctionType, MemRefType
from xdsl.ir import Attribute, Block, BlockArgument, Operation, SSAValue
from xdsl.rewriter import InsertPoint, Rewriter

from xunity.dialects import tir

SHAPE_VAR = "tir.shape_var"


@dataclass(frozen=True)
class KernelArg:
    """One argument of a kernel: a shape variable (by name) or a buffer."""

    type: Attribute
    attrs: DictionaryAttr

    @property
    def shape_var(self) -> str | None:
        name = self.attrs.data.get(SHAPE_VAR)
        return None if name is None else str(getattr(name, "data", name))


def kernel_args(kernel: func.FuncOp) -> list[KernelArg]:
    attrs = kernel.arg_attrs.data if kernel.arg_attrs is not None else ()
    return [
        KernelArg(arg.type, attr) for arg, attr in zip(kernel.args, attrs, strict=True)
    ]


def buffer_args(kernel: func.FuncOp) -> list[BlockArgument]:
    """The memref arguments: inputs, then outputs (the call_tir order)."""
    return [arg for arg in kernel.args if isinstance(arg.type, MemRefType)]


def shape_var_args(kernel: func.FuncOp) -> dict[str, BlockArgument]:
    return {
        name: arg
        for arg, info in zip(kernel.args, kernel_args(kernel), strict=True)
        if (name := info.shape_var) is not None
    }


# ---------------------------------------------------------------- analysis
@dataclass(frozen=True)
class Elementwise:
    """The one block of an elementwise kernel and its output store."""

    block: tir.BlockOp
    store: tir.StoreOp


def elementwise(kernel: func.FuncOp) -> Elementwise | None:
    """The kernel's block if the kernel is elementwise (module docstring)."""
    blocks = [op for op in kernel.walk() if isinstance(op, tir.BlockOp)]
    if len(blocks) != 1:
        return None
    block = blocks[0]
    if any(kind.data != tir.IterKind.SPATIAL for kind in block.iter_kinds.data):
        return None
    stores = [op for op in block.walk() if isinstance(op, tir.StoreOp)]
    inputs, outputs = _split_buffers(kernel)
    if len(stores) != 1 or len(outputs) != 1 or stores[0].buffer is not outputs[0]:
        return None
    store = stores[0]
    if list(store.indices) != list(block.iter_vars):
        return None
    if any(isinstance(op, tir.ForOp | tir.BlockOp) for op in _body_ops(block)):
        return None
    loads = [op for op in block.walk() if isinstance(op, tir.LoadOp)]
    if any(load.buffer not in inputs for load in loads):
        return None
    if not _perfect_nest_binding(kernel, block):
        return None
    if not _uses_only_entry_values(block, kernel):
        return None
    return Elementwise(block, store)


def final_block(kernel: func.FuncOp, buffer: SSAValue) -> tir.StoreOp | None:
    """The store of `buffer`'s final values, if the kernel has a final block.

    The last block (in program order) that stores `buffer` qualifies when it
    stores it once, at exactly its iteration variables (all spatial, as many
    as the buffer's rank), and nothing after it touches the buffer.
    """
    touching = [
        op
        for op in kernel.walk()
        if isinstance(op, tir.LoadOp | tir.StoreOp | tir.AccessPtrOp)
        and op.buffer is buffer
    ]
    stores = [op for op in touching if isinstance(op, tir.StoreOp)]
    if not stores:
        return None
    last = stores[-1]
    block = last.parent_op()
    if not isinstance(block, tir.BlockOp) or touching[-1] is not last:
        return None
    if any(kind.data != tir.IterKind.SPATIAL for kind in block.iter_kinds.data):
        return None
    if list(last.indices) != list(block.iter_vars):
        return None
    in_block = [op for op in touching if block.is_ancestor(op)]
    if sum(isinstance(op, tir.StoreOp) for op in in_block) != 1:
        return None
    return last


def loads_only(kernel: func.FuncOp, buffer: SSAValue) -> bool:
    """Whether the kernel reads `buffer` only through tir.load (so each load can
    be replaced by the producer's expression)."""
    for use in buffer.uses:
        user = use.operation
        if isinstance(user, tir.LoadOp) or (
            isinstance(user, tir.BlockOp) and buffer not in user.writes
        ):
            continue
        return False
    return True


# ---------------------------------------------------------------- merging
class _MergedKernel:
    """A new kernel whose arguments come from two old ones."""

    def __init__(
        self,
        name: str,
        kernels: Sequence[func.FuncOp],
        inputs: Sequence[BlockArgument],
        outputs: Sequence[BlockArgument],
    ):
        shape_vars: dict[str, KernelArg] = {}
        for kernel in kernels:
            for info in kernel_args(kernel):
                if info.shape_var is not None:
                    shape_vars.setdefault(info.shape_var, info)
        names = sorted(shape_vars)
        buffers = [*inputs, *outputs]
        infos = [shape_vars[n] for n in names] + [_info(b) for b in buffers]
        self.func = func.FuncOp(
            name,
            FunctionType.from_lists([i.type for i in infos], []),
            visibility="private",
            arg_attrs=ArrayAttr([i.attrs for i in infos]),
        )
        self.func.attributes["tir.kernel"] = kernels[0].attributes["tir.kernel"]
        # The merged kernel keeps the schedule of the one that had it (the
        # other is elementwise: its loops become the scheduled kernel's).
        for kernel in kernels:
            if tir.SCHEDULED_ATTR in kernel.attributes:
                scheduled_by = kernel.attributes[tir.SCHEDULED_ATTR]
                self.func.attributes[tir.SCHEDULED_ATTR] = scheduled_by
        args = self.func.args
        self.mapping: dict[SSAValue, SSAValue] = {}
        for kernel in kernels:
            for var, arg in shape_var_args(kernel).items():
                self.mapping[arg] = args[names.index(var)]
        for position, buffer in enumerate(buffers):
            self.mapping[buffer] = args[len(names) + position]
            args[len(names) + position].name_hint = buffer.name_hint
        for var, arg in zip(names, args, strict=False):
            arg.name_hint = var
        self._prologue_end: Operation | None = None

    def clone_body(self, kernel: func.FuncOp) -> None:
        entry = self.func.body.block
        for op in kernel.body.block.ops:
            entry.add_op(op.clone(value_mapper=self.mapping))

    def value(self, value: SSAValue) -> SSAValue:
        """`value` of an old kernel in the new one: mapped, or an entry-level
        pure op of the old kernel cloned to the new kernel's entry."""
        if value in self.mapping:
            return self.mapping[value]
        owner = value.owner
        assert isinstance(owner, Operation), "checked by the analysis"
        for operand in owner.operands:
            self.value(operand)
        clone = owner.clone(value_mapper=self.mapping)
        entry = self.func.body.block
        if self._prologue_end is None:
            point = InsertPoint.at_start(entry)
        else:
            point = InsertPoint.after(self._prologue_end)
        Rewriter.insert_op(clone, point)
        self._prologue_end = clone
        return self.mapping[value]


def inline_producer(
    name: str,
    producer: func.FuncOp,
    consumer: func.FuncOp,
    operand: int,
) -> func.FuncOp:
    """The consumer with its input `operand` computed in place by the
    elementwise producer (checked by the caller with `elementwise` and
    `loads_only`)."""
    shape = elementwise(producer)
    assert shape is not None
    p_inputs, _ = _split_buffers(producer)
    c_inputs, c_outputs = _split_buffers(consumer)
    inner = c_inputs[operand]
    inputs = [*c_inputs[:operand], *p_inputs, *c_inputs[operand + 1 :]]
    merged = _MergedKernel(name, [consumer, producer], inputs, c_outputs)
    merged.clone_body(consumer)
    # `inner` is not an argument of the merged kernel: its loads still name
    # the old value, and each is replaced by the producer's expression.
    inner_loads = [
        op
        for op in merged.func.walk()
        if isinstance(op, tir.LoadOp) and op.buffer is inner
    ]
    for load in inner_loads:
        point = InsertPoint.before(load)
        ivs: dict[SSAValue, SSAValue] = dict(
            zip(shape.block.iter_vars, load.indices, strict=True)
        )
        value = _clone_block_body(merged, shape.block, ivs, point)
        load.result.replace_all_uses_with(value)
        Rewriter.erase_op(load)
    new_inputs = [merged.mapping[b] for b in p_inputs]
    _redeclare_reads(merged.func, inner, new_inputs)
    return merged.func


def inline_consumer(
    name: str,
    producer: func.FuncOp,
    consumer: func.FuncOp,
    operand: int,
) -> func.FuncOp:
    """The producer with the elementwise consumer (which reads the producer's
    output as its input `operand`) applied in the producer's final block."""
    shape = elementwise(consumer)
    assert shape is not None
    p_inputs, (p_out,) = _split_buffers(producer)
    c_inputs, c_outputs = _split_buffers(consumer)
    others = [b for index, b in enumerate(c_inputs) if index != operand]
    inputs = [*p_inputs, *others]
    merged = _MergedKernel(name, [producer, consumer], inputs, c_outputs)
    merged.mapping[p_out] = merged.mapping[c_outputs[0]]
    merged.clone_body(producer)
    target = merged.mapping[c_outputs[0]]
    store = final_block(merged.func, target)
    assert store is not None
    # The consumer's load of the producer's value is the value being stored.
    own_input = c_inputs[operand]
    ivs: dict[SSAValue, SSAValue] = dict(
        zip(shape.block.iter_vars, store.indices, strict=True)
    )
    for load in [op for op in shape.block.walk() if isinstance(op, tir.LoadOp)]:
        if load.buffer is own_input:
            ivs[load.result] = store.value
    value = _clone_block_body(merged, shape.block, ivs, InsertPoint.before(store))
    Rewriter.replace_op(store, tir.StoreOp(value, target, list(store.indices)))
    _redeclare_reads(merged.func, target, [merged.mapping[b] for b in others])
    return merged.func


# ---------------------------------------------------------------- helpers
def _clone_block_body(
    merged: _MergedKernel,
    block: tir.BlockOp,
    replacements: dict[SSAValue, SSAValue],
    point: InsertPoint,
) -> SSAValue:
    """Clone the ops of an elementwise block at `point`, its iteration variables
    (and any value in `replacements`) replaced; returns the stored value."""
    local = dict(replacements)
    stored: SSAValue | None = None
    for op in _body_ops(block):
        if isinstance(op, tir.StoreOp):
            stored = local.get(op.value, op.value)
            continue
        if isinstance(op, tir.LoadOp) and op.result in local:
            continue
        for operand in op.operands:
            if operand not in local and not _defined_in(operand, block):
                local[operand] = merged.value(operand)
        clone = op.clone(value_mapper=local)
        Rewriter.insert_op(clone, point)
    assert stored is not None
    return stored


def _redeclare_reads(
    kernel: func.FuncOp, replaced: SSAValue, buffers: Sequence[SSAValue]
) -> None:
    """Blocks that read `replaced` now read (those of) `buffers` instead."""
    for block in [op for op in kernel.walk() if isinstance(op, tir.BlockOp)]:
        reads = [r for r in block.reads if r is not replaced or r in block.writes]
        needed = {
            load.buffer
            for load in block.walk()
            if isinstance(load, tir.LoadOp) and load.buffer in buffers
        }
        reads += [b for b in buffers if b in needed and b not in reads]
        if list(block.reads) != reads:
            _set_reads(block, reads)


def _set_reads(block: tir.BlockOp, reads: Sequence[SSAValue]) -> None:
    new = tir.BlockOp(
        block.block_name.data,
        [
            tir.IterVar(kind.data, binding, extent)
            for kind, binding, extent in zip(
                block.iter_kinds.data, block.bindings, block.extents, strict=True
            )
        ],
        reads=reads,
        writes=list(block.writes),
        body=block.detach_region(block.body),
        init=block.detach_region(block.init) if block.init is not None else None,
    )
    new.attributes |= block.attributes
    Rewriter.replace_op(block, new)


def _split_buffers(
    kernel: func.FuncOp,
) -> tuple[list[BlockArgument], list[BlockArgument]]:
    """(inputs, [output]): fused kernels have one output, the last buffer."""
    buffers = buffer_args(kernel)
    return buffers[:-1], buffers[-1:]


def _info(buffer: BlockArgument) -> KernelArg:
    kernel = buffer.block.parent_op()
    assert isinstance(kernel, func.FuncOp)
    return kernel_args(kernel)[buffer.index]


def _body_ops(block: tir.BlockOp) -> list[Operation]:
    return [op for op in block.body.block.ops if not isinstance(op, tir.YieldOp)]


def _defined_in(value: SSAValue, block: tir.BlockOp) -> bool:
    owner = value.owner
    op = owner.parent_op() if isinstance(owner, Block) else owner
    return op is not None and (op is block or block.is_ancestor(op))


def _perfect_nest_binding(kernel: func.FuncOp, block: tir.BlockOp) -> bool:
    """Each iteration variable bound to its own loop, the loops nested in order
    around the block and running over the iteration variable's extent."""
    loops: list[tir.ForOp] = []
    parent = block.parent_op()
    while isinstance(parent, tir.ForOp):
        loops.append(parent)
        parent = parent.parent_op()
    loops.reverse()
    if parent is not kernel or len(loops) != len(block.bindings):
        return False
    return all(
        binding is loop.induction_var and extent is loop.ub
        for binding, extent, loop in zip(
            block.bindings, block.extents, loops, strict=True
        )
    )


def _uses_only_entry_values(block: tir.BlockOp, kernel: func.FuncOp) -> bool:
    """Values used in the block but defined outside are arguments or pure ops
    at the function's entry level (so they can be recreated elsewhere)."""
    entry = kernel.body.block
    for op in block.body.walk():
        for operand in op.operands:
            if _defined_in(operand, block):
                continue
            if not _entry_pure(operand, entry):
                return False
    return True


def _entry_pure(value: SSAValue, entry: Block) -> bool:
    owner = value.owner
    if isinstance(owner, Block):
        return owner is entry
    if owner.parent_block() is not entry or owner.dialect_name() != "arith":
        return False
    return all(_entry_pure(operand, entry) for operand in owner.operands)
