"""`convert-cpu-to-llvm`: the cpu dialect's vector, runtime and loop ops -> `llvm`.

See docs/dialects/cpu.md for each op's lowering.  Two choices made here:

- Float add/mul `cpu.vreduce` is a tree of half-width shuffles and adds down
  to two lanes, then `llvm.intr.vector.reduce.fadd` of those two: the
  documented tree order, without the `reassoc` flag that the llvmlite
  translation drops (an ordered reduction would be a serial chain).
- `cpu.parallel` runs on the runtime thread pool: its body is outlined into
  an internal `llvm.func @<parent>_par<k>(i64 begin, i64 end, ptr closure) -> i32`
  (marked `cpu.parallel_body`) that loops over [begin, end) and returns 0;
  every value the body uses from outside is stored into 64-byte-aligned
  stack bytes at explicit offsets (the closure; constants are cloned instead,
  so LLVM still sees them), and the loop becomes
  `XUParallelLaunch(@<parent>_par<k>, closure, lb, ub, num_tasks or 0)`,
  with num_tasks 1 (serial) when the op's `grain` says the range is too
  small for two tasks.  Its result is not checked: outlined bodies always return 0.
  A `cpu.parallel` inside another one's body runs serially (the runtime
  would run a nested launch serially anyway; an inline loop costs nothing and
  stays visible to LLVM), and so does one whose body uses a value that is
  not a scalar, pointer or vector (e.g. a memref).  Serially means: in a
  function body, a `cf` loop in place, whose body may already be several
  blocks (when `convert-scf-to-cf` ran first; every `cpu.yield` becomes the
  back edge); nested in a structured op, an `scf.for`.  Both are built from
  `arith` / `cf` / `scf` ops on `index`, so this pass runs before
  `convert-scf-to-cf` (for the latter), `convert-arith-to-llvm` and
  `convert-cf-to-llvm`.

bf16 vectors can be loaded, stored and broadcast (as bits) but not reduced
or fused-multiply-added: convert them to f32 first.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, cf, llvm, scf
from xdsl.dialects.builtin import (
    AnyFloat,
    BFloat16Type,
    DenseArrayBase,
    FloatAttr,
    IndexType,
    IntegerAttr,
    IntegerType,
    ModuleOp,
    UnitAttr,
    UnrealizedConversionCastOp,
    VectorType,
    i32,
    i64,
)
from xdsl.dialects.func import FuncOp
from xdsl.ir import Attribute, Block, Operation, OpResult, Region, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.rewriter import BlockInsertPoint, InsertPoint, Rewriter
from xdsl.traits import SymbolTable, is_side_effect_free

from xunity.dialects import cpu
from xunity.lowering.llvm_patterns import (
    check_lowered,
    declare_function,
    intrinsic_name,
    llvm_type,
    llvm_value,
    llvm_values,
)

PASS_NAME = "convert-cpu-to-llvm"


def _element_address(
    rewriter: PatternRewriter, ptr: SSAValue, offset: SSAValue, vector: VectorType
) -> SSAValue:
    """`ptr + offset` elements of the vector's element type, as one GEP."""
    gep = llvm.GEPOp(
        ptr,
        [llvm.GEP_USE_SSA_VAL],
        vector.element_type,
        ssa_indices=[llvm_value(offset, rewriter)],
    )
    return rewriter.insert(gep).result


class VLoadLowering(RewritePattern):
    """cpu.vload %p[%off] align = A  ==>  llvm.load (getelementptr %p[%off]), align A"""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: cpu.VLoadOp, rewriter: PatternRewriter) -> None:
        vector_type = op.result.type
        assert isinstance(vector_type, VectorType)
        address = _element_address(rewriter, op.ptr, op.offset, vector_type)
        load = llvm.LoadOp(address, vector_type, alignment=op.align.value.data)
        rewriter.replace(op, [load])


