"""Strategy `gemm`: f32 matmul as a packed GEMM around a register micro-kernel.

GEMM (the BLIS loop structure, for `out[b.., M, N] = lhs[b.., M, K] @ rhs[b.., K, N]`):

    for b..                                   batch (broadcast like numpy)
      for jc < ceil(N / NC)                   column block, nc = min(NC, N - jc*NC)
        for pc < max(1, ceil(K / KC))         depth block,  kc = min(KC, K - pc*KC)
          parallel p < ceil(nc / NR):         pack rhs[pc.., jc..] into panels
            packed_b[p, k, j] (zero past N)     NR columns, k-major (L2-resident)
          parallel ib:                        a group of MR-row panels of lhs per task
            packed_a[g, k, r] (zero past M)     (L1/L2-resident, thread-local)
            for p < nc / NR: for g:           C[MR, NR] (+)= A[g] @ packed_b[p]
              cpu.gemm_microkernel
            last, narrower panel: a 16, 32 or 48 wide micro-kernel
            if pc is last: gemm_epilogue     C[rows, nc] = C (fusion hook)

The micro-kernel keeps the MR x NR tile of C in registers for the whole kc
loop (8 x 48 f32 = 24 zmm accumulators, 3 B vectors, 1 broadcast; 8 rows
divide the usual row counts, so no edge panel wastes a task); the
first depth block stores, the others accumulate.  Zero padding makes every
micro-kernel call compute a full tile; only the in-range corner is written.
The last column panel, when N is not a multiple of NR, runs the narrowest
tile that covers it (N = 1024 leaves 16 columns: a full tile would spend 3%
of all FMAs on padding).  A full row panel of A is packed by one k loop that
stores all MR rows, which LLVM turns into an in-register transpose (a loop
per row would scatter to stride-MR addresses).
Every dim may be symbolic: the block counts and edge sizes are index values.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects import arith
from xdsl.dialects.builtin import DYNAMIC_INDEX, MemRefType, f32
from xdsl.ir import Operation, SSAValue

from xunity.dialects import cpu, tir
from xunity.dialects.graph.linalg import MatmulOp, PackedMatmulOp
from xunity.ir.symbolic import SymExpr
from xunity.legalize.kernel_builder import Buffer, KernelBuilder, block_over, loop_over
from xunity.strategies.base import KernelStrategy
from xunity.strategies.gemv import GEMV_MAX_ROWS
from xunity.strategies.matmul import (
    Loop,
    Matmul,
    ceildiv,
    is_f32_matrix_product,
    static_rows,
)

MR, NR = 8, PackedMatmulOp.PANEL_WIDTH
"""Register tile: 8 rows x 48 = 3 zmm columns (see cpu.gemm_microkernel)."""
WIDTH = cpu.GemmMicrokernelOp.VECTOR_WIDTH
"""Edge tiles are multiples of one vector wide."""
KC = 256
"""Depth block: a packed A panel (KC x MR, 8 KiB) stays in L1."""
ROW_TASKS = 8
"""Parallel row tasks a GEMM aims for (a few per thread, so that the pool
can balance them); each takes ceil(row panels / ROW_TASKS) panels ..."""
MAX_GROUP = 2
"""... but at most this many.  Sharing each B panel between two A panels
halves the B traffic from L3 (M = 128: 1.17x -> 1.19x numpy, paired runs);
larger groups measured slower at M = 1024 (C tiles 4 KiB apart in more rows)."""
NC = 42 * NR
"""Column block (2016): A is packed once per (depth block, column block), so
one block spans the usual widths; each micro-kernel streams its 48 KiB B
panel from L2/L3 at well under the bandwidth those supply.  A multiple of NR,
so that a prepacked rhs's panels line up with every block's."""
_RUNTIME = SymExpr.of("runtime")
"""Stand-in dim of buffers sized at run time (only the element type and the
rank of such a Buffer are ever read)."""


def gemm_rule(op: Operation, kb: KernelBuilder) -> None:
    """graph.matmul: B is packed per (column, depth) block on every call."""
    del op
    _gemm(kb, prepacked=False)


def packed_gemm_rule(op: Operation, kb: KernelBuilder) -> None:
    """graph.packed_matmul: B's panels are the rhs itself, packed at compile time."""
    del op
    _gemm(kb, prepacked=True)


