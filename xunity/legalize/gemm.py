"""The f32 matmul kernels: packed GEMM around a register micro-kernel, and GEMV.

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

GEMV (a static, small M: decode shapes) is memory-bound on rhs: k is split
into GEMV_TASKS parallel tasks, each streaming a contiguous run of whole rhs
rows into partial sums (j contiguous, vectorised by LLVM), then the partials
are added.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from xdsl.dialects import arith
from xdsl.dialects.builtin import DYNAMIC_INDEX, MemRefType, f32
from xdsl.ir import Operation, SSAValue

from xunity.dialects import cpu, tir
from xunity.dialects.graph.linalg import PackedMatmulOp
from xunity.ir.symbolic import SymExpr
from xunity.legalize.kernel_builder import (
    Buffer,
    Emitter,
    KernelBuilder,
    block_over,
    loop_over,
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
GEMV_MAX_ROWS = 4
"""Up to this many (static) rows, matmul runs as GEMV strips instead."""
GEMV_TASKS = 4
"""GEMV splits k into this many parallel tasks (a few per core)."""
GEMV_UNROLL = 4
"""rhs rows added into the partial sums per pass."""


def is_gemm(lhs: Buffer, rhs: Buffer) -> bool:
    """Whether the packed kernels apply: f32 matrices (batched or not)."""
    f32_operands = lhs.element_type == f32 and rhs.element_type == f32
    return f32_operands and lhs.rank >= 2 and rhs.rank >= 2


def is_gemv(lhs: Buffer) -> bool:
    rows = lhs.shape[-2].constant_value()
    return rows is not None and rows <= GEMV_MAX_ROWS


@dataclass(frozen=True)
class _Loop:
    """A loop variable with its extent, as a block binds it."""

    var: SSAValue
    extent: SSAValue

    @property
    def pair(self) -> tuple[SSAValue, SSAValue]:
        return (self.var, self.extent)


class _Matmul:
    """One matmul's buffers, its dims as index values and numpy batch broadcasting."""

    def __init__(self, kb: KernelBuilder):
        self.kb = kb
        (self.lhs, self.rhs), (self.out,) = kb.inputs, kb.outputs
        self.batch_shape = list(self.out.shape[:-2])
        self.m = kb.dim(self.lhs.shape[-2])
        self.k = kb.dim(self.lhs.shape[-1])
        self.n = kb.dim(self.out.shape[-1])
        self._lhs_batch = dataclasses.replace(self.lhs, shape=self.lhs.shape[:-2])
        self._rhs_batch = dataclasses.replace(self.rhs, shape=self.rhs.shape[:-2])

    def batch_loops(self, variables: Sequence[SSAValue]) -> list[_Loop]:
        extents = [self.kb.dim(d) for d in self.batch_shape]
        return [_Loop(v, x) for v, x in zip(variables, extents, strict=True)]

    def lhs_at(self, batch: Sequence[SSAValue], i: SSAValue, k: SSAValue):
        return [*self._lhs_batch.broadcast_indices(batch, self.kb.zero), i, k]

    def rhs_at(self, batch: Sequence[SSAValue], k: SSAValue, j: SSAValue):
        return [*self._rhs_batch.broadcast_indices(batch, self.kb.zero), k, j]


def gemm_rule(op: Operation, kb: KernelBuilder) -> None:
    """graph.matmul: B is packed per (column, depth) block on every call."""
    del op
    _gemm(kb, prepacked=False)


def packed_gemm_rule(op: Operation, kb: KernelBuilder) -> None:
    """graph.packed_matmul: B's panels are the rhs itself, packed at compile time."""
    del op
    _gemm(kb, prepacked=True)


def _gemm(kb: KernelBuilder, prepacked: bool) -> None:
    mm = _Matmul(kb)
    e = kb.emitter
    if prepacked:
        packed_b = mm.rhs
    else:  # sized for the largest block this call packs: small products stay small
        max_panels = _ceildiv(e, e.minimum(mm.n, e.index(NC)), NR)
        max_depth = e.minimum(mm.k, e.index(KC))
        packed_b_type = MemRefType(f32, [DYNAMIC_INDEX, DYNAMIC_INDEX, NR])
        allocated = e.emit(tir.AllocBufferOp(packed_b_type, [max_panels, max_depth]))
        packed_b = Buffer(allocated, (_RUNTIME, _RUNTIME, SymExpr.of(NR)), f32)
    column_blocks = kb.dim(mm.out.shape[-1].ceildiv(NC))
    depth_blocks = e.maximum(kb.dim(mm.lhs.shape[-1].ceildiv(KC)), kb.dim(1))
    row_panels = kb.dim(mm.lhs.shape[-2].ceildiv(MR))
    # Row panels per task: as many as keep ROW_TASKS tasks, 1 to MAX_GROUP.
    wanted = _ceildiv(e, row_panels, ROW_TASKS)
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
            _Loop(jc, column_blocks),
            _Loop(pc, depth_blocks),
        )
        if not prepacked:
            block.pack_b()
        with loop_over(kb, row_blocks, parallel=True) as ib:
            block.row_block(_Loop(ib, row_blocks), group, row_panels)