class VStoreLowering(RewritePattern):
    """cpu.vstore %v, %p[%off] align = A  ==>  llvm.store %v, (getelementptr ...)"""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: cpu.VStoreOp, rewriter: PatternRewriter) -> None:
        vector_type = op.value.type
        assert isinstance(vector_type, VectorType)
        address = _element_address(rewriter, op.ptr, op.offset, vector_type)
        store = llvm.StoreOp(op.value, address, alignment=op.align.value.data)
        rewriter.replace(op, [store])


class VBroadcastLowering(RewritePattern):
    """cpu.vbroadcast %s  ==>  shufflevector(insertelement(undef, %s, 0), zeros)"""

    @op_type_rewrite_pattern
    def match_and_rewrite(
        self, op: cpu.VBroadcastOp, rewriter: PatternRewriter
    ) -> None:
        vector_type = op.result.type
        assert isinstance(vector_type, VectorType)
        width = vector_type.get_shape()[0]
        undef = rewriter.insert(llvm.UndefOp(vector_type)).res
        lane0 = rewriter.insert(llvm.ConstantOp(IntegerAttr(0, i32), i32)).result
        scalar = llvm_value(op.scalar, rewriter)
        single = rewriter.insert(llvm.InsertElementOp(undef, scalar, lane0)).res
        mask = DenseArrayBase.from_list(i32, [0] * width)
        rewriter.replace(op, [llvm.ShuffleVectorOp(single, undef, mask, vector_type)])


def _is_bf16(vector_type: Attribute) -> bool:
    return isinstance(vector_type, VectorType) and isinstance(
        vector_type.element_type, BFloat16Type
    )


class VFmaLowering(RewritePattern):
    """cpu.vfma %a, %b, %c  ==>  llvm.intr.fma %a, %b, %c"""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: cpu.VFmaOp, rewriter: PatternRewriter) -> None:
        if _is_bf16(op.result.type):
            return
        rewriter.replace(op, [llvm.FMAOp(op.lhs, op.rhs, op.acc)])


_REDUCE_INTRINSICS: dict[tuple[cpu.ReduceKind, bool], str] = {
    (cpu.ReduceKind.MAX, True): "llvm.vector.reduce.fmax",
    (cpu.ReduceKind.MIN, True): "llvm.vector.reduce.fmin",
    (cpu.ReduceKind.ADD, False): "llvm.vector.reduce.add",
    (cpu.ReduceKind.MUL, False): "llvm.vector.reduce.mul",
    (cpu.ReduceKind.MAX, False): "llvm.vector.reduce.smax",
    (cpu.ReduceKind.MIN, False): "llvm.vector.reduce.smin",
}
"""(kind, is float) -> the order-independent LLVM reduction intrinsic."""


class VReduceLowering(RewritePattern):
    """cpu.vreduce add %v  ==>  shuffle/fadd tree, reduce.fadd (2 lanes)

    max/min and integer kinds: llvm.call_intrinsic "llvm.vector.reduce.<kind>.<T>"
    """

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: cpu.VReduceOp, rewriter: PatternRewriter) -> None:
        vector_type = op.vector.type
        assert isinstance(vector_type, VectorType)
        if _is_bf16(vector_type):
            return
        kind = op.kind.data
        is_float = isinstance(vector_type.element_type, AnyFloat)
        name = _REDUCE_INTRINSICS.get((kind, is_float))
        if name is not None:
            call = llvm.CallIntrinsicOp(
                intrinsic_name(name, vector_type), [op.vector], [op.result.type]
            )
            rewriter.replace(op, [call])
            return
        vector = self._halve_to_two_lanes(rewriter, op.vector, kind)
        element = vector_type.element_type
        assert isinstance(element, AnyFloat)
        if kind == cpu.ReduceKind.ADD:
            start = llvm.ConstantOp(FloatAttr(-0.0, element), element)
            reduce = llvm.VectorReduceFAddOp(start, vector)
        else:
            start = llvm.ConstantOp(FloatAttr(1.0, element), element)
            reduce = llvm.VectorReduceFMulOp(start, vector)
        rewriter.replace(op, [start, reduce])

    @staticmethod
    def _halve_to_two_lanes(
        rewriter: PatternRewriter, vector: SSAValue, kind: cpu.ReduceKind
    ) -> SSAValue:
        combine = llvm.FAddOp if kind == cpu.ReduceKind.ADD else llvm.FMulOp
        vector_type = vector.type
        assert isinstance(vector_type, VectorType)
        width = vector_type.get_shape()[0]
        while width > 2:
            width //= 2
            half_type = VectorType(vector_type.element_type, [width])
            low, high = (
                rewriter.insert(
                    llvm.ShuffleVectorOp(
                        vector,
                        vector,
                        DenseArrayBase.from_list(i32, range(start, start + width)),
                        half_type,
                    )
                ).res
                for start in (0, width)
            )
            vector = rewriter.insert(combine(low, high)).res
        return vector


