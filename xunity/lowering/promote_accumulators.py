"""Accumulators of lowered tir loops kept in registers (part of convert-tir-to-cpu).

A tir reduction accumulates through memory: each iteration loads `acc[row]`,
combines and stores it back.  LLVM keeps such an element in a register when
nothing else in the loop may write it; a loop that also stores to another
buffer defeats that proof whenever the pointers are plain values (as inside a
parallel closure), so e.g. softmax's "store exp(x - max), add it to the row
sum" loop would stay scalar.  tir knows more: distinct buffers never alias.
So, in an innermost `scf.for` that stores to some buffer while accessing
another buffer B only at one loop-invariant address, B's element is loaded
once before the loop, carried as an iteration argument, and stored once
after it; LLVM then vectorises the reduction (its combine carries
`reassoc`).  Loops without such a second store are left to LLVM, which
promotes those itself.

Addresses are compared structurally (base buffer, and the arith ops
computing the offset from values defined outside the loop), since each tir
access computes its own GEP.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from xdsl.dialects import llvm, scf
from xdsl.ir import Attribute, Block, Operation, SSAValue
from xdsl.rewriter import InsertPoint, Rewriter

Key = tuple[object, ...]


@dataclass
class _Access:
    op: llvm.LoadOp | llvm.StoreOp
    key: Key


def promote_accumulators(root: Operation, buffer_bases: Iterable[SSAValue]) -> None:
    """Promote in every innermost scf.for under `root`; `buffer_bases` are the
    base pointers of distinct tir buffers."""
    bases = set(buffer_bases)
    for loop in [op for op in root.walk() if isinstance(op, scf.ForOp)]:
        if not any(op.regions for op in loop.body.block.ops):
            _promote(loop, bases)


def _promote(loop: scf.ForOp, bases: set[SSAValue]) -> None:
    accesses: dict[SSAValue, list[_Access]] = {}
    for op in loop.body.block.ops:
        if isinstance(op, llvm.LoadOp | llvm.StoreOp):
            base, key = _address_key(op.ptr, loop)
            if base not in bases:
                return  # an access we cannot attribute to one buffer
            accesses.setdefault(base, []).append(_Access(op, key))
        elif op.dialect_name() not in ("arith", "math", "llvm", "scf"):
            return  # calls into the runtime, cpu ops: unknown effects
        elif isinstance(op, llvm.CallOp | llvm.CallIntrinsicOp):
            return
    stored = {
        base
        for base, group in accesses.items()
        if any(isinstance(a.op, llvm.StoreOp) for a in group)
    }
    for base, group in accesses.items():
        keys = {access.key for access in group}
        if len(keys) != 1 or _varies(next(iter(keys))):
            continue
        if base not in stored or not stored - {base}:
            continue  # not an accumulator, or LLVM promotes it on its own
        if len({_value_type(a.op) for a in group}) != 1:
            continue
        loop = _carry(loop, [a.op for a in group])


def _varies(key: object) -> bool:
    """Whether a structural key has a loop-variant leaf (None)."""
    if key is None:
        return True
    return isinstance(key, tuple) and any(_varies(part) for part in key)


def _value_type(op: llvm.LoadOp | llvm.StoreOp) -> Attribute:
    return op.dereferenced_value.type if isinstance(op, llvm.LoadOp) else op.value.type


def _address_key(address: SSAValue, loop: scf.ForOp) -> tuple[SSAValue, Key]:
    """(base buffer pointer, structural key of the address); a key holding
    None depends on the loop."""
    owner = address.owner
    if isinstance(owner, llvm.GEPOp):
        indices = tuple(_value_key(index, loop) for index in owner.ssa_indices)
        key = ("gep", str(owner.elem_type), str(owner.rawConstantIndices), indices)
        return owner.ptr, key
    return address, ("ptr",)


def _value_key(value: SSAValue, loop: scf.ForOp) -> object:
    if not _inside(value, loop):
        return value
    owner = value.owner
    if isinstance(owner, Operation) and owner.dialect_name() == "arith":
        props = tuple(sorted((k, str(v)) for k, v in owner.properties.items()))
        return (owner.name, props, tuple(_value_key(o, loop) for o in owner.operands))
    return None  # the induction variable, a load, ...: varies with the loop


def _inside(value: SSAValue, loop: scf.ForOp) -> bool:
    owner = value.owner
    op = owner.parent_op() if isinstance(owner, Block) else owner
    return op is not None and (op is loop or loop.is_ancestor(op))


def _carry(loop: scf.ForOp, ops: list[llvm.LoadOp | llvm.StoreOp]) -> scf.ForOp:
    """`loop` rewritten so that the element `ops` access is an iteration argument."""
    first = ops[0]
    before = InsertPoint.before(loop)
    address = _materialize(first.ptr, loop, before)
    value_type = _value_type(first)
    alignment = _alignment(first)
    initial = llvm.LoadOp(address, value_type, alignment=alignment)
    Rewriter.insert_op(initial, before)

    old_body = loop.body.block
    new_body = Block(arg_types=[arg.type for arg in old_body.args] + [value_type])
    for old, new in zip(old_body.args, new_body.args, strict=False):
        old.replace_all_uses_with(new)
    current: SSAValue = new_body.args[-1]
    for op in list(old_body.ops):
        op.detach()
        if isinstance(op, llvm.LoadOp) and op in ops:
            op.dereferenced_value.replace_all_uses_with(current)
            op.erase()
            continue
        if isinstance(op, llvm.StoreOp) and op in ops:
            current = op.value
            op.erase()
            continue
        if isinstance(op, scf.YieldOp):
            old_yield, op = op, scf.YieldOp(*op.operands, current)
            old_yield.erase()
        new_body.add_op(op)
    carried = [*loop.iter_args, initial.dereferenced_value]
    new_loop = scf.ForOp(loop.lb, loop.ub, loop.step, carried, new_body)
    new_loop.attributes |= loop.attributes
    Rewriter.insert_op(new_loop, before)
    for old, new in zip(loop.results, new_loop.results, strict=False):
        old.replace_all_uses_with(new)
    final = llvm.StoreOp(new_loop.results[-1], address, alignment=alignment)
    Rewriter.insert_op(final, InsertPoint.after(new_loop))
    Rewriter.erase_op(loop)
    return new_loop


def _alignment(op: llvm.LoadOp | llvm.StoreOp) -> int:
    value = getattr(getattr(op.alignment, "value", None), "data", None)
    return int(value) if value is not None else 0


def _materialize(value: SSAValue, loop: scf.ForOp, point: InsertPoint) -> SSAValue:
    """`value` (computed in the loop from loop-invariant values) recomputed at
    `point`, before the loop."""
    if not _inside(value, loop):
        return value
    owner = value.owner
    assert isinstance(owner, Operation)
    mapping = {o: _materialize(o, loop, point) for o in owner.operands}
    clone = owner.clone(value_mapper=dict(mapping))
    Rewriter.insert_op(clone, point)
    position = next(i for i, r in enumerate(owner.results) if r is value)
    return clone.results[position]
