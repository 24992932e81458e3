"""`cpu-expand-microkernels`: each `cpu.gemm_microkernel` -> its register-tile loop.

The tile of C lives in `mr * nr / 16` accumulator vectors carried through an
`scf.for` over k as iteration arguments, so LLVM keeps them in registers (the
op's verifier caps them at 30 of the 32 zmm registers).  One k step loads the
`nr / 16` B vectors of row k once and, for each of the `mr` rows, splats
one A element and issues one FMA per B vector:

    scf.for %k = 0 to %kc iter_args(%acc_0_0, ...) {
      %b_v  = cpu.vload %b[%k * b_k + 16 v]              (v < nr / 16)
      %a_r  = llvm.load (gep %a[%k * a_k + r * a_row])   (r < mr)
      %acc_r_v' = cpu.vfma (cpu.vbroadcast %a_r), %b_v, %acc_r_v
    }

Before the loop, C's tile is prefetched for writing, so that the update
after it does not stall on rows last touched a depth block ago.
A full tile is stored straight to C (plus C's old values when `accumulate`);
an edge tile is stored to `scratch` and copied element by element, so the
kernel never touches C outside `rows` x `cols`.  Runs inside
`convert-to-llvm`, before `convert-cpu-to-llvm` lowers the vector ops it emits.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.builder import Builder
from xdsl.context import Context
from xdsl.dialects import arith, llvm, scf
from xdsl.dialects.builtin import (
    FloatAttr,
    IndexType,
    IntegerAttr,
    ModuleOp,
    VectorType,
    f32,
    i32,
    i64,
)
from xdsl.ir import Block, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.rewriter import InsertPoint

from xunity.dialects import cpu

_F32_BYTES = 4


class _Index:
    """Index arithmetic (and f32 element addresses) at one insertion point."""

    def __init__(self, builder: Builder):
        self.builder = builder

    def const(self, value: int) -> SSAValue:
        return self.emit(arith.ConstantOp(IntegerAttr(value, IndexType())))

    def emit(self, op: Operation) -> SSAValue:
        """Insert `op` and return its (single) result."""
        self.builder.insert(op)
        return op.results[0]

    def insert(self, op: Operation) -> None:
        self.builder.insert(op)

    def add(self, lhs: SSAValue, rhs: SSAValue | int) -> SSAValue:
        if isinstance(rhs, int):
            if rhs == 0:
                return lhs
            rhs = self.const(rhs)
        return self.emit(arith.AddiOp(lhs, rhs))

    def mul(self, lhs: SSAValue, rhs: SSAValue | int) -> SSAValue:
        if isinstance(rhs, int):
            rhs = self.const(rhs)
        return self.emit(arith.MuliOp(lhs, rhs))

    def element(self, ptr: SSAValue, offset: SSAValue) -> SSAValue:
        """The address of f32 element `offset` of `ptr`."""
        offset64 = self.emit(arith.IndexCastOp(offset, i64))
        return self.emit(
            llvm.GEPOp(ptr, [llvm.GEP_USE_SSA_VAL], f32, ssa_indices=[offset64])
        )


@dataclass
class ExpandGemmMicrokernel(RewritePattern):
    """cpu.gemm_microkernel ==> scf.for over k with accumulators, then the C update."""

    @op_type_rewrite_pattern
    def match_and_rewrite(
        self, op: cpu.GemmMicrokernelOp, rewriter: PatternRewriter
    ) -> None:
        mr, nr = op.mr.value.data, op.nr.value.data
        width = cpu.GemmMicrokernelOp.VECTOR_WIDTH
        lanes = nr // width
        vector = VectorType(f32, [width])
        outer = _Index(Builder(InsertPoint.before(op)))
        zero_f = outer.emit(arith.ConstantOp(FloatAttr(0.0, f32)))
        zero_v = outer.emit(cpu.VBroadcastOp(zero_f, width))
        self._prefetch_tile(op, outer, mr, nr)
        accumulators = self._k_loop(op, outer, mr, nr, vector, zero_v)

        rows_full = outer.emit(arith.CmpiOp(op.rows, outer.const(mr), "eq"))
        cols_full = outer.emit(arith.CmpiOp(op.cols, outer.const(nr), "eq"))
        full = outer.emit(arith.AndIOp(rows_full, cols_full))
        branch = scf.IfOp(full, [], [scf.YieldOp()], [scf.YieldOp()])
        outer.insert(branch)

        # Full tile: vectors straight to C, each plus C's old value if accumulating.
        inside = _Index(Builder(InsertPoint.at_start(branch.true_region.block)))
        for r in range(mr):
            row = inside.mul(op.ldc, r)
            for v in range(lanes):
                offset = inside.add(row, v * width)
                old = inside.emit(cpu.VLoadOp(op.c, offset, vector, _F32_BYTES))
                kept = inside.emit(arith.SelectOp(op.accumulate, old, zero_v))
                total = inside.emit(arith.AddfOp(accumulators[r * lanes + v], kept))
                inside.insert(cpu.VStoreOp(total, op.c, offset, _F32_BYTES))

        # Edge tile: through scratch, then the rows x cols corner element-wise.
        edge = _Index(Builder(InsertPoint.at_start(branch.false_region.block)))
        for index, value in enumerate(accumulators):
            offset = edge.const(index * width)
            edge.insert(cpu.VStoreOp(value, op.scratch, offset, _F32_BYTES))
        self._copy_corner(op, edge, nr, zero_f)
        rewriter.erase(op)

    @staticmethod
    def _prefetch_tile(
        op: cpu.GemmMicrokernelOp, outer: _Index, mr: int, nr: int
    ) -> None:
        """Ask for C's tile (for writing) before the k loop: the update after it
        reads and writes C rows that are often out of cache by then (a row panel
        of C was last touched one depth block ago), and a miss there stalls
        while one here overlaps the loop.  A row of the tile spans nr / 16 + 1
        cache lines at most (it need not start on a line)."""
        width = cpu.GemmMicrokernelOp.VECTOR_WIDTH
        # llvm.prefetch(address, rw = 1: write, locality = 3: keep, 1: data cache)
        write, keep, data = (
            outer.emit(arith.ConstantOp(IntegerAttr(value, i32))) for value in (1, 3, 1)
        )
        for r in range(mr):
            row = outer.mul(op.ldc, r)
            for offset in [*range(0, nr, width), nr - 1]:
                address = outer.element(op.c, outer.add(row, offset))
                outer.insert(
                    llvm.CallIntrinsicOp(
                        "llvm.prefetch.p0", [address, write, keep, data], []
                    )
                )

    @staticmethod
    def _k_loop(
        op: cpu.GemmMicrokernelOp,
        outer: _Index,
        mr: int,
        nr: int,
        vector: VectorType,
        zero_v: SSAValue,
    ) -> list[SSAValue]:
        width = cpu.GemmMicrokernelOp.VECTOR_WIDTH
        lanes = nr // width
        count = mr * lanes
        body = Block(arg_types=[IndexType(), *[vector] * count])
        k, *carried = body.args
        inner = _Index(Builder(InsertPoint.at_end(body)))
        b_row = inner.mul(k, op.b_k_stride)
        b_vectors = [
            inner.emit(
                cpu.VLoadOp(op.b, inner.add(b_row, v * width), vector, _F32_BYTES)
            )
            for v in range(lanes)
        ]
        a_column = inner.mul(k, op.a_k_stride)
        updated: list[SSAValue] = []
        for r in range(mr):
            a_offset = inner.add(a_column, inner.mul(op.a_row_stride, r))
            address = inner.element(op.a, a_offset)
            a_value = inner.emit(llvm.LoadOp(address, f32, alignment=_F32_BYTES))
            splat = inner.emit(cpu.VBroadcastOp(a_value, width))
            updated += [
                inner.emit(cpu.VFmaOp(splat, b_vectors[v], carried[r * lanes + v]))
                for v in range(lanes)
            ]
        inner.insert(scf.YieldOp(*updated))
        loop = scf.ForOp(outer.const(0), op.kc, outer.const(1), [zero_v] * count, body)
        outer.insert(loop)
        return list(loop.results)

    @staticmethod
    def _copy_corner(
        op: cpu.GemmMicrokernelOp, edge: _Index, nr: int, zero_f: SSAValue
    ) -> None:
        """for r < rows, j < cols: C[r * ldc + j] = scratch[r * nr + j] (+ old C)."""
        zero, one = edge.const(0), edge.const(1)
        row_body = Block(arg_types=[IndexType()])
        col_body = Block(arg_types=[IndexType()])
        rows = scf.ForOp(zero, op.rows, one, [], row_body)
        cols = scf.ForOp(zero, op.cols, one, [], col_body)
        row_builder = _Index(Builder(InsertPoint.at_end(row_body)))
        row_builder.insert(cols)
        row_builder.insert(scf.YieldOp())
        r, j = row_body.args[0], col_body.args[0]
        body = _Index(Builder(InsertPoint.at_end(col_body)))
        source = body.element(op.scratch, body.add(body.mul(r, nr), j))
        target = body.element(op.c, body.add(body.mul(r, op.ldc), j))
        value = body.emit(llvm.LoadOp(source, f32, alignment=_F32_BYTES))
        old = body.emit(llvm.LoadOp(target, f32, alignment=_F32_BYTES))
        kept = body.emit(arith.SelectOp(op.accumulate, old, zero_f))
        total = body.emit(arith.AddfOp(value, kept))
        body.insert(llvm.StoreOp(total, target, alignment=_F32_BYTES))
        body.insert(scf.YieldOp())
        edge.insert(rows)


@dataclass(frozen=True)
class CpuExpandMicrokernelsPass(ModulePass):
    """Expand cpu micro-kernel ops into vector loops."""

    name = "cpu-expand-microkernels"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(ExpandGemmMicrokernel()).rewrite_module(op)