class RuntimeCallLowering(RewritePattern):
    """cpu.runtime_call "XUAlloc"(%n, %a)  ==>  llvm.call @XUAlloc(%n, %a), declared"""

    @op_type_rewrite_pattern
    def match_and_rewrite(
        self, op: cpu.RuntimeCallOp, rewriter: PatternRewriter
    ) -> None:
        callee = op.callee.data
        signature = cpu.RUNTIME_FUNCTIONS[callee]
        output = signature.results[0] if signature.results else None
        declare_function(rewriter, op, callee, signature.params, output)
        arguments = llvm_values(op.args, rewriter)
        rewriter.replace(op, [llvm.CallOp(callee, *arguments, return_type=output)])


class WorkspaceAllocLowering(RewritePattern):
    """cpu.workspace_alloc %n align = A  ==>  runtime_call "XUWorkspaceAlloc"(%n, A)"""

    @op_type_rewrite_pattern
    def match_and_rewrite(
        self, op: cpu.WorkspaceAllocOp, rewriter: PatternRewriter
    ) -> None:
        size = llvm_value(op.bytes, rewriter)
        align = llvm.ConstantOp(IntegerAttr(op.align.value.data, i64), i64)
        call = cpu.RuntimeCallOp("XUWorkspaceAlloc", [size, align.result])
        rewriter.replace(op, [align, call])


class WorkspaceFreeLowering(RewritePattern):
    """cpu.workspace_free %p  ==>  cpu.runtime_call "XUWorkspaceFree"(%p)"""

    @op_type_rewrite_pattern
    def match_and_rewrite(
        self, op: cpu.WorkspaceFreeOp, rewriter: PatternRewriter
    ) -> None:
        rewriter.replace(op, [cpu.RuntimeCallOp("XUWorkspaceFree", [op.ptr])])


def _in_function_body(op: Operation) -> bool:
    return isinstance(op.parent_op(), FuncOp | llvm.FuncOp)


OUTLINED_ATTR = "cpu.parallel_body"
"""Marks the llvm.func a `cpu.parallel` body was outlined into."""

CLOSURE_ALIGN = 64
"""The closure's alignment: enough for any field, 512-bit vectors included."""


def _enclosing_function(op: Operation) -> FuncOp | llvm.FuncOp | None:
    parent = op.parent_op()
    while parent is not None and not isinstance(parent, FuncOp | llvm.FuncOp):
        parent = parent.parent_op()
    return parent


def _inside_parallel(op: Operation) -> bool:
    parent = op.parent_op()
    while parent is not None and not isinstance(parent, cpu.ParallelOp):
        parent = parent.parent_op()
    return parent is not None


def _is_defined_inside(value: SSAValue, op: Operation) -> bool:
    owner = value.owner
    block = owner if isinstance(owner, Block) else owner.parent_block()
    return block is not None and op.is_ancestor(block)


def _is_constant(value: SSAValue) -> bool:
    """Made by an operand-free, effect-free op: cloned into the body, not captured."""
    owner = value.owner
    return (
        isinstance(owner, Operation)
        and not owner.operands
        and not owner.regions
        and is_side_effect_free(owner)
    )


def _scalar_bits(type: Attribute) -> int | None:
    if isinstance(type, IndexType | llvm.LLVMPointerType):
        return 64
    if isinstance(type, IntegerType):
        return type.width.data
    if isinstance(type, AnyFloat):
        return type.bitwidth
    return None


