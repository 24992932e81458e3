"""Index analysis for the primitives that move or copy blocks.

Index values become `SymExpr`s over shape variables (`n`) and loop variables
(`$0`, `$1`, ... one per `tir.for`), so bounds can be reasoned about: a
normalised loop's variable lies in `[0, extent)`, shape variables are
non-negative.  What cannot be expressed (a `select`, a loaded value) is
None, and the primitives refuse rather than guess.  The module also answers
which buffers a block really loads and stores: legalized blocks declare
their reads/writes loosely (every output in `writes`), so dependences are
read from the `tir.load`/`tir.store` ops, not the declarations.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from xdsl.builder import Builder
from xdsl.dialects import arith, func, memref
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    ArrayAttr,
    DictionaryAttr,
    IndexType,
    MemRefType,
    StringAttr,
)
from xdsl.ir import Block, BlockArgument, Operation, SSAValue
from xdsl.rewriter import InsertPoint

from xunity.dialects import tir
from xunity.dialects.graph.types import DimsAttr
from xunity.ir.sym_values import SymValues
from xunity.ir.symbolic import DivAtom, SymExpr, Var

_BINARY = {
    arith.AddiOp: lambda a, b: a + b,
    arith.SubiOp: lambda a, b: a - b,
    arith.MuliOp: lambda a, b: a * b,
}
# Division by a positive constant; index values are non-negative, so the
# unsigned and signed forms agree with floor division.
_DIVISIONS = {
    arith.DivUIOp: "floordiv",
    arith.DivSIOp: "floordiv",
    arith.FloorDivSIOp: "floordiv",
    arith.CeilDivUIOp: "ceildiv",
    arith.CeilDivSIOp: "ceildiv",
    arith.RemUIOp: "mod",
    arith.RemSIOp: "mod",
}


@dataclass
class Interval:
    """`[lo, hi)`, where lo is the minimum of `lows` and hi the maximum of `highs`
    (several candidates when no one provably dominates the others)."""

    lows: list[SymExpr]
    highs: list[SymExpr]

    def union(self, other: Interval) -> Interval:
        return Interval(
            _keep_extreme(self.lows + other.lows, lowest=True),
            _keep_extreme(self.highs + other.highs, lowest=False),
        )

    def single(self) -> tuple[SymExpr, SymExpr] | None:
        if len(self.lows) == 1 and len(self.highs) == 1:
            return self.lows[0], self.highs[0]
        return None


def _keep_extreme(exprs: list[SymExpr], lowest: bool) -> list[SymExpr]:
    """Drop the candidates another one dominates by a constant difference."""
    kept: list[SymExpr] = []
    for expr in exprs:
        for index, other in enumerate(kept):
            difference = (expr - other).constant_value()
            if difference is not None:
                if (difference < 0) == lowest and difference != 0:
                    kept[index] = expr
                break
        else:
            kept.append(expr)
    return kept


@dataclass
class IndexAnalysis:
    """Index values of one kernel as `SymExpr`s, and their materialisation."""

    func: func.FuncOp
    values: dict[str, SSAValue] = field(default_factory=dict[str, SSAValue])
    """Variable name -> the value it stands for (shape variables, loop variables)."""
    _loop_names: dict[tir.ForOp, str] = field(default_factory=dict[tir.ForOp, str])

    def __post_init__(self) -> None:
        for arg, attrs in zip(self.func.args, _arg_attrs(self.func), strict=False):
            shape_var = attrs.get("tir.shape_var")
            if isinstance(shape_var, StringAttr):
                self.values[shape_var.data] = arg

    def loop_var(self, loop: tir.ForOp) -> str:
        if loop not in self._loop_names:
            name = f"${len(self._loop_names)}"
            self._loop_names[loop] = name
            self.values[name] = loop.induction_var
        return self._loop_names[loop]

    def expr(
        self, value: SSAValue, env: Mapping[SSAValue, SymExpr] | None = None
    ) -> SymExpr | None:
        """`value` as a SymExpr (block arguments looked up in `env`), or None."""
        if env is not None and value in env:
            return env[value]
        constant = tir.constant_index(value)
        if constant is not None:
            return SymExpr.of(constant)
        if isinstance(value, BlockArgument):
            loop = value.owner.parent_op()
            if isinstance(loop, tir.ForOp) and value is loop.induction_var:
                return SymExpr.of(self.loop_var(loop))
            names = [name for name, bound in self.values.items() if bound is value]
            return SymExpr.of(names[0]) if names else None
        op = value.owner
        assert isinstance(op, Operation)
        if isinstance(op, memref.DimOp):
            dims = self.buffer_dims(op.source)
            axis = tir.constant_index(op.index)
            if dims is None or axis is None or not 0 <= axis < len(dims):
                return None
            return dims[axis]
        operands = [self.expr(operand, env) for operand in op.operands]
        if any(operand is None for operand in operands) or len(operands) != 2:
            return None
        lhs, rhs = operands
        assert lhs is not None and rhs is not None
        combine = _BINARY.get(type(op))
        if combine is not None:
            return combine(lhs, rhs)
        kind = _DIVISIONS.get(type(op))
        divisor = rhs.constant_value()
        if kind is None or divisor is None or divisor <= 0:
            return None
        return lhs._divide(kind, divisor)  # pyright: ignore[reportPrivateUsage]

    def buffer_dims(self, buffer: SSAValue) -> list[SymExpr] | None:
        """The dims of `buffer`: constants, `tir.dims` of an argument, or the
        sizes of its `tir.alloc_buffer`."""
        buffer_type = buffer.type
        assert isinstance(buffer_type, MemRefType)
        shape = buffer_type.get_shape()
        symbolic: Sequence[SymExpr | None] | None = None
        if isinstance(buffer, BlockArgument) and buffer.owner is self.func.body.block:
            dims = _arg_attrs(self.func)[buffer.index].get("tir.dims")
            symbolic = dims.data if isinstance(dims, DimsAttr) else None
        elif isinstance(buffer.owner, tir.AllocBufferOp):
            sizes = iter(buffer.owner.dynamic_sizes)
            symbolic = [
                self.expr(next(sizes)) if dim == DYNAMIC_INDEX else SymExpr.of(dim)
                for dim in shape
            ]
        if symbolic is None:
            return None if DYNAMIC_INDEX in shape else [SymExpr.of(d) for d in shape]
        if len(symbolic) != len(shape) or any(dim is None for dim in symbolic):
            return None
        return [dim for dim in symbolic if dim is not None]

    def extent(self, loop: tir.ForOp) -> SymExpr | None:
        """The trip count of a loop normalised to lb 0, step 1, else None."""
        if tir.constant_index(loop.lb) != 0 or tir.constant_index(loop.step) != 1:
            return None
        return self.expr(loop.ub)

    def ranges(self, loops: Iterable[tir.ForOp]) -> dict[str, SymExpr]:
        """Loop variable -> extent, for the normalised loops among `loops`."""
        ranges: dict[str, SymExpr] = {}
        for loop in loops:
            extent = self.extent(loop)
            if extent is not None:
                ranges[self.loop_var(loop)] = extent
        return ranges

    def emitter(self, point: InsertPoint) -> SymValues:
        """Materialises SymExprs over this analysis's variables at `point`."""
        return SymValues(Builder(point), self.values, IndexType())


