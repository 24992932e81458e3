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
    DenseArrayBase,
    FloatAttr,
    IndexType,
    IntegerAttr,
    ModuleOp,
    VectorType,
    f16,
    f32,
    i8,
    i16,
    i32,
    i64,
)
from xdsl.ir import Attribute, Block, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.rewriter import InsertPoint

from xunity.dialects import cpu
from xunity.dialects.graph.quantized import BLOCK, Q4_OFFSET
from xunity.dialects.llvm_extra import FPToSIOp

QUANT_HALF = BLOCK // 2
"""Code bytes of a q4 block per row: each holds elements j and j + 16."""

_F32_BYTES = 4
_CACHE_LINE = 64

QUANT_PREFETCH_BLOCKS = 4
"""How far ahead the q4 dot micro-kernel prefetches its code bytes: 4 blocks
(3 KB).  SmolLM2's [3072, 576] q4_1 GEMV on 2 threads with its weight
cycled through 60 copies (from DRAM), per call: no prefetch 42-43 us,
2 blocks 38, 4 blocks 38-43, 8 blocks 41.5; [576, 1536]: 25 -> 22-23."""


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

    def element(
        self, ptr: SSAValue, offset: SSAValue, element_type: Attribute = f32
    ) -> SSAValue:
        """The address of element `offset` of `ptr` (f32 elements by default)."""
        offset64 = self.emit(arith.IndexCastOp(offset, i64))
        return self.emit(
            llvm.GEPOp(
                ptr, [llvm.GEP_USE_SSA_VAL], element_type, ssa_indices=[offset64]
            )
        )

    def load(
        self, ptr: SSAValue, offset: SSAValue, element_type: Attribute
    ) -> SSAValue:
        """Scalar element `offset` of `ptr`."""
        address = self.element(ptr, offset, element_type)
        alignment = element_type.bitwidth // 8  # pyright: ignore[reportAttributeAccessIssue]
        return self.emit(llvm.LoadOp(address, element_type, alignment=alignment))

    def f32(self, value: float) -> SSAValue:
        return self.emit(arith.ConstantOp(FloatAttr(value, f32)))

    def prefetch_hints(self, write: bool) -> list[SSAValue]:
        """llvm.prefetch's (rw, locality 3: keep, 1: data cache) operands."""
        return [self.i32(int(write)), self.i32(3), self.i32(1)]

    def prefetch(self, address: SSAValue, hints: list[SSAValue]) -> None:
        self.insert(llvm.CallIntrinsicOp("llvm.prefetch.p0", [address, *hints], []))

    def i32(self, value: int) -> SSAValue:
        return self.emit(arith.ConstantOp(IntegerAttr(value, i32)))

    def f16_vector(self, ptr: SSAValue, offset: SSAValue) -> SSAValue:
        """16 f16 elements from `offset` of `ptr`, widened to f32."""
        raw = self.emit(cpu.VLoadOp(ptr, offset, VectorType(f16, [_LANES]), 2))
        return self.emit(llvm.FPExtOp(raw, VectorType(f32, [_LANES])))


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
        hints = outer.prefetch_hints(write=True)
        for r in range(mr):
            row = outer.mul(op.ldc, r)
            for offset in [*range(0, nr, width), nr - 1]:
                outer.prefetch(outer.element(op.c, outer.add(row, offset)), hints)

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


_LANES = 16
"""Lanes of the quant-dot micro-kernel's vectors (one AVX-512 register of i32/f32)."""
_EVEN, _ODD = (
    DenseArrayBase.from_list(i32, list(range(first, 2 * _LANES, 2))) for first in (0, 1)
)