class _GemmBlock:
    """The work of one (column block jc, depth block pc) of a GEMM."""

    def __init__(
        self,
        mm: _Matmul,
        packed_b: Buffer,
        prepacked: bool,
        batch: list[_Loop],
        jc: _Loop,
        pc: _Loop,
    ):
        self.mm, self.kb = mm, mm.kb
        self.packed_b, self.prepacked = packed_b, prepacked
        self.batch, self.jc, self.pc = batch, jc, pc
        e = self.kb.emitter
        self.col0 = e.mul(jc.var, e.index(NC))
        self.nc = e.minimum(e.index(NC), e.sub(mm.n, self.col0))
        self.panels = _ceildiv(e, self.nc, NR)
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

    def row_block(self, ib: _Loop, group: SSAValue, row_panels: SSAValue) -> None:
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
        until kernel fusion (xunity/transforms/kernel_fusion.py) puts an
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


def gemv_rule(op: Operation, kb: KernelBuilder) -> None:
    """out[b.., i, j] = sum_k lhs[b.., i, k] rhs[b.., k, j], split over k.

    Each of GEMV_TASKS parallel tasks streams a contiguous run of whole rhs
    rows (what DRAM prefetchers stream best) into its own partial sums; a
    last pass adds the partials, which also makes it the final block that
    kernel fusion puts elementwise consumers into.
    """
    del op
    mm = _Matmul(kb)
    m_dim, n_dim = mm.lhs.shape[-2], mm.rhs.shape[-1]
    partial = kb.scratch([SymExpr.of(GEMV_TASKS), m_dim, n_dim], f32)
    tasks, m = kb.dim(GEMV_TASKS), kb.dim(m_dim)
    chunk = _ceildiv(kb.emitter, mm.k, GEMV_TASKS)
    with kb.loops(mm.batch_shape) as batch_vars:
        batch = [loop.pair for loop in mm.batch_loops(batch_vars)]
        with loop_over(kb, tasks, parallel=True) as t:
            e = kb.emitter
            k0 = e.mul(t, chunk)
            rows = e.maximum(e.minimum(chunk, e.sub(mm.k, k0)), kb.zero)
            with (
                loop_over(kb, m) as i,
                loop_over(kb, mm.n) as j,
                block_over(
                    kb, "gemv_init", [(t, tasks), (i, m), (j, mm.n)], [], [partial]
                ) as ivs,
            ):
                kb.emitter.store(kb.emitter.constant(0, f32), partial, ivs)
            # GEMV_UNROLL rows of rhs per pass over the partial row (fewer
            # loads/stores of it, more streams in flight), then the rest.
            e = kb.emitter
            groups = e.floordiv(rows, e.index(GEMV_UNROLL))
            rest = e.sub(rows, e.mul(groups, e.index(GEMV_UNROLL)))
            with loop_over(kb, groups) as g:
                first = kb.emitter.add(
                    k0, kb.emitter.mul(g, kb.emitter.index(GEMV_UNROLL))
                )
                _gemv_update(kb, mm, partial, batch, (t, tasks), m, first, GEMV_UNROLL)
            with loop_over(kb, rest) as r:
                e = kb.emitter
                first = e.add(e.add(k0, e.mul(groups, e.index(GEMV_UNROLL))), r)
                _gemv_update(kb, mm, partial, batch, (t, tasks), m, first, 1)
        with (
            loop_over(kb, m) as i,
            loop_over(kb, mm.n) as j,
            block_over(
                kb, "gemv_sum", [*batch, (i, m), (j, mm.n)], [partial], [mm.out]
            ) as ivs,
        ):
            e = kb.emitter
            vi, vj = ivs[len(batch) :]
            parts = [e.load(partial, [e.index(t), vi, vj]) for t in range(GEMV_TASKS)]
            total = parts[0]
            for part in parts[1:]:
                total = e.add(total, part)
            e.store(total, mm.out, ivs)


def _gemv_update(
    kb: KernelBuilder,
    mm: _Matmul,
    partial: Buffer,
    batch: list[tuple[SSAValue, SSAValue]],
    task: tuple[SSAValue, SSAValue],
    m: SSAValue,
    first: SSAValue,
    count: int,
) -> None:
    """partial[t, i, j] += sum over rows first .. first + count - 1 of lhs * rhs."""
    with (
        loop_over(kb, m) as i,
        loop_over(kb, mm.n) as j,
        block_over(
            kb,
            "gemv_update" if count == 1 else f"gemv_update{count}",
            [*batch, task, (i, m), (j, mm.n)],
            [mm.lhs, mm.rhs],
            [partial],
            reduce=[(first, mm.k)],
        ) as ivs,
    ):
        e = kb.emitter
        b_ivs, (vt, vi, vj, vk) = ivs[: len(batch)], ivs[len(batch) :]
        total = e.load(partial, [vt, vi, vj])
        for offset in range(count):
            row = vk if offset == 0 else e.add(vk, e.index(offset))
            a = e.load(mm.lhs, mm.lhs_at(b_ivs, vi, row))
            b = e.load(mm.rhs, mm.rhs_at(b_ivs, row, vj))
            total = e.add(total, e.mul(a, b))
        e.store(total, partial, [vt, vi, vj])


def _ceildiv(e: Emitter, value: SSAValue, divisor: int) -> SSAValue:
    return e.emit(arith.CeilDivUIOp(value, e.index(divisor)))