def _gemm(kb: KernelBuilder, prepacked: bool) -> None:
    mm = Matmul(kb)
    e = kb.emitter
    if prepacked:
        packed_b = mm.rhs
    else:  # sized for the largest block this call packs: small products stay small
        max_panels = ceildiv(e, e.minimum(mm.n, e.index(NC)), NR)
        max_depth = e.minimum(mm.k, e.index(KC))
        packed_b_type = MemRefType(f32, [DYNAMIC_INDEX, DYNAMIC_INDEX, NR])
        allocated = e.emit(tir.AllocBufferOp(packed_b_type, [max_panels, max_depth]))
        packed_b = Buffer(allocated, (_RUNTIME, _RUNTIME, SymExpr.of(NR)), f32)
    column_blocks = kb.dim(mm.out.shape[-1].ceildiv(NC))
    depth_blocks = e.maximum(kb.dim(mm.lhs.shape[-1].ceildiv(KC)), kb.dim(1))
    row_panels = kb.dim(mm.lhs.shape[-2].ceildiv(MR))
    # Row panels per task: as many as keep ROW_TASKS tasks, 1 to MAX_GROUP.
    wanted = ceildiv(e, row_panels, ROW_TASKS)
    group = e.minimum(e.maximum(wanted, e.index(1)), e.index(MAX_GROUP))
    row_blocks = e.emit(arith.CeilDivUIOp(row_panels, group))
    with (
        kb.loops(mm.batch_shape) as batch_vars,
        loop_over(kb, column_blocks) as jc,
        loop_over(kb, depth_blocks) as pc,
    ):
        block = _GemmBlock(
            mm,
            packed_b,
            prepacked,
            mm.batch_loops(batch_vars),
            Loop(jc, column_blocks),
            Loop(pc, depth_blocks),
        )
        if not prepacked:
            block.pack_b()
        with loop_over(kb, row_blocks, parallel=True) as ib:
            block.row_block(Loop(ib, row_blocks), group, row_panels)