# ---------------------------------------------------------------- bounds
def interval(expr: SymExpr, inner: Mapping[str, SymExpr]) -> Interval | None:
    """`[lo, hi)` of `expr` while each variable of `inner` ranges over
    `[0, extent)`; None unless those variables occur only as linear terms."""
    lo, hi = SymExpr.of(0), SymExpr.of(1)
    for monomial, coefficient in expr.terms:
        term = SymExpr(((monomial, coefficient),))
        if not term.free_vars() & set(inner):
            lo, hi = lo + term, hi + term
            continue
        atom = monomial[0] if len(monomial) == 1 else None
        if not isinstance(atom, Var):
            return None
        span = (inner[atom.name] - 1) * coefficient
        lo, hi = (lo, hi + span) if coefficient > 0 else (lo + span, hi)
    return Interval([lo], [hi])


def nonneg(expr: SymExpr, ranges: Mapping[str, SymExpr]) -> bool:
    """Provably `expr >= 0`, with loop variables in `[0, ranges[v])` and
    every other variable non-negative."""
    bounded = SymExpr.of(0)
    for monomial, coefficient in expr.terms:
        term = SymExpr(((monomial, coefficient),))
        atom = monomial[0] if len(monomial) == 1 else None
        if coefficient < 0 and isinstance(atom, Var) and atom.name in ranges:
            term = (ranges[atom.name] - 1) * coefficient  # v <= extent - 1
        bounded = bounded + term
    for monomial, coefficient in bounded.terms:
        if coefficient < 0:
            return False  # a negative constant, or a term that may be large
        for atom in monomial:
            if isinstance(atom, DivAtom) and not nonneg(atom.numerator, ranges):
                return False
    return True