def _closure_bytes(type: Attribute) -> int | None:
    """Bytes a captured value takes in the closure; None if it cannot be captured."""
    if isinstance(type, VectorType) and type.get_num_scalable_dims() == 0:
        bits = _scalar_bits(type.element_type)
        return None if bits is None else -(-bits * type.get_shape()[0] // 8)
    bits = _scalar_bits(type)
    return None if bits is None else -(-bits // 8)


def _closure_layout(captured: list[SSAValue]) -> tuple[list[tuple[int, int]], int]:
    """(offset, alignment) of each captured value, and the closure's size in bytes.

    Each value is aligned to its size rounded up to a power of two (at most
    CLOSURE_ALIGN); loads and stores state that alignment.
    """
    fields: list[tuple[int, int]] = []
    size = 0
    for value in captured:
        nbytes = _closure_bytes(value.type)
        assert nbytes is not None
        align = min(CLOSURE_ALIGN, 1 << (nbytes - 1).bit_length())
        offset = -(-size // align) * align
        fields.append((offset, align))
        size = offset + nbytes
    return fields, size


def _outside_values(op: cpu.ParallelOp) -> list[SSAValue]:
    """The values `op`'s body uses but does not define, in order of first use."""
    found: dict[SSAValue, None] = {}
    for inner in op.body.walk():
        for operand in inner.operands:
            if not _is_defined_inside(operand, op):
                found.setdefault(operand)
    return list(found)


def _unique_name(module: ModuleOp, base: str) -> str:
    index = 0
    while SymbolTable.lookup_symbol(module, f"{base}_par{index}") is not None:
        index += 1
    return f"{base}_par{index}"


def _byte_address(closure: SSAValue, offset: int) -> llvm.GEPOp:
    return llvm.GEPOp(closure, [offset], IntegerType(8))


class OutlineParallel(RewritePattern):
    """cpu.parallel %i = %lb to %ub { body(%x, %y) }  ==>  a launch on the thread pool

      %c = llvm.alloca N x !llvm.ptr {alignment = 64}     (at function entry)
      llvm.store %x, (getelementptr %c[0], i8); llvm.store %y, (... %c[8] ...)
      llvm.call @XUParallelLaunch(@f_par0, %c, %lb, %ub, num_tasks or 0)

      llvm.func internal @f_par0(%begin: i64, %end: i64, %c: !llvm.ptr) -> i32
          attributes {cpu.parallel_body} {
        %x, %y = loads from %c
        cpu.parallel %i = %begin to %end { body(%x, %y) }   (a serial loop next)
        llvm.return 0
      }

    The closure is stack bytes with explicit offsets, not an LLVM struct: the
    llvmlite translation gives a struct field's address the struct's pointer
    type and then rejects stores through it, while an alloca of `!llvm.ptr`
    slots yields an opaque pointer that every load and store accepts.
    """

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: cpu.ParallelOp, rewriter: PatternRewriter) -> None:
        parent = _enclosing_function(op)
        if parent is None or OUTLINED_ATTR in parent.attributes:
            return
        if _inside_parallel(op):
            return
        outside = _outside_values(op)
        if any(_closure_bytes(value.type) is None for value in outside):
            return
        module = op.get_toplevel_object()
        assert isinstance(module, ModuleOp)
        constants = [value for value in outside if _is_constant(value)]
        captured = [value for value in outside if not _is_constant(value)]
        name = _unique_name(module, parent.sym_name.data)
        closure = self._pack(rewriter, parent, captured)
        outlined = self._outline(op, rewriter, name, constants, captured)
        rewriter.insert(outlined, InsertPoint.after(parent))
        address = rewriter.insert(llvm.AddressOfOp(name, llvm.LLVMPointerType()))
        tasks = llvm_value(self._tasks(op, rewriter), rewriter)
        bounds = llvm_values([op.lb, op.ub], rewriter)
        launch = cpu.RuntimeCallOp(
            "XUParallelLaunch", [address.result, closure, *bounds, tasks]
        )
        rewriter.replace(op, [launch], [])

    @staticmethod
    def _tasks(op: cpu.ParallelOp, rewriter: PatternRewriter) -> SSAValue:
        """The launch's num_tasks: the op's (0: the runtime's default), or 1,
        which runs serially, when the range has fewer than two grains."""
        num_tasks = op.num_tasks.value.data if op.num_tasks is not None else 0
        tasks = rewriter.insert(llvm.ConstantOp(IntegerAttr(num_tasks, i64), i64))
        if op.grain is None:
            return tasks.result
        two_grains = arith.ConstantOp.from_int_and_width(
            2 * op.grain.value.data, IndexType()
        )
        one = llvm.ConstantOp(IntegerAttr(1, i64), i64)
        size = arith.SubiOp(op.ub, op.lb)
        small = arith.CmpiOp(size, two_grains, "slt")
        serial = arith.SelectOp(small, one, tasks)
        rewriter.insert([two_grains, one, size, small, serial])
        return serial.result

    @staticmethod
    def _pack(
        rewriter: PatternRewriter,
        parent: FuncOp | llvm.FuncOp,
        captured: list[SSAValue],
    ) -> SSAValue:
        """The closure: allocated once at function entry, filled before the launch."""
        if not captured:
            return rewriter.insert(
                llvm.ZeroOp(result_types=[llvm.LLVMPointerType()])
            ).res
        fields, size = _closure_layout(captured)
        slots = llvm.ConstantOp(IntegerAttr(-(-size // 8), i64), i64)
        closure = llvm.AllocaOp(slots, llvm.LLVMPointerType(), alignment=CLOSURE_ALIGN)
        rewriter.insert([slots, closure], InsertPoint.at_start(parent.body.blocks[0]))
        for value, (offset, align) in zip(captured, fields, strict=True):
            address = rewriter.insert(_byte_address(closure.res, offset)).result
            stored = llvm_value(value, rewriter)
            rewriter.insert(llvm.StoreOp(stored, address, alignment=align))
        return closure.res

    @staticmethod
    def _outline(
        op: cpu.ParallelOp,
        rewriter: PatternRewriter,
        name: str,
        constants: list[SSAValue],
        captured: list[SSAValue],
    ) -> llvm.FuncOp:
        """The body function: unpack the closure, loop over [begin, end), return 0."""
        entry = Block(arg_types=[i64, i64, llvm.LLVMPointerType()])
        begin, end, closure = entry.args
        replacements: dict[SSAValue, SSAValue] = {}
        clones: dict[Operation, Operation] = {}
        for value in constants:
            assert isinstance(value, OpResult)
            if value.op not in clones:
                clones[value.op] = value.op.clone()
                entry.add_op(clones[value.op])
            replacements[value] = clones[value.op].results[value.index]
        fields, _ = _closure_layout(captured)
        for value, (offset, align) in zip(captured, fields, strict=True):
            address = _byte_address(closure, offset)
            load = llvm.LoadOp(address, llvm_type(value.type), alignment=align)
            entry.add_ops([address, load])
            replacements[value] = _as_type(entry, load.dereferenced_value, value.type)
        lb = _as_type(entry, begin, IndexType())
        ub = _as_type(entry, end, IndexType())
        loop = cpu.ParallelOp(
            lb, ub, rewriter.move_region_contents_to_new_regions(op.body)
        )
        for old, new in replacements.items():
            old.replace_uses_with_if(new, lambda use: loop.is_ancestor(use.operation))
        zero = llvm.ConstantOp(IntegerAttr(0, i32), i32)
        entry.add_ops([loop, zero, llvm.ReturnOp(zero.result)])
        return llvm.FuncOp(
            name,
            llvm.LLVMFunctionType([i64, i64, llvm.LLVMPointerType()], i32),
            linkage=llvm.LinkageAttr("internal"),
            body=Region(entry),
            extra_attrs={OUTLINED_ATTR: UnitAttr()},
        )


def _as_type(block: Block, value: SSAValue, type: Attribute) -> SSAValue:
    """`value` seen as `type`, through a bridging cast if they differ (i64 -> index)."""
    if value.type == type:
        return value
    cast = UnrealizedConversionCastOp.get([value], [type])
    block.add_op(cast)
    return cast.results[0]


class ParallelToCfLoop(RewritePattern):
    """cpu.parallel %i = %lb to %ub { body }  ==>  a serial cf loop in a function body

      cf.br ^header(%lb)
    ^header(%i: index):  cf.cond_br (%i < %ub), ^body, ^exit
    ^body: ...  %next = %i + 1; cf.br ^header(%next)    (at every cpu.yield)
    ^exit: (the ops after cpu.parallel)
    """

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: cpu.ParallelOp, rewriter: PatternRewriter) -> None:
        parent = op.parent_block()
        if parent is None or not _in_function_body(op):
            return
        # Not op.induction_var: the body may already be several blocks.
        body_blocks = list(op.body.blocks)
        exit_block = parent.split_before(op)
        header = Block(arg_types=[body_blocks[0].args[0].type])
        Rewriter.insert_block(header, BlockInsertPoint.before(exit_block))
        induction = header.args[0]
        body_blocks[0].args[0].replace_all_uses_with(induction)
        rewriter.inline_region(op.body, BlockInsertPoint.before(exit_block))
        body_blocks[0].erase_arg(body_blocks[0].args[0])
        for block in body_blocks:
            terminator = block.last_op
            if not isinstance(terminator, cpu.YieldOp):
                continue
            one = arith.ConstantOp(IntegerAttr.from_index_int_value(1))
            step = arith.AddiOp(induction, one)
            rewriter.replace(terminator, [one, step, cf.BranchOp(header, step)])
        below = arith.CmpiOp(induction, op.ub, "slt")
        rewriter.insert(
            [below, cf.ConditionalBranchOp(below, body_blocks[0], (), exit_block, ())],
            InsertPoint.at_end(header),
        )
        rewriter.insert(cf.BranchOp(header, op.lb), InsertPoint.at_end(parent))
        rewriter.erase(op)


class ParallelToScfFor(RewritePattern):
    """cpu.parallel %i = %lb to %ub { ... }  ==>  scf.for %i = %lb to %ub step 1 { ... }

    For a cpu.parallel nested in a structured op (scf.for, another cpu.parallel),
    where blocks cannot be added; `convert-scf-to-cf` lowers the loop later.
    """

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: cpu.ParallelOp, rewriter: PatternRewriter) -> None:
        if _in_function_body(op) or len(op.body.blocks) != 1:
            return
        body = op.body.blocks[0]
        terminator = body.last_op
        assert isinstance(terminator, cpu.YieldOp)
        rewriter.replace(terminator, [scf.YieldOp()])
        one = arith.ConstantOp(IntegerAttr.from_index_int_value(1))
        loop = scf.ForOp(
            op.lb, op.ub, one, [], rewriter.move_region_contents_to_new_regions(op.body)
        )
        rewriter.replace(op, [one, loop], [])


@dataclass(frozen=True)
class ConvertCpuToLlvmPass(ModulePass):
    """Lower cpu vector, runtime and loop ops (not `cpu.packed_func`) to `llvm`."""

    name = "convert-cpu-to-llvm"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(
            GreedyRewritePatternApplier(
                [
                    OutlineParallel(),
                    ParallelToCfLoop(),
                    ParallelToScfFor(),
                    VLoadLowering(),
                    VStoreLowering(),
                    VBroadcastLowering(),
                    VFmaLowering(),
                    VReduceLowering(),
                    WorkspaceAllocLowering(),
                    WorkspaceFreeLowering(),
                    RuntimeCallLowering(),
                ]
            )
        ).rewrite_module(op)
        check_lowered(op, PASS_NAME, "cpu", _unsupported_reason, (cpu.PackedFuncOp,))


def _unsupported_reason(op: Operation) -> str:
    if isinstance(op, cpu.VFmaOp | cpu.VReduceOp):
        return "bf16 vector arithmetic is not supported; convert to f32 first"
    return "no lowering to llvm"