class _GemmBlock:
    """The work of one (column block jc, depth block pc) of a GEMM."""

    def __init__(
        self,
        mm: Matmul,
        packed_b: Buffer,
        prepacked: bool,
        batch: list[Loop],
        jc: Loop,
        pc: Loop,
    ):
        self.mm, self.kb = mm, mm.kb
        self.packed_b, self.prepacked = packed_b, prepacked
        self.batch, self.jc, self.pc = batch, jc, pc
        e = self.kb.emitter
        self.col0 = e.mul(jc.var, e.index(NC))
        self.nc = e.minimum(e.index(NC), e.sub(mm.n, self.col0))
        self.panels = ceildiv(e, self.nc, NR)
        self.kc = e.minimum(e.index(KC), e.sub(mm.k, e.mul(pc.var, e.index(KC))))
        self.accumulate = e.compare("ne", pc.var, self.kb.zero)

    def pack_b(self) -> None:
        """packed_b[p, k, j] = rhs[pc*KC + k, jc*NC + p*NR + j], zero past N.

        Copy and zero fill are separate loops without selects, so the copy of
        each contiguous row segment vectorises."""
        kb, mm, packed_b = self.kb, self.mm, self.packed_b
        with loop_over(kb, self.panels, parallel=True) as p:
            e = kb.emitter
            col0 = e.add(self.col0, e.mul(p, e.index(NR)))
            valid = e.minimum(e.index(NR), e.sub(mm.n, col0))
            padding = e.sub(e.index(NR), valid)
            with loop_over(kb, self.kc) as k:
                outer = [*self._batch_pairs(), self.jc.pair, self.pc.pair]
                outer += [(p, self.panels), (k, self.kc)]
                with (
                    loop_over(kb, valid) as j,
                    block_over(
                        kb, "gemm_pack_b", [*outer, (j, valid)], [mm.rhs], [packed_b]
                    ) as ivs,
                ):
                    e = kb.emitter
                    batch, (vjc, vpc, vp, vk, vj) = self._split(ivs)
                    panel = e.add(e.mul(vp, e.index(NR)), vj)
                    column = e.add(e.mul(vjc, e.index(NC)), panel)
                    row = e.add(e.mul(vpc, e.index(KC)), vk)
                    value = e.load(mm.rhs, mm.rhs_at(batch, row, column))
                    e.store(value, packed_b, [vp, vk, vj])
                pairs = [(p, self.panels), (k, self.kc)]
                with (
                    loop_over(kb, padding) as j,
                    block_over(
                        kb, "gemm_pad_b", [*pairs, (j, padding)], [], [packed_b]
                    ) as (vp, vk, vj),
                ):
                    e = kb.emitter
                    column = e.sub(e.index(NR - 1), vj)
                    e.store(e.constant(0, f32), packed_b, [vp, vk, column])

    def row_block(self, ib: Loop, group: SSAValue, row_panels: SSAValue) -> None:
        """Pack up to `group` MR-row panels of lhs (thread-local, k-major, zero
        past M), then for each B panel the micro-kernels of all of them: the
        B panel is read from L3 once per block and reused from L1/L2, the
        packed A panels stay in L2."""
        kb, mm = self.kb, self.mm
        e = kb.emitter
        a_type = MemRefType(f32, [MAX_GROUP, KC, MR])
        packed_a = e.emit(tir.AllocBufferOp(a_type))
        tile = e.emit(tir.AllocBufferOp(MemRefType(f32, [MR * NR])))
        a_shape = (SymExpr.of(MAX_GROUP), SymExpr.of(KC), SymExpr.of(MR))
        packed_a_buffer = Buffer(packed_a, a_shape, f32)
        first = e.mul(ib.var, group)
        count = e.minimum(group, e.sub(row_panels, first))
        with loop_over(kb, count) as g:
            e = kb.emitter
            panel = (e.add(first, g), row_panels)
            rows = self._rows(panel[0])
            self._pack_panel(panel, (g, count), packed_a_buffer, rows)
        e = kb.emitter
        tile_ptr = e.emit(tir.AccessPtrOp(tile, [kb.zero]))
        full_panels = e.floordiv(self.nc, e.index(NR))
        with loop_over(kb, full_panels) as p, loop_over(kb, count) as g:
            e = kb.emitter
            self._tile(packed_a, tile_ptr, e.add(first, g), g).call(p, e.index(NR), NR)
        # The last, narrower panel runs the narrowest tile that covers it
        # (N = 1024 leaves 16 columns: a 48-wide tile would waste 2/3).
        e = kb.emitter
        rest = e.sub(self.nc, e.mul(full_panels, e.index(NR)))
        for width in range(WIDTH, NR + 1, WIDTH):
            e = kb.emitter
            above = e.compare("gt", rest, e.index(width - WIDTH))
            within = e.compare("le", rest, e.index(width))
            fits = e.emit(arith.AndIOp(above, within))
            trips = e.select(fits, e.index(1), kb.zero)
            with loop_over(kb, trips), loop_over(kb, count) as g:
                e = kb.emitter
                tiles = self._tile(packed_a, tile_ptr, e.add(first, g), g)
                tiles.call(full_panels, rest, width)
        e = kb.emitter
        row0 = e.mul(first, e.index(MR))
        self._epilogue(row0, e.minimum(e.mul(count, e.index(MR)), e.sub(mm.m, row0)))

    def b_panel(self, panel: SSAValue) -> SSAValue:
        """The address of B panel `panel` of this block: in the per-block
        buffer, or at (column, depth) offsets in a prepacked rhs."""
        e, zero = self.kb.emitter, self.kb.zero
        if not self.prepacked:
            return e.emit(tir.AccessPtrOp(self.packed_b.value, [panel, zero, zero]))
        first = e.mul(self.jc.var, e.index(NC // NR))
        depth = e.mul(self.pc.var, e.index(KC))
        index = [e.add(first, panel), depth, zero]
        return e.emit(tir.AccessPtrOp(self.packed_b.value, index))

    def _rows(self, panel: SSAValue) -> SSAValue:
        """How many of row panel `panel`'s MR rows exist."""
        e = self.kb.emitter
        return e.minimum(e.index(MR), e.sub(self.mm.m, e.mul(panel, e.index(MR))))

    def _tile(
        self, packed_a: SSAValue, tile_ptr: SSAValue, panel: SSAValue, slot: SSAValue
    ) -> _TileCall:
        """Micro-kernel calls for row panel `panel`, packed at `slot` of packed_a."""
        e, zero = self.kb.emitter, self.kb.zero
        a_ptr = e.emit(tir.AccessPtrOp(packed_a, [slot, zero, zero]))
        row0 = e.mul(panel, e.index(MR))
        return _TileCall(self, a_ptr, tile_ptr, row0, self._rows(panel))

    def _pack_panel(
        self,
        panel: tuple[SSAValue, SSAValue],
        slot: tuple[SSAValue, SSAValue],
        packed_a: Buffer,
        rows: SSAValue,
    ) -> None:
        """packed_a[slot, k, r] = lhs[row0 + r, depth0 + k], zero past M.

        A full panel is one k loop storing all MR rows, which LLVM vectorises
        as an in-register transpose (MR vector loads from the rows, shuffles,
        full vector stores) where a per-row loop would scatter; the last
        panel, when M is not a multiple of MR, copies its rows one by one,
        then zeros."""
        kb, mm = self.kb, self.mm
        e = kb.emitter
        full = e.compare("eq", rows, e.index(MR))
        depth = e.select(full, self.kc, kb.zero)
        with loop_over(kb, depth) as k:
            pairs = [*self._batch_pairs(), panel, slot, self.pc.pair, (k, self.kc)]
            with block_over(kb, "gemm_pack_a_full", pairs, [mm.lhs], [packed_a]) as ivs:
                e = kb.emitter
                batch, (vpanel, vslot, vpc, vk) = self._split(ivs)
                row0 = e.mul(vpanel, e.index(MR))
                column = e.add(e.mul(vpc, e.index(KC)), vk)
                for r in range(MR):
                    row = e.add(row0, e.index(r))
                    value = e.load(mm.lhs, mm.lhs_at(batch, row, column))
                    e.store(value, packed_a, [vslot, vk, e.index(r)])
        e = kb.emitter
        edge_rows = e.select(full, kb.zero, rows)
        padding = e.sub(e.index(MR), rows)
        with loop_over(kb, edge_rows) as r, loop_over(kb, self.kc) as k:
            pairs = [*self._batch_pairs(), panel, slot, self.pc.pair]
            pairs += [(r, edge_rows), (k, self.kc)]
            with block_over(kb, "gemm_pack_a", pairs, [mm.lhs], [packed_a]) as ivs:
                e = kb.emitter
                batch, (vpanel, vslot, vpc, vr, vk) = self._split(ivs)
                row = e.add(e.mul(vpanel, e.index(MR)), vr)
                depth = e.add(e.mul(vpc, e.index(KC)), vk)
                value = e.load(mm.lhs, mm.lhs_at(batch, row, depth))
                e.store(value, packed_a, [vslot, vk, vr])
        with loop_over(kb, padding) as r, loop_over(kb, self.kc) as k:
            pairs = [slot, (r, padding), (k, self.kc)]
            with block_over(kb, "gemm_pad_a", pairs, [], [packed_a]) as ivs:
                e = kb.emitter
                vslot, vr, vk = ivs
                row = e.sub(e.index(MR - 1), vr)
                e.store(e.constant(0, f32), packed_a, [vslot, vk, row])

    def _epilogue(self, row0: SSAValue, rows: SSAValue) -> None:
        """After the last depth block, one pass over the finished rows x nc
        strip of C while it is in cache: the identity (folded away by LLVM)
        until kernel fusion (xunity/lowering/kernel_fusion.py) puts an
        elementwise consumer here, e.g. bias + gelu."""
        kb, mm = self.kb, self.mm
        e = kb.emitter
        last = e.compare("eq", self.pc.var, e.sub(self.pc.extent, e.index(1)))
        trips = e.select(last, rows, kb.zero)
        with loop_over(kb, trips) as r, loop_over(kb, self.nc) as j:
            e = kb.emitter
            rows_cols = [(e.add(row0, r), mm.m), (e.add(self.col0, j), mm.n)]
            pairs = [*self._batch_pairs(), *rows_cols]
            with block_over(kb, "gemm_epilogue", pairs, [mm.out], [mm.out]) as ivs:
                e = kb.emitter
                e.store(e.load(mm.out, ivs), mm.out, ivs)

    def _batch_pairs(self) -> list[tuple[SSAValue, SSAValue]]:
        return [loop.pair for loop in self.batch]

    def _split(self, ivs: list[SSAValue]) -> tuple[list[SSAValue], list[SSAValue]]:
        """A block's iteration variables: (the batch ones, the rest)."""
        return ivs[: len(self.batch)], ivs[len(self.batch) :]


@dataclass(frozen=True)
class _TileCall:
    """Micro-kernel calls of one row panel: C[rows, cols] (+)= A panel @ B panel."""

    block: _GemmBlock
    a_ptr: SSAValue
    tile_ptr: SSAValue
    row0: SSAValue
    rows: SSAValue

    def call(self, panel: SSAValue, cols: SSAValue, width: int) -> None:
        """The `width`-column tile over packed B panel `panel` (cols <= width)."""
        block, mm = self.block, self.block.mm
        e = block.kb.emitter
        col = e.mul(panel, e.index(NR))
        b_ptr = block.b_panel(panel)
        batch = [loop.var for loop in block.batch]
        c_index = [*batch, self.row0, e.add(block.col0, col)]
        c_ptr = e.emit(tir.AccessPtrOp(mm.out.value, c_index))
        # Packed panels: A k-major (row stride 1, k stride MR), B rows of NR.
        one, mr, nr = e.index(1), e.index(MR), e.index(NR)
        operands = [self.a_ptr, one, mr, b_ptr, nr, c_ptr, mm.n, block.kc, self.rows]
        operands += [cols, block.accumulate, self.tile_ptr]
        e.builder.insert(cpu.GemmMicrokernelOp(operands, MR, width))


def _gemm_applies(op: Operation, kb: KernelBuilder) -> bool:
    lhs, rhs = kb.inputs
    if not is_f32_matrix_product(lhs, rhs):
        return False
    rows = static_rows(lhs)
    return rows is None or rows > GEMV_MAX_ROWS


GEMM = KernelStrategy("gemm", MatmulOp, _gemm_applies, gemm_rule)
"""f32 matrix products with more than GEMV_MAX_ROWS (or symbolic) rows."""

PACKED_GEMM = KernelStrategy(
    "packed-gemm", PackedMatmulOp, lambda op, kb: True, packed_gemm_rule
)
"""graph.packed_matmul, whose rhs is already in the GEMM's panel layout."""