def provably_le(lhs: SymExpr, rhs: SymExpr, ranges: Mapping[str, SymExpr]) -> bool:
    return nonneg(rhs - lhs, ranges)


# ---------------------------------------------------------------- structure
def _arg_attrs(function: func.FuncOp) -> list[dict[str, object]]:
    attrs = function.arg_attrs
    if not isinstance(attrs, ArrayAttr):
        return [{} for _ in function.args]
    return [
        dict(attr.data) if isinstance(attr, DictionaryAttr) else {}
        for attr in attrs.data
    ]


def ancestors(op: Operation) -> list[Operation]:
    """The ops enclosing `op`, innermost first."""
    found: list[Operation] = []
    parent = op.parent_op()
    while parent is not None:
        found.append(parent)
        parent = parent.parent_op()
    return found


def blocks_in(op: Operation) -> list[tir.BlockOp]:
    return [inner for inner in op.walk() if isinstance(inner, tir.BlockOp)]


def accesses(block: tir.BlockOp) -> tuple[set[SSAValue], set[SSAValue]]:
    """The buffers `block` loads and stores (not counting its local ones)."""
    loads: set[SSAValue] = set()
    stores: set[SSAValue] = set()
    for op in block.walk():
        if isinstance(op, tir.LoadOp | tir.StoreOp):
            defining = op.buffer.owner
            if isinstance(defining, Operation) and block.is_ancestor(defining):
                continue
            (loads if isinstance(op, tir.LoadOp) else stores).add(op.buffer)
    return loads, stores


def accesses_of(block: tir.BlockOp, buffer: SSAValue) -> list[tir.LoadOp | tir.StoreOp]:
    return [
        op
        for op in block.walk()
        if isinstance(op, tir.LoadOp | tir.StoreOp) and op.buffer is buffer
    ]


def at_iter_vars(
    access: tir.LoadOp | tir.StoreOp, block: tir.BlockOp, positions: Sequence[int]
) -> bool:
    """Whether `access` indexes exactly the iteration variables at `positions`
    (of the body, or of the init region when it lies there)."""
    region_args: Sequence[SSAValue] = block.iter_vars
    if block.init is not None and block.init.is_ancestor(access):
        region_args = block.init.block.args
    return list(access.indices) == [region_args[p] for p in positions]


def top_level(op: Operation, function: func.FuncOp) -> Operation:
    """The ancestor of `op` (or `op`) directly in the body of `function`."""
    while op.parent_op() is not function:
        parent = op.parent_op()
        assert parent is not None
        op = parent
    return op


def top_ops_between(
    first: Operation, last: Operation, function: func.FuncOp
) -> list[Operation]:
    """The top-level ops strictly between `first` and `last`."""
    ops = list(function.body.block.ops)
    return ops[ops.index(first) + 1 : ops.index(last)]


def comes_before(first: Operation, second: Operation) -> bool:
    """For ops of one block."""
    block = first.parent_block()
    assert block is not None and block is second.parent_block()
    return block.get_operation_index(first) < block.get_operation_index(second)


def depends_on(value: SSAValue, iv: BlockArgument) -> bool:
    if value is iv:
        return True
    owner = value.owner
    if not isinstance(owner, Operation):
        return False
    return any(depends_on(operand, iv) for operand in owner.operands)


def defined_in(value: SSAValue, op: Operation) -> bool:
    """Whether `value` is defined inside `op` (a result or block argument of
    something nested in it)."""
    owner = value.owner
    defining = owner.parent_op() if isinstance(owner, Block) else owner
    return defining is not None and (defining is op or op.is_ancestor(defining))


def unique_block_name(function: func.FuncOp, base: str) -> str:
    names = {block.block_name.data for block in blocks_in(function)}
    name, suffix = base, 0
    while name in names:
        suffix += 1
        name = f"{base}_{suffix}"
    return name
