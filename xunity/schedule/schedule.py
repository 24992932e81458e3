"""`Schedule`: loop transformations over one tir kernel, each checked for legality.

    sch = Schedule(kernel)                 # works on `kernel` in place
    block = sch.get_block("add1")
    i, j = sch.get_loops(block)
    jo, ji = sch.split(j, [None, 8])       # None: inferred, ceildiv(extent, 8)
    sch.vectorize(ji)
    sch.parallel(i)
    print(sch.trace)                       # the calls, replayable on a copy

Loops are `tir.for`s; primitives that move loops need them normalised (lb 0,
step 1).  A block sees loops only through its bindings, so every primitive
rewrites the uses of the induction variables it replaces by index
expressions, computed right before each user.

Split of an extent the factors do not divide (always the case for a symbolic
extent such as a shape variable `n`) adds a guard: every block under the
split loop is wrapped in `scf.if (fused index < extent)`.  The guard sits
directly around the block, so the loops stay perfectly nested and can still
be reordered or fused.  Primitive failures raise `ScheduleError` naming the
primitive and the rule; checks run before any rewrite, so a failed call
leaves the function unchanged and is not recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import pairwise
from math import prod

from xdsl.dialects import arith, func, scf
from xdsl.dialects.builtin import IndexType, StringAttr
from xdsl.ir import Block, BlockArgument, Operation, SSAValue
from xdsl.rewriter import InsertPoint, Rewriter

from xunity.dialects import tir
from xunity.schedule import caching, compute_location, reduction, tensorize
from xunity.schedule.analysis import depends_on
from xunity.schedule.errors import ScheduleError
from xunity.schedule.errors import fail as _fail
from xunity.schedule.trace import Argument, BlockRef, Instruction, LoopRef, Trace

__all__ = ["Schedule", "ScheduleError"]


class Schedule:
    """Schedule primitives over `func_op`, a tir kernel, rewritten in place."""

    def __init__(self, func_op: func.FuncOp, scheduler: str = "manual"):
        self.func = func_op
        self.trace = Trace()
        self.scheduler = scheduler
        """Recorded on the kernel (tir.SCHEDULED_ATTR) by the first primitive."""

    # ------------------------------------------------------------ lookups
    def get_block(self, name: str) -> tir.BlockOp:
        """The unique `tir.block` called `name`."""
        found = [
            op
            for op in self.func.walk()
            if isinstance(op, tir.BlockOp) and op.block_name.data == name
        ]
        if not found:
            raise _fail("get_block", f'no block named "{name}"')
        if len(found) > 1:
            raise _fail("get_block", f'block name "{name}" is not unique')
        return found[0]

    def get_loops(self, block: tir.BlockOp) -> list[tir.ForOp]:
        """The loops around `block`, outermost first."""
        return self.get_loops_of_op(block)

    def loop_ref(self, loop: tir.ForOp) -> LoopRef:
        """`loop` as (first block under it, position among that block's loops)."""
        block = next((op for op in loop.walk() if isinstance(op, tir.BlockOp)), None)
        if block is None:
            raise _fail("trace", "a loop without a block under it cannot be named")
        return LoopRef(block.block_name.data, self.get_loops(block).index(loop))

    def resolve(self, ref: LoopRef) -> tir.ForOp:
        loops = self.get_loops(self.get_block(ref.block))
        if not 0 <= ref.index < len(loops):
            raise _fail(
                "trace",
                f'block "{ref.block}" has {len(loops)} loops, no loop {ref.index}',
            )
        return loops[ref.index]

    # ------------------------------------------------------------ primitives
    def split(self, loop: tir.ForOp, factors: Sequence[int | None]) -> list[tir.ForOp]:
        """Split `loop` into len(factors) nested loops, outermost first.

        One factor may be None: it is inferred as ceildiv(extent, product of
        the others).  A symbolic extent needs that None.  When the factors'
        product may exceed the extent, blocks get a remainder guard.
        """
        self._check_loop("split", loop)
        self._check_normal("split", loop)
        self._check_serial("split", loop)
        factors = list(factors)
        if len(factors) < 2:
            raise _fail("split", "needs at least two factors")
        if sum(factor is None for factor in factors) > 1:
            raise _fail("split", "at most one factor may be None (inferred)")
        known = [factor for factor in factors if factor is not None]
        if any(factor <= 0 for factor in known):
            raise _fail("split", f"factors must be positive, got {factors}")
        extent = tir.constant_index(loop.ub)
        if extent is None and None not in factors:
            raise _fail(
                "split",
                "a symbolic extent needs one factor None (inferred as a ceildiv)",
            )
        product = prod(known)
        if None not in factors and extent is not None and product < extent:
            raise _fail(
                "split",
                f"factors {factors} (product {product}) do not cover extent {extent}",
            )
        ref = self.loop_ref(loop)

        if extent is not None:
            inferred = -(-extent // product)
            sizes = [inferred if factor is None else factor for factor in factors]
            guarded = prod(sizes) != extent
            extents = [self.constant(size) for size in sizes]
        else:
            guarded = True
            ceil = arith.CeilDivUIOp(loop.ub, self.constant(product))
            Rewriter.insert_op(ceil, _hoisted_point([loop.ub]))
            extents = [
                ceil.result if factor is None else self.constant(factor)
                for factor in factors
            ]

        new_loops = self._replace_loop_nest(loop, extents)
        ivs = [new.induction_var for new in new_loops]

        def fused_index(point: InsertPoint) -> SSAValue:
            index = ivs[0]
            for iv, size in zip(ivs[1:], extents[1:], strict=True):
                scaled = _insert(arith.MuliOp(index, size), point)
                index = _insert(arith.AddiOp(scaled, iv), point)
            return index

        if guarded:
            _guard_blocks(new_loops[-1], loop.induction_var, loop.ub)
        _replace_iv(loop.induction_var, fused_index, new_loops[-1])
        Rewriter.erase_op(loop)
        self.record("split", ref, tuple(factors))
        return new_loops

    def reorder(self, *loops: tir.ForOp) -> None:
        """Permute perfectly nested loops: the given loops take the positions
        they occupy, in the given order."""
        if len(loops) < 2:
            raise _fail("reorder", "needs at least two loops")
        if len(set(loops)) != len(loops):
            raise _fail("reorder", "a loop is given twice")
        for loop in loops:
            self._check_loop("reorder", loop)
        chain = _chain(loops)
        if chain is None:
            raise _fail("reorder", "the loops are not in one loop nest")
        self._check_perfect("reorder", chain)
        self._check_bounds_outside("reorder", chain)
        refs = [self.loop_ref(loop) for loop in loops]

        _sink_pure_ops(chain)
        given = iter(loops)
        headers = [next(given) if loop in loops else loop for loop in chain]
        self._rebuild_chain(chain, headers)
        self.record("reorder", *refs)

    def fuse(self, outer: tir.ForOp, inner: tir.ForOp) -> tir.ForOp:
        """Fuse `inner`, directly nested in `outer`, with it into one loop."""
        for loop in (outer, inner):
            self._check_loop("fuse", loop)
            self._check_normal("fuse", loop)
            self._check_serial("fuse", loop)
        if inner.parent_op() is not outer:
            raise _fail("fuse", "the inner loop must be directly nested in the outer")
        self._check_perfect("fuse", [outer, inner])
        self._check_bounds_outside("fuse", [outer, inner])
        refs = (self.loop_ref(outer), self.loop_ref(inner))

        _sink_pure_ops([outer, inner])
        outer_extent = tir.constant_index(outer.ub)
        inner_extent = tir.constant_index(inner.ub)
        if outer_extent is not None and inner_extent is not None:
            extent = self.constant(outer_extent * inner_extent)
        else:
            product = arith.MuliOp(outer.ub, inner.ub)
            Rewriter.insert_op(product, _hoisted_point([outer.ub, inner.ub]))
            extent = product.result
        zero, one = self.constant(0), self.constant(1)
        fused = tir.ForOp(zero, extent, one)
        _move_body(inner.body.block, fused.body.block)
        iv = fused.induction_var
        inner_ub = inner.ub
        _replace_iv(
            inner.induction_var,
            lambda point: _insert(arith.RemUIOp(iv, inner_ub), point),
            fused,
        )
        _replace_iv(
            outer.induction_var,
            lambda point: _insert(arith.DivUIOp(iv, inner_ub), point),
            fused,
        )
        Rewriter.insert_op(fused, InsertPoint.before(outer))
        Rewriter.erase_op(outer)
        self.record("fuse", *refs)
        return fused

    def parallel(self, loop: tir.ForOp) -> None:
        """Run the iterations of `loop` on the thread pool."""
        self._check_loop("parallel", loop)
        self._check_serial("parallel", loop)
        self._check_spatial("parallel", loop)
        nested = [op for op in loop.walk() if isinstance(op, tir.ForOp)]
        nested += self.get_loops_of_op(loop)
        if any(other.kind.data == tir.ForKind.PARALLEL for other in nested):
            raise _fail("parallel", "parallel loops must not nest")
        self._set_kind("parallel", loop, tir.ForKind.PARALLEL)

    def vectorize(self, loop: tir.ForOp) -> None:
        """Mark `loop` for vectorization (constant bounds, spatial only)."""
        self._check_loop("vectorize", loop)
        self._check_serial("vectorize", loop)
        self._check_constant("vectorize", loop)
        self._check_spatial("vectorize", loop)
        self._set_kind("vectorize", loop, tir.ForKind.VECTORIZED)

    def unroll(self, loop: tir.ForOp) -> None:
        """Mark `loop` for full unrolling (constant bounds)."""
        self._check_loop("unroll", loop)
        self._check_serial("unroll", loop)
        self._check_constant("unroll", loop)
        self._set_kind("unroll", loop, tir.ForKind.UNROLLED)

    def tile(
        self, loops: Sequence[tir.ForOp], factors: Sequence[int]
    ) -> list[tir.ForOp]:
        """Split each of `loops` (perfectly nested, outermost first) by its
        factor and order the outer parts before the inner ones.

        `tile([i, j], [8, 4])` is `split(i, [None, 8])`, `split(j, [None, 4])`
        and `reorder(io, jo, ii, ji)`, recorded as one instruction; returns
        `[io, jo, ii, ji]`.
        """
        loops, factors = list(loops), list(factors)
        if not loops:
            raise _fail("tile", "needs at least one loop")
        if len(factors) != len(loops):
            raise _fail(
                "tile",
                f"needs one factor per loop: {len(loops)} loops, "
                f"{len(factors)} factors",
            )
        if any(not isinstance(factor, int) or factor <= 0 for factor in factors):
            raise _fail("tile", f"factors must be positive ints, got {factors}")
        if len(set(loops)) != len(loops):
            raise _fail("tile", "a loop is given twice")
        for loop in loops:
            self._check_loop("tile", loop)
            self._check_normal("tile", loop)
            self._check_serial("tile", loop)
        if any(inner.parent_op() is not outer for outer, inner in pairwise(loops)):
            raise _fail("tile", "each loop must be directly nested in the previous one")
        self._check_perfect("tile", loops)
        self._check_bounds_outside("tile", loops)
        refs = tuple(self.loop_ref(loop) for loop in loops)
        block = self.get_block(refs[0].block)
        first, count = refs[0].index, 2 * len(loops)

        # The checks above are those split and reorder make on these loops, so
        # neither fails halfway; their own trace entries become one `tile`.
        recorded = len(self.trace.instructions)
        for loop, factor in zip(loops, factors, strict=True):
            self.split(loop, [None, factor])
        if len(loops) > 1:
            nest = self.get_loops(block)[first : first + count]
            self.reorder(*nest[0::2], *nest[1::2])
        del self.trace.instructions[recorded:]
        self.record("tile", refs, tuple(factors))
        return self.get_loops(block)[first : first + count]

    def cache_read(self, block: tir.BlockOp, read_index: int) -> tir.BlockOp:
        """Copy buffer `block.reads[read_index]` to a new buffer the block
        reads instead; returns the copy block (see `caching`)."""
        return caching.cache_read(self, block, read_index)

    def cache_write(self, block: tir.BlockOp, write_index: int) -> tir.BlockOp:
        """Make `block` write `block.writes[write_index]` to a new buffer,
        copied back after it; returns the copy block (see `caching`)."""
        return caching.cache_write(self, block, write_index)

    def compute_at(self, block: tir.BlockOp, loop: tir.ForOp) -> None:
        """Move producer `block` under `loop`, computing what each iteration
        of `loop` reads (see `compute_location`)."""
        compute_location.compute_at(self, block, loop)

    def reverse_compute_at(self, block: tir.BlockOp, loop: tir.ForOp) -> None:
        """Move consumer `block` under `loop`, computing what each iteration
        of `loop` has produced (see `compute_location`)."""
        compute_location.reverse_compute_at(self, block, loop)

    def decompose_reduction(self, block: tir.BlockOp, loop: tir.ForOp) -> tir.BlockOp:
        """Move the init region of `block` into its own block before `loop`;
        returns the init block (see `reduction`)."""
        return reduction.decompose_reduction(self, block, loop)

    def tensorize(self, loop: tir.ForOp, intrinsic: str) -> None:
        """Replace the matmul nest `loop` heads by the micro-kernel `intrinsic`,
        e.g. "gemm_f32_14x32" (see `tensorize`)."""
        tensorize.tensorize(self, loop, intrinsic)

    # ------------------------------------------------------------ helpers
    def get_loops_of_op(self, op: Operation) -> list[tir.ForOp]:
        loops: list[tir.ForOp] = []
        parent = op.parent_op()
        while parent is not None and parent is not self.func:
            if isinstance(parent, tir.ForOp):
                loops.append(parent)
            parent = parent.parent_op()
        return loops[::-1]

    def replay(self, trace: Trace) -> Schedule:
        """Run every call of `trace` on this kernel, recording them anew
        (`Schedule(kernel.clone()).replay(trace).func` schedules a copy)."""
        for instruction in trace.instructions:
            self.run(instruction)
        return self

    def run(self, instruction: Instruction) -> object:
        """Call `instruction` (which records it) and return its result."""
        args = [self._resolve_argument(arg) for arg in instruction.args]
        return getattr(self, instruction.primitive)(*args)

    def _resolve_argument(self, arg: Argument) -> object:
        if isinstance(arg, LoopRef):
            return self.resolve(arg)
        if isinstance(arg, BlockRef):
            return self.get_block(arg.name)
        if isinstance(arg, tuple) and arg and isinstance(arg[0], LoopRef):
            return [self.resolve(ref) for ref in arg if isinstance(ref, LoopRef)]
        return arg

    def record(self, primitive: str, *args: Argument) -> None:
        self.trace.instructions.append(Instruction(primitive, tuple(args)))
        self.func.attributes[tir.SCHEDULED_ATTR] = StringAttr(self.scheduler)

    def _set_kind(self, primitive: str, loop: tir.ForOp, kind: tir.ForKind) -> None:
        ref = self.loop_ref(loop)
        loop.kind = tir.ForKindAttr(kind)
        self.record(primitive, ref)

    def constant(self, value: int) -> SSAValue:
        """An index constant at function entry (reused if there), visible to
        every loop."""
        for op in self.func.body.block.ops:
            if not isinstance(op, arith.ConstantOp):
                break
            if (
                isinstance(op.result.type, IndexType)
                and tir.constant_index(op.result) == value
            ):
                return op.result
        constant = arith.ConstantOp.from_int_and_width(value, IndexType())
        Rewriter.insert_op(constant, InsertPoint.at_start(self.func.body.block))
        return constant.result

    def _check_loop(self, primitive: str, loop: object) -> None:
        if not isinstance(loop, tir.ForOp):
            raise _fail(primitive, f"expected a tir.for, got {type(loop).__name__}")
        if not self.func.is_ancestor(loop):
            raise _fail(primitive, "the loop is not in the scheduled function")

    @staticmethod
    def _check_normal(primitive: str, loop: tir.ForOp) -> None:
        if tir.constant_index(loop.lb) != 0 or tir.constant_index(loop.step) != 1:
            raise _fail(primitive, "the loop must start at 0 with step 1")

    @staticmethod
    def _check_serial(primitive: str, loop: tir.ForOp) -> None:
        kind = loop.kind.data
        if kind != tir.ForKind.SERIAL:
            raise _fail(primitive, f"the loop must be serial, it is {kind.value}")

    @staticmethod
    def _check_constant(primitive: str, loop: tir.ForOp) -> None:
        values = (loop.lb, loop.ub, loop.step)
        if any(tir.constant_index(value) is None for value in values):
            raise _fail(primitive, "the loop needs a constant extent")

    @staticmethod
    def _check_spatial(primitive: str, loop: tir.ForOp) -> None:
        for block in loop.walk():
            if not isinstance(block, tir.BlockOp):
                continue
            kinds = block.iter_kinds.data
            for kind, binding in zip(kinds, block.bindings, strict=True):
                if kind.data == tir.IterKind.REDUCE and depends_on(
                    binding, loop.induction_var
                ):
                    raise _fail(
                        primitive,
                        f'the loop is bound to a reduce iteration variable of block "'
                        f'{block.block_name.data}"; only spatial ones are allowed',
                    )

    @staticmethod
    def _check_perfect(primitive: str, chain: Sequence[tir.ForOp]) -> None:
        for loop, nested in pairwise(chain):
            for op in loop.body.block.ops:
                if op is nested or isinstance(op, tir.YieldOp):
                    continue
                if op.regions or not _is_pure(op):
                    raise _fail(
                        primitive,
                        f"the loops must be perfectly nested; a loop body also "
                        f"holds {op.name}",
                    )

    @staticmethod
    def _check_bounds_outside(primitive: str, chain: Sequence[tir.ForOp]) -> None:
        outermost = chain[0]
        for loop in chain:
            for value in (loop.lb, loop.ub, loop.step):
                owner = value.owner
                op = owner if isinstance(owner, Operation) else owner.parent_op()
                if op is not None and (op is outermost or outermost.is_ancestor(op)):
                    raise _fail(primitive, "a loop bound depends on a loop of the nest")

    def _replace_loop_nest(
        self, loop: tir.ForOp, extents: Sequence[SSAValue]
    ) -> list[tir.ForOp]:
        """Nested serial loops over `extents` in place of `loop`, holding its body;
        the old loop stays (empty) for the caller to rewrite uses and erase."""
        zero, one = self.constant(0), self.constant(1)
        new_loops = [tir.ForOp(zero, extent, one) for extent in extents]
        for outer, inner in pairwise(new_loops):
            Rewriter.insert_op(inner, InsertPoint.at_start(outer.body.block))
        _move_body(loop.body.block, new_loops[-1].body.block)
        Rewriter.insert_op(new_loops[0], InsertPoint.before(loop))
        return new_loops

    def _rebuild_chain(
        self, chain: Sequence[tir.ForOp], headers: Sequence[tir.ForOp]
    ) -> None:
        """Replace `chain` (perfectly nested, intermediate bodies hold only the
        next loop) by loops with the bounds and kinds of `headers`."""
        new_loops = [
            tir.ForOp(header.lb, header.ub, header.step, header.kind.data)
            for header in headers
        ]
        for outer, inner in pairwise(new_loops):
            Rewriter.insert_op(inner, InsertPoint.at_start(outer.body.block))
        _move_body(chain[-1].body.block, new_loops[-1].body.block)
        for header, new in zip(headers, new_loops, strict=True):
            header.induction_var.replace_all_uses_with(new.induction_var)
        Rewriter.insert_op(new_loops[0], InsertPoint.before(chain[0]))
        Rewriter.erase_op(chain[0])


# ---------------------------------------------------------------- free helpers
def _insert(op: Operation, point: InsertPoint) -> SSAValue:
    Rewriter.insert_op(op, point)
    return op.results[0]


def _is_pure(op: Operation) -> bool:
    return op.dialect_name() == "arith"


def _move_body(source: Block, target: Block) -> None:
    """Move every op but the terminator of `source` before `target`'s terminator."""
    terminator = target.last_op
    assert terminator is not None
    for op in list(source.ops):
        if isinstance(op, tir.YieldOp):
            continue
        op.detach()
        target.insert_op_before(op, terminator)


def _replace_iv(
    iv: BlockArgument, build: Callable[[InsertPoint], SSAValue], loop: tir.ForOp
) -> None:
    """Replace `iv`, whose uses all lie in `loop`, by `build(...)` computed once
    at the start of its body."""
    if iv.uses:
        iv.replace_all_uses_with(build(InsertPoint.at_start(loop.body.block)))


def _guard_blocks(loop: tir.ForOp, index: SSAValue, extent: SSAValue) -> None:
    """Wrap every block under `loop` in `scf.if (index < extent)`."""
    for block in [op for op in loop.walk() if isinstance(op, tir.BlockOp)]:
        point = InsertPoint.before(block)
        inside = _insert(arith.CmpiOp(index, extent, "ult"), point)
        guard = scf.IfOp(inside, [], [scf.YieldOp()])
        Rewriter.insert_op(guard, point)
        block.detach()
        yield_op = guard.true_region.block.last_op
        assert yield_op is not None
        guard.true_region.block.insert_op_before(block, yield_op)


def _chain(loops: Sequence[tir.ForOp]) -> list[tir.ForOp] | None:
    """The loops from the outermost to the innermost of `loops`, if all of
    `loops` lie on that path."""

    def ancestors(loop: tir.ForOp) -> list[tir.ForOp]:
        path: list[tir.ForOp] = [loop]
        parent = loop.parent_op()
        while parent is not None:
            if isinstance(parent, tir.ForOp):
                path.append(parent)
            parent = parent.parent_op()
        return path[::-1]

    innermost = max(loops, key=lambda loop: len(ancestors(loop)))
    path = ancestors(innermost)
    if not all(loop in path for loop in loops):
        return None
    start = min(path.index(loop) for loop in loops)
    return path[start:]


def _sink_pure_ops(chain: Sequence[tir.ForOp]) -> None:
    """Move the pure ops of intermediate bodies to the start of the innermost."""
    innermost = chain[-1].body.block
    moved: list[Operation] = []
    for loop, nested in pairwise(chain):
        moved += [
            op
            for op in loop.body.block.ops
            if op is not nested and not isinstance(op, tir.YieldOp)
        ]
    for op in reversed(moved):
        op.detach()
        innermost.insert_op_before(op, innermost.first_op)  # type: ignore[arg-type]


def _hoisted_point(values: Sequence[SSAValue]) -> InsertPoint:
    """The earliest point where all of `values` (which dominate the caller's
    loop) are defined."""

    def point_of(value: SSAValue) -> tuple[int, InsertPoint, Block, Operation | None]:
        owner = value.owner
        if isinstance(owner, Block):
            # after the leading constants, which may be among the operands
            last = None
            for op in owner.ops:
                if not isinstance(op, arith.ConstantOp):
                    break
                last = op
            point = (
                InsertPoint.at_start(owner) if last is None else InsertPoint.after(last)
            )
            return _depth(owner), point, owner, last
        block = owner.parent_block()
        assert block is not None
        return _depth(block), InsertPoint.after(owner), block, owner

    points = [point_of(value) for value in values]
    deepest = max(depth for depth, *_ in points)
    candidates = [p for p in points if p[0] == deepest]
    block = candidates[0][2]
    ops = list(block.ops)
    latest = max(candidates, key=lambda p: -1 if p[3] is None else ops.index(p[3]))
    return latest[1]


def _depth(block: Block) -> int:
    depth = 0
    parent = block.parent_op()
    while parent is not None:
        depth += 1
        parent = parent.parent_op()
    return depth