@dataclass
class ExpandQuantDotMicrokernel(RewritePattern):
    """cpu.quant_dot_microkernel ==> scf.for over blocks, f32 row sums carried.

    Per block, 16 steps each load a 32-bit pair of int16 activations
    (elements j and j + 16), splat it, and for each 16-row vector of code
    bytes make the i16 pairs (low nibble, high nibble) with a shift, an or
    and a mask (one vpternlogd); the pair products are summed as
    `add(even, odd)` of the sign-extended product, the form LLVM selects as
    one `vpdpwssd` (or `vpmaddwd` and an add), into three i32 sums.  Then
    the block's f16 scales (and mins) scale them into the f32 sums.  No
    overflow: 16 steps of two products of a code <= 15 and |x| <= 32767
    stay under 2^24, so the i32 sums convert to f32 exactly.
    """

    @op_type_rewrite_pattern
    def match_and_rewrite(
        self, op: cpu.QuantDotMicrokernelOp, rewriter: PatternRewriter
    ) -> None:
        rows = cpu.QuantDotMicrokernelOp.ROWS
        floats = VectorType(f32, [_LANES])
        outer = _Index(Builder(InsertPoint.before(op)))
        zero = outer.emit(cpu.VBroadcastOp(outer.f32(0.0), _LANES))
        body = Block(arg_types=[IndexType(), *[floats] * (rows // _LANES)])
        block, *sums = body.args
        inner = _Index(Builder(InsertPoint.at_end(body)))
        self._prefetch_codes(op, outer, inner, block)
        dots = self._block_dots(op, outer, inner, block)
        x_scale = inner.emit(
            cpu.VBroadcastOp(inner.load(op.x_scales, block, f32), _LANES)
        )
        x_offset = inner.emit(
            cpu.VBroadcastOp(inner.load(op.x_offsets, block, f32), _LANES)
        )
        x_sum = None
        if op.x_sums is not None:
            x_sum = inner.emit(
                cpu.VBroadcastOp(inner.load(op.x_sums, block, f32), _LANES)
            )
        updated: list[SSAValue] = []
        for v, (dot, total) in enumerate(zip(dots, sums, strict=True)):
            at = inner.add(inner.mul(block, rows), v * _LANES)
            dot_f = inner.emit(llvm.SIToFPOp(dot, floats))
            # d (x_scale dot - x_offset) (+ m x_sum)
            centred = inner.emit(
                llvm.FSubOp(inner.emit(llvm.FMulOp(dot_f, x_scale)), x_offset)
            )
            total = inner.emit(
                cpu.VFmaOp(inner.f16_vector(op.scales, at), centred, total)
            )
            if op.mins is not None and x_sum is not None:
                total = inner.emit(
                    cpu.VFmaOp(inner.f16_vector(op.mins, at), x_sum, total)
                )
            updated.append(total)
        inner.insert(scf.YieldOp(*updated))
        count = rows // _LANES
        loop = scf.ForOp(
            outer.const(0), op.blocks, outer.const(1), [zero] * count, body
        )
        outer.insert(loop)
        for v, value in enumerate(loop.results):
            outer.insert(cpu.VStoreOp(value, op.out, outer.const(v * _LANES), 4))
        rewriter.erase(op)

    @staticmethod
    def _prefetch_codes(
        op: cpu.QuantDotMicrokernelOp, outer: _Index, inner: _Index, block: SSAValue
    ) -> None:
        """Ask for the code bytes `QUANT_PREFETCH_BLOCKS` blocks ahead, one
        prefetch per cache line (past the panel's last block they are the
        next panel's, which the same task runs next; past the weight's end a
        prefetch does nothing).  A decode GEMV streams its weight from DRAM
        once, and the hardware prefetcher alone left it short of the read
        bandwidth."""
        rows = cpu.QuantDotMicrokernelOp.ROWS
        hints = outer.prefetch_hints(write=False)
        block_bytes = QUANT_HALF * rows
        ahead = inner.mul(inner.add(block, QUANT_PREFETCH_BLOCKS), block_bytes)
        for line in range(0, block_bytes, _CACHE_LINE):
            inner.prefetch(inner.element(op.codes, inner.add(ahead, line), i8), hints)

    @staticmethod
    def _block_dots(
        op: cpu.QuantDotMicrokernelOp, outer: _Index, inner: _Index, block: SSAValue
    ) -> list[SSAValue]:
        """The i32 dot products of one block, one vector per 16 rows."""
        rows = cpu.QuantDotMicrokernelOp.ROWS
        ints, pairs = VectorType(i32, [_LANES]), VectorType(i16, [2 * _LANES])
        wide = VectorType(i32, [2 * _LANES])
        shift = outer.emit(cpu.VBroadcastOp(outer.i32(12), _LANES))
        nibbles = outer.emit(cpu.VBroadcastOp(outer.i32(0x000F000F), _LANES))
        dots = [outer.emit(cpu.VBroadcastOp(outer.i32(0), _LANES))] * (rows // _LANES)
        codes = inner.mul(block, QUANT_HALF * rows)
        x_pairs = inner.mul(block, QUANT_HALF)
        for j in range(QUANT_HALF):
            pair = inner.load(op.x, inner.add(x_pairs, j), i32)
            x_wide = inner.emit(
                llvm.SExtOp(
                    inner.emit(
                        llvm.BitcastOp(
                            inner.emit(cpu.VBroadcastOp(pair, _LANES)), pairs
                        )
                    ),
                    wide,
                )
            )
            for v in range(len(dots)):
                at = inner.add(codes, j * rows + v * _LANES)
                raw = inner.emit(cpu.VLoadOp(op.codes, at, VectorType(i8, [_LANES]), 1))
                byte = inner.emit(llvm.ZExtOp(raw, ints))
                spread = inner.emit(
                    llvm.OrOp(byte, inner.emit(llvm.ShlOp(byte, shift)))
                )
                both = inner.emit(llvm.AndOp(spread, nibbles))  # (low, high) as i16
                q_wide = inner.emit(
                    llvm.SExtOp(inner.emit(llvm.BitcastOp(both, pairs)), wide)
                )
                product = inner.emit(llvm.MulOp(q_wide, x_wide))
                even, odd = (
                    inner.emit(llvm.ShuffleVectorOp(product, product, mask, ints))
                    for mask in (_EVEN, _ODD)
                )
                step = inner.emit(llvm.AddOp(even, odd))
                dots[v] = inner.emit(llvm.AddOp(dots[v], step))
        return dots


@dataclass
class ExpandQuantizePairsMicrokernel(RewritePattern):
    """cpu.quantize_pairs_microkernel ==> scf.for over blocks of 16-lane vectors.

    Per block: two loads; the largest magnitude as the signed maximum of the
    values' bits with the sign cleared (float order for non-negative floats,
    and a NaN's bits exceed infinity's, so a NaN wins), a horizontal max per
    half; then a multiply, a round half away from zero (add 0.5 with the
    value's sign, truncate), the pairs packed with a mask, a shift and an
    or, and one horizontal add.  (No vector selects: xDSL's llvm.select
    takes a scalar condition.)
    """

    @op_type_rewrite_pattern
    def match_and_rewrite(
        self, op: cpu.QuantizePairsMicrokernelOp, rewriter: PatternRewriter
    ) -> None:
        floats, ints = VectorType(f32, [_LANES]), VectorType(i32, [_LANES])
        outer = _Index(Builder(InsertPoint.before(op)))

        def splat(value: SSAValue) -> SSAValue:
            return outer.emit(cpu.VBroadcastOp(value, _LANES))

        magnitude = splat(outer.i32(0x7FFFFFFF))
        sign_bit = splat(outer.i32(-0x80000000))
        half_bits = splat(outer.i32(0x3F000000))  # 0.5
        low_half, shift = splat(outer.i32(0xFFFF)), splat(outer.i32(16))
        int16_max = outer.f32(32767.0)
        body = Block(arg_types=[IndexType()])
        (block,) = body.args
        e = _Index(Builder(InsertPoint.at_end(body)))
        first = e.mul(block, BLOCK)
        values = [
            e.emit(cpu.VLoadOp(op.x, e.add(first, half * QUANT_HALF), floats, 4))
            for half in (0, 1)
        ]
        widest = [
            e.emit(
                cpu.VReduceOp(
                    cpu.ReduceKind.MAX,
                    e.emit(llvm.AndOp(e.emit(llvm.BitcastOp(v, ints)), magnitude)),
                )
            )
            for v in values
        ]
        greater = e.emit(llvm.ICmpOp(widest[0], widest[1], _SGT))
        largest = e.emit(llvm.BitcastOp(e.emit(llvm.SelectOp(greater, *widest)), f32))
        positive = e.emit(llvm.FCmpOp(largest, e.f32(0.0), "ogt"))
        inverse = e.emit(
            llvm.SelectOp(positive, e.emit(llvm.FDivOp(int16_max, largest)), e.f32(0.0))
        )
        inverse_v = e.emit(cpu.VBroadcastOp(inverse, _LANES))
        rounded: list[SSAValue] = []
        for v in values:
            scaled = e.emit(llvm.FMulOp(v, inverse_v))
            sign = e.emit(llvm.AndOp(e.emit(llvm.BitcastOp(scaled, ints)), sign_bit))
            half = e.emit(llvm.BitcastOp(e.emit(llvm.OrOp(sign, half_bits)), floats))
            nearest = e.emit(llvm.FAddOp(scaled, half))  # half away from zero
            rounded.append(e.emit(FPToSIOp(nearest, ints)))
        packed = e.emit(
            llvm.OrOp(
                e.emit(llvm.AndOp(rounded[0], low_half)),
                e.emit(llvm.ShlOp(rounded[1], shift)),
            )
        )
        e.insert(cpu.VStoreOp(packed, op.pairs, e.mul(block, QUANT_HALF), 4))
        both = e.emit(llvm.AddOp(rounded[0], rounded[1]))
        total = e.emit(cpu.VReduceOp(cpu.ReduceKind.ADD, both))
        scale = e.emit(llvm.FDivOp(largest, int16_max))
        e.insert(llvm.StoreOp(scale, e.element(op.x_scales, block), alignment=4))
        offset = e.emit(llvm.FMulOp(scale, e.emit(llvm.SIToFPOp(total, f32))))
        if op.format.data == "q4_1":
            offset = e.emit(llvm.FSubOp(offset, e.load(op.x_sums, block, f32)))
        offset = e.emit(llvm.FMulOp(offset, e.f32(float(Q4_OFFSET))))
        e.insert(llvm.StoreOp(offset, e.element(op.x_offsets, block), alignment=4))
        e.insert(scf.YieldOp())
        outer.insert(scf.ForOp(outer.const(0), op.blocks, outer.const(1), [], body))
        rewriter.erase(op)


_SGT = IntegerAttr(llvm.ICmpPredicateFlag("sgt").to_int(), 64)


@dataclass(frozen=True)
class CpuExpandMicrokernelsPass(ModulePass):
    """Expand cpu micro-kernel ops into vector loops."""

    name = "cpu-expand-microkernels"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(
            GreedyRewritePatternApplier(
                [
                    ExpandGemmMicrokernel(),
                    ExpandQuantDotMicrokernel(),
                    ExpandQuantizePairsMicrokernel(),
                ]
            )
        ).rewrite_module(op)
