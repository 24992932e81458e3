"""Strategy `gemm`: f32 matmul as a packed GEMM around a register micro-kernel.

GEMM (the BLIS loop structure, for `out[b.., M, N] = lhs[b.., M, K] @ rhs[b.., K, N]`):

    [M symbolic and <= FEWEST_ROWS at run time, rhs not prepacked:
     the GEMV of gemv.py; below, only the epilogue runs]
    for b..                                   batch (broadcast like numpy)
      for jc < ceil(N / NC)                   column block, nc = min(NC, N - jc*NC)
        for po < depth_outer                  depth blocks outside the tasks
          parallel p < ceil(nc / NR):         pack rhs[pc.., jc..] into panels
            packed_b[p, k, j] (zero past N)     NR columns, k-major (L2-resident)
          parallel (ib, slice):               a group of MR-row panels of lhs x
                                              a run of B panels, per task
            for pi < depth_inner:             depth blocks inside the task
              packed_a[g, k, r] (zero past M)   (L1/L2-resident, thread-local)
              for p in slice: for g:          C[MR, NR] (+)= A[g] @ B panel p
                cpu.gemm_microkernel
              last, narrower panel: a 16, 32 or 48 wide micro-kernel
            if po is last: gemm_epilogue      C[rows, slice] = C (fusion hook)

`build_gemm` serves three kinds of B: the rhs matrix (packed as above, or
read in place), its prepacked panels (graph.packed_matmul), and panels a
`PanelPacker` makes (quant_gemm.py dequantises a quantised weight): such a
B is always packed, in the shared step above for more than OWN_B_ROW_PANELS
row panels, else by each column-slice task for its own panels, per depth
block inside the task (one parallel launch per call).

The split is chosen at run time from the row count, so one kernel serves
every M (the dims may all be symbolic):

- many rows (more than FEW_ROW_PANELS row panels): depth blocks outside
  (depth_inner = 1), B packed per block, tasks over groups of up to
  MAX_GROUP row panels, each block's panels split into column slices only
  when there are fewer than ROW_TASKS row groups;
- few rows: one group of all row panels, ROW_TASKS column slices, the depth
  loop inside the task (one parallel launch per column block) and B read
  where it is, rows N apart (only the partial last panel is copied, padded):
  with one row block, B is read once whatever its layout, so packing it
  would only add a copy; a prepacked rhs is read in place in both cases;
- one or two rows (FEWEST_ROWS), prepacked rhs: as few rows, but each lhs
  row runs one-row micro-kernels, read in place (no A packing, no 8-row
  tile of which 7 rows are padding);
- GEMV (symbolic M <= FEWEST_ROWS, a plain matmul): the GEMV streams the
  rhs once; the loops above then run no depth block, one task, only the
  epilogue, so that `gemm_epilogue` stays the one final block of `out`
  (kernel fusion puts a consumer there; the GEMV's sums pass through it).

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
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from xdsl.dialects import arith
from xdsl.dialects.builtin import DYNAMIC_INDEX, MemRefType, f32
from xdsl.ir import Operation, SSAValue

from xunity.dialects import cpu, tir
from xunity.dialects.graph.linalg import MatmulOp, PackedMatmulOp
from xunity.ir.symbolic import SymExpr
from xunity.legalize.kernel_builder import Buffer, KernelBuilder, block_over, loop_over
from xunity.strategies.base import KernelStrategy
from xunity.strategies.gemv import GEMV_MAX_ROWS, build_gemv
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
"""Parallel tasks a GEMM aims for (a few per thread, so that the pool can
balance them): row tasks, each taking ceil(row panels / ROW_TASKS) panels ..."""
MAX_GROUP = 2
"""... but at most this many.  Sharing each B panel between two A panels
halves the B traffic from L3 (M = 128: 1.17x -> 1.19x numpy, paired runs);
larger groups measured slower at M = 1024 (C tiles 4 KiB apart in more rows)."""
FEW_ROW_PANELS = 8
"""Up to this many row panels (64 rows), a GEMM runs in *column slices*
instead: one row block of all the panels, ROW_TASKS tasks each over a run of
B panels and all depth blocks (one parallel launch), B read where it is
(1024 x 1024 rhs, best of 10 x 30 calls: m = 33 0.33 -> 0.24 ms, m = 64
0.42 -> 0.37 ms; 16 panels gained nothing clear at m = 72..128)."""
OWN_B_ROW_PANELS = 128
"""Up to this many row panels (1024 rows), a PanelPacker's B is packed by
the column slices themselves, each task its own panels per depth block
(thread-local, in L2), inside one parallel launch; more rows share B panels
packed per (column, depth) block.  A quantised [n, 576] x [1536, 576], own
vs shared panels, best of 11 x 5 calls, ms: 2 threads (a busy machine) n =
128 1.15 vs 1.23, 512 6.4 vs 7.3, 1024 14.5 vs 15.7; 1 thread equal within
3% at every n (A is packed once per slice rather than once per row block,
which costs about what one launch and B's round trip through L3 save)."""
NC = 42 * NR
"""Column block (2016): A is packed once per (depth block, column block), so
one block spans the usual widths; each micro-kernel streams its 48 KiB B
panel from L2/L3 at well under the bandwidth those supply.  A multiple of NR,
so that a prepacked rhs's panels line up with every block's."""
FEWEST_ROWS = 2
"""Up to this many rows (a symbolic count, at run time) a plain matmul runs
the GEMV, a prepacked one one-row micro-kernels on lhs in place: at 1 or 2
rows an 8-row tile wastes most of its FMAs.  Against the 8-row column
slices ([m, 1024] @ [1024, 1024], best of 10 x 30 calls, 2-3 runs, ms):
GEMV m = 2 0.044 vs 0.067, m = 3 and 4 within noise (the medians favour the
slices); prepacked m = 1 0.033 vs 0.060, m = 2 0.045 vs 0.062, m = 3 the
same, m = 4 0.07 vs 0.06.  (A static count <= GEMV_MAX_ROWS is the gemv
strategy's.)"""
_RUNTIME = SymExpr.of("runtime")
"""Stand-in dim of buffers sized at run time (only the element type and the
rank of such a Buffer are ever read)."""


def gemm_rule(op: Operation, kb: KernelBuilder) -> None:
    """graph.matmul: B is packed per (column, depth) block on every call, or
    read in place for few rows; a symbolic row count of at most FEWEST_ROWS
    runs the GEMV instead."""
    del op
    mm = Matmul(kb)
    build_gemm(mm, few_rows=FewRows(FEWEST_ROWS, lambda: build_gemv(mm)))


def packed_gemm_rule(op: Operation, kb: KernelBuilder) -> None:
    """graph.packed_matmul: B's panels are the rhs itself, packed at compile time."""
    del op
    build_gemm(Matmul(kb), prepacked=True)


@dataclass(frozen=True)
class FewRows:
    """The kernel a symbolic row count of at most `rows` runs instead, at run
    time (a GEMV); the GEMM's loops then run only the epilogue."""

    rows: int
    build: Callable[[], None]


@dataclass(frozen=True)
class PanelPack:
    """A B panel to pack for one depth block: packed_b[p, k, j] =
    B[k0 + k, (first + p) * NR + j] for k < kc, j < NR, zero past N (`first`:
    the panel of B that goes to packed_b[0])."""

    p: Loop
    first: SSAValue
    depth: Loop
    k0: SSAValue
    kc: SSAValue
    packed_b: Buffer


PanelPacker = Callable[[KernelBuilder, PanelPack], None]
"""Packs the B panels of an rhs that is not a matrix (a quantised weight,
dequantised into them); such a B is never read in place, whatever the row
count."""


@dataclass(frozen=True)
class _Plan:
    """How one call splits its work, as run-time values (the dims may be symbolic)."""

    small: SSAValue | None
    """i1: the GEMV ran (a symbolic row count <= FEWEST_ROWS), the loops
    below run only the epilogue; None where that cannot happen."""
    few: SSAValue
    """i1: at most FEW_ROW_PANELS row panels: column slices, depth inside the
    tasks, B read in place (a PanelPacker's B: up to OWN_B_ROW_PANELS, each
    task packing its own panels)."""
    row_panels: SSAValue
    group: SSAValue
    """Row panels per row block."""
    row_blocks: SSAValue
    slices: SSAValue
    """Column slices wanted per row block (fewer if the block has fewer panels)."""
    depth_blocks: SSAValue
    depth_outer: SSAValue
    """Depth blocks outside the tasks (each a parallel launch) ..."""
    depth_inner: SSAValue
    """... and inside each task: (depth_blocks, 1), or (1, depth_blocks) if few."""
    tiny: SSAValue | None
    """i1: a prepacked rhs and at most FEWEST_ROWS rows: each row runs its
    own one-row micro-kernels on lhs in place (no A packing, no padded rows);
    None for a plain matmul, whose few rows take the GEMV."""


def _plan(mm: Matmul, small: SSAValue | None, prepacked: bool, packed: bool) -> _Plan:
    """`packed`: B is always packed (a PanelPacker's), never read in place."""
    kb = mm.kb
    e = kb.emitter
    tiny = e.compare("le", mm.m, e.index(FEWEST_ROWS)) if prepacked else None
    one = kb.dim(1)
    row_panels = kb.dim(mm.lhs.shape[-2].ceildiv(MR))
    few = e.compare("le", row_panels, e.index(FEW_ROW_PANELS))
    if packed:  # column slices that pack their own B panels
        few = e.compare("le", row_panels, e.index(OWN_B_ROW_PANELS))
    # Row panels per task: as many as keep ROW_TASKS tasks, 1 to MAX_GROUP;
    # few: all of them.
    wanted = ceildiv(e, row_panels, ROW_TASKS)
    group = e.minimum(e.maximum(wanted, one), e.index(MAX_GROUP))
    group = e.select(few, e.maximum(row_panels, one), group)
    row_blocks = e.emit(arith.CeilDivUIOp(row_panels, group))
    # Fewer row blocks than ROW_TASKS: each block's B panels are split into
    # column slices too, so that every thread has work.
    slices = e.emit(arith.CeilDivUIOp(e.index(ROW_TASKS), e.maximum(row_blocks, one)))
    depth_blocks = e.maximum(kb.dim(mm.lhs.shape[-1].ceildiv(KC)), one)
    depth_outer = e.select(few, one, depth_blocks)
    depth_inner = e.select(few, depth_blocks, one)
    if small is not None:  # the GEMV did the sums: one task for the epilogue
        slices = e.select(small, one, slices)
        depth_inner = e.select(small, kb.zero, depth_inner)
    return _Plan(
        small,
        few,
        row_panels,
        group,
        row_blocks,
        slices,
        depth_blocks,
        depth_outer,
        depth_inner,
        tiny,
    )


def build_gemm(
    mm: Matmul,
    prepacked: bool = False,
    packer: PanelPacker | None = None,
    few_rows: FewRows | None = None,
) -> None:
    """The GEMM of `mm` at the builder's insertion point: B is the rhs matrix,
    its `prepacked` panels, or what `packer` packs; `few_rows` runs instead
    for a small symbolic row count."""
    kb = mm.kb
    e = kb.emitter
    # A symbolic row count may be small at run time: then the GEMV streams
    # the rhs once instead, and the GEMM's loops below only run the epilogue
    # (the one final block of `out`, where kernel fusion puts a consumer).
    small = None
    if few_rows is not None and static_rows(mm.lhs) is None:
        small = e.compare("le", mm.m, e.index(few_rows.rows))
        with loop_over(kb, e.select(small, kb.dim(1), kb.zero)):
            few_rows.build()
    plan = _plan(mm, small, prepacked, packer is not None)
    e = kb.emitter
    if prepacked:
        packed_b = mm.matrix
    else:  # sized for the largest block this call packs: small products stay small
        max_panels = ceildiv(e, e.minimum(mm.n, e.index(NC)), NR)
        max_panels = e.select(plan.few, kb.zero, max_panels)
        max_depth = e.minimum(mm.k, e.index(KC))
        packed_b_type = MemRefType(f32, [DYNAMIC_INDEX, DYNAMIC_INDEX, NR])
        allocated = e.emit(tir.AllocBufferOp(packed_b_type, [max_panels, max_depth]))
        packed_b = Buffer(allocated, (_RUNTIME, _RUNTIME, SymExpr.of(NR)), f32)
    column_blocks = kb.dim(mm.out.shape[-1].ceildiv(NC))
    with (
        kb.loops(mm.batch_shape) as batch_vars,
        loop_over(kb, column_blocks) as jc,
        loop_over(kb, plan.depth_outer) as po,
    ):
        block = _GemmBlock(
            mm,
            plan,
            packed_b,
            prepacked,
            packer,
            mm.batch_loops(batch_vars),
            Loop(jc, column_blocks),
            Loop(po, plan.depth_outer),
        )
        if not prepacked:
            block.pack_b(_Depth(block, po))
        block.tasks()


class _GemmBlock:
    """The work of one column block jc (and, unless few, one depth block) of a GEMM."""

    def __init__(
        self,
        mm: Matmul,
        plan: _Plan,
        packed_b: Buffer,
        prepacked: bool,
        packer: PanelPacker | None,
        batch: list[Loop],
        jc: Loop,
        po: Loop,
    ):
        self.mm, self.kb, self.plan = mm, mm.kb, plan
        self.packed_b, self.prepacked, self.packer = packed_b, prepacked, packer
        self.in_place = not prepacked and packer is None
        """Few rows read the rhs matrix in place."""
        self.batch, self.jc, self.po = batch, jc, po
        e = self.kb.emitter
        self.col0 = e.mul(jc.var, e.index(NC))
        self.nc = e.minimum(e.index(NC), e.sub(mm.n, self.col0))
        self.panels = ceildiv(e, self.nc, NR)
        self.full_panels = e.floordiv(self.nc, e.index(NR))
        self.rest = e.sub(self.nc, e.mul(self.full_panels, e.index(NR)))

    def pack_b(self, depth: _Depth) -> None:
        """The block's B panels for depth block `depth`, in parallel (not
        when few: then B is read in place, or each task packs its own):
        copies, or the packer's."""
        kb = self.kb
        panels = kb.emitter.select(self.plan.few, kb.zero, self.panels)
        with loop_over(kb, panels, parallel=True) as p:
            if self.packer is None:
                self._copy_panel(depth, p)
            else:
                self._packer_panel(depth, Loop(p, self.panels), kb.zero, self.packed_b)

    def _packer_panel(
        self, depth: _Depth, p: Loop, first: SSAValue, buffer: Buffer
    ) -> None:
        """The packer's B panel `first + p` of this block, into buffer[p]."""
        assert self.packer is not None
        e = self.kb.emitter
        start = e.add(e.mul(self.jc.var, e.index(NC // NR)), first)
        pack = PanelPack(p, start, Loop(*depth.pair), depth.k0, depth.kc, buffer)
        self.packer(self.kb, pack)

    def _copy_panel(self, depth: _Depth, p: SSAValue) -> None:
        """packed_b[p, k, j] = rhs[pc*KC + k, jc*NC + p*NR + j], zero past N.

        Copy and zero fill are separate loops without selects, so the copy of
        each contiguous row segment vectorises."""
        kb, mm, packed_b = self.kb, self.mm, self.packed_b
        e = kb.emitter
        col0 = e.add(self.col0, e.mul(p, e.index(NR)))
        valid = e.minimum(e.index(NR), e.sub(mm.n, col0))
        padding = e.sub(e.index(NR), valid)
        with loop_over(kb, depth.kc) as k:
            outer = [*self._batch_pairs(), self.jc.pair, depth.pair]
            outer += [(p, self.panels), (k, depth.kc)]
            with (
                loop_over(kb, valid) as j,
                block_over(
                    kb, "gemm_pack_b", [*outer, (j, valid)], [mm.matrix], [packed_b]
                ) as ivs,
            ):
                e = kb.emitter
                batch, (vjc, vpc, vp, vk, vj) = self._split(ivs)
                panel = e.add(e.mul(vp, e.index(NR)), vj)
                column = e.add(e.mul(vjc, e.index(NC)), panel)
                row = e.add(e.mul(vpc, e.index(KC)), vk)
                value = e.load(mm.matrix, mm.rhs_at(batch, row, column))
                e.store(value, packed_b, [vp, vk, vj])
            pairs = [(p, self.panels), (k, depth.kc)]
            with (
                loop_over(kb, padding) as j,
                block_over(
                    kb, "gemm_pad_b", [*pairs, (j, padding)], [], [packed_b]
                ) as (vp, vk, vj),
            ):
                e = kb.emitter
                column = e.sub(e.index(NR - 1), vj)
                e.store(e.constant(0, f32), packed_b, [vp, vk, column])

    def tasks(self) -> None:
        """The parallel tasks: every (row block, column slice) pair, a slice
        being a run of whole B panels of this block (none left empty)."""
        kb, plan = self.kb, self.plan
        e = kb.emitter
        wanted = e.minimum(plan.slices, self.panels)
        per_slice = e.emit(arith.CeilDivUIOp(self.panels, wanted))
        slices = e.emit(arith.CeilDivUIOp(self.panels, per_slice))
        with loop_over(kb, e.mul(plan.row_blocks, slices), parallel=True) as task:
            e = kb.emitter
            ib = e.emit(arith.DivUIOp(task, slices))
            first = e.mul(e.emit(arith.RemUIOp(task, slices)), per_slice)
            last = e.minimum(e.add(first, per_slice), self.panels)
            self._task(ib, _Slice(first, last))

    def _task(self, ib: SSAValue, piece: _Slice) -> None:
        """Row block `ib` x the B panels of `piece`: for each depth block
        inside the task, pack up to `group` MR-row panels of lhs (thread-local,
        k-major, zero past M), then for each B panel the micro-kernels of all
        of them: the B panel is read from L3 once per block and reused from
        L1/L2, the packed A panels stay in L2.  Then the epilogue."""
        kb, mm, plan = self.kb, self.mm, self.plan
        e = kb.emitter
        a_type = MemRefType(f32, [DYNAMIC_INDEX, KC, MR])
        packed_a = Buffer(
            e.emit(tir.AllocBufferOp(a_type, [plan.group])),
            (_RUNTIME, SymExpr.of(KC), SymExpr.of(MR)),
            f32,
        )
        tile = e.emit(tir.AllocBufferOp(MemRefType(f32, [MR * NR])))
        own = None
        if self.packer is not None:  # few: this task's B panels, packed here
            own_type = MemRefType(f32, [DYNAMIC_INDEX, KC, NR])
            span = e.select(plan.few, e.sub(piece.last, piece.first), kb.zero)
            allocated = e.emit(tir.AllocBufferOp(own_type, [span]))
            own_b = Buffer(allocated, (_RUNTIME, SymExpr.of(KC), SymExpr.of(NR)), f32)
            own = _OwnPanels(own_b, piece.first, span)
        edge_b = None
        if self.in_place:  # few: the last, partial panel of B, padded
            edge_type = MemRefType(f32, [DYNAMIC_INDEX, NR])
            edge_depth = e.select(plan.few, e.index(KC), kb.zero)
            edge = e.emit(tir.AllocBufferOp(edge_type, [edge_depth]))
            edge_b = Buffer(edge, (_RUNTIME, SymExpr.of(NR)), f32)
        first = e.mul(ib, plan.group)
        count = e.minimum(plan.group, e.sub(plan.row_panels, first))
        rows = _Rows(first, count)
        tile_ptr = e.emit(tir.AccessPtrOp(tile, [kb.zero]))
        panels, lhs_rows = count, kb.zero  # packed A panels, or rows one by one
        if plan.tiny is not None:
            panels = e.select(plan.tiny, kb.zero, count)
            lhs_rows = e.select(plan.tiny, mm.m, kb.zero)
        with loop_over(kb, plan.depth_inner) as pi:
            depth = _Depth(self, kb.emitter.add(self.po.var, pi))
            with loop_over(kb, panels) as g:
                e = kb.emitter
                panel = e.add(first, g)
                self._pack_panel(depth, (panel, plan.row_panels), (g, panels), packed_a)
            if edge_b is not None:
                self._pack_edge(depth, piece, edge_b)
            if own is not None:
                self._pack_own(depth, own)

            def packed_tile(g: SSAValue, depth: _Depth = depth) -> _TileCall:
                return self._tile(depth, packed_a, tile_ptr, rows, g)

            def row_tile(i: SSAValue, depth: _Depth = depth) -> _TileCall:
                return self._row_tile(depth, tile_ptr, i)

            self._micro_kernels(depth, piece, panels, packed_tile, edge_b, own)
            if plan.tiny is not None:
                self._micro_kernels(depth, piece, lhs_rows, row_tile, edge_b, own)
        e = kb.emitter
        row0 = e.mul(first, e.index(MR))
        row_count = e.minimum(e.mul(count, e.index(MR)), e.sub(mm.m, row0))
        col0 = e.mul(piece.first, e.index(NR))
        cols = e.sub(e.minimum(e.mul(piece.last, e.index(NR)), self.nc), col0)
        self._epilogue(row0, row_count, col0, cols)

    def _micro_kernels(
        self,
        depth: _Depth,
        piece: _Slice,
        units: SSAValue,
        tile_of: Callable[[SSAValue], _TileCall],
        edge_b: Buffer | None,
        own: _OwnPanels | None,
    ) -> None:
        """For each B panel of the slice, the micro-kernels of `units` row
        units (packed A panels, or rows); the last, narrower panel runs the
        narrowest tile that covers it (N = 1024 leaves 16 columns: a 48-wide
        tile would waste 2/3)."""
        kb = self.kb
        e = kb.emitter
        full_end = e.minimum(piece.last, self.full_panels)
        full = e.maximum(e.sub(full_end, piece.first), kb.zero)
        # Where B may be packed or read in place, one loop for each, so that
        # each micro-kernel has a constant B row stride (NR) or N.
        layouts = [(False, full)]
        if self.in_place:
            few = self.plan.few
            layouts = [(False, e.select(few, kb.zero, full))]
            layouts += [(True, e.select(few, full, kb.zero))]
        for in_place, panels in layouts:
            with loop_over(kb, panels) as p, loop_over(kb, units) as g:
                e = kb.emitter
                panel = e.add(piece.first, p)
                b_ptr, b_stride = self._b_panel(depth, panel, in_place, own)
                tile_of(g).call(panel, b_ptr, b_stride, e.index(NR), NR)
        e = kb.emitter
        holds_edge = e.compare("gt", piece.last, self.full_panels)
        for width in range(WIDTH, NR + 1, WIDTH):
            e = kb.emitter
            above = e.compare("gt", self.rest, e.index(width - WIDTH))
            within = e.compare("le", self.rest, e.index(width))
            fits = e.emit(arith.AndIOp(e.emit(arith.AndIOp(above, within)), holds_edge))
            trips = e.select(fits, e.index(1), kb.zero)
            with loop_over(kb, trips), loop_over(kb, units) as g:
                e = kb.emitter
                b_ptr = self._edge_panel(depth, edge_b, own)
                tile = tile_of(g)
                tile.call(self.full_panels, b_ptr, e.index(NR), self.rest, width)

    def _b_panel(
        self,
        depth: _Depth,
        panel: SSAValue,
        in_place: bool = False,
        own: _OwnPanels | None = None,
    ) -> tuple[SSAValue, SSAValue]:
        """The address and row stride of full B panel `panel` of this block:
        in the per-block buffer (NR) or, few, the task's `own` panels (NR);
        `in_place` in the rhs (N); at (column, depth) offsets in a prepacked
        rhs (NR)."""
        e, zero = self.kb.emitter, self.kb.zero
        nr = e.index(NR)
        if self.prepacked:
            first = e.mul(self.jc.var, e.index(NC // NR))
            index = [e.add(first, panel), depth.k0, zero]
            return e.emit(tir.AccessPtrOp(self.packed_b.value, index)), nr
        if not in_place:
            shared = e.emit(tir.AccessPtrOp(self.packed_b.value, [panel, zero, zero]))
            if own is None:
                return shared, nr
            index = [e.sub(panel, own.first), zero, zero]
            mine = e.emit(tir.AccessPtrOp(own.buffer.value, index))
            return e.select(self.plan.few, mine, shared), nr
        column = e.add(self.col0, e.mul(panel, nr))
        batch = [loop.var for loop in self.batch]
        index = self.mm.rhs_at(batch, depth.k0, column)
        return e.emit(tir.AccessPtrOp(self.mm.matrix.value, index)), self.mm.n

    def _edge_panel(
        self, depth: _Depth, edge_b: Buffer | None, own: _OwnPanels | None
    ) -> SSAValue:
        """The address of the last, partial B panel (row stride NR)."""
        e, zero = self.kb.emitter, self.kb.zero
        if edge_b is None:
            return self._b_panel(depth, self.full_panels, own=own)[0]
        index = [self.full_panels, zero, zero]
        packed = e.emit(tir.AccessPtrOp(self.packed_b.value, index))
        edge = e.emit(tir.AccessPtrOp(edge_b.value, [zero, zero]))
        return e.select(self.plan.few, edge, packed)

    def _pack_edge(self, depth: _Depth, piece: _Slice, edge_b: Buffer) -> None:
        """few: edge_b[k, j] = rhs[pc*KC + k, jc*NC + full_panels*NR + j], zero
        past N, by the task whose slice holds the partial panel (the full
        panels are read in place; this one would be read past N's end)."""
        kb, mm = self.kb, self.mm
        e = kb.emitter
        holds_edge = e.compare("gt", piece.last, self.full_panels)
        wanted = e.emit(arith.AndIOp(self.plan.few, holds_edge))
        depth_rows = e.select(wanted, depth.kc, kb.zero)
        padding = e.sub(e.index(NR), self.rest)
        column0 = e.add(self.col0, e.mul(self.full_panels, e.index(NR)))
        with loop_over(kb, depth_rows) as k:
            pairs = [*self._batch_pairs(), depth.pair, (k, depth.kc)]
            with (
                loop_over(kb, self.rest) as j,
                block_over(
                    kb,
                    "gemm_pack_b_edge",
                    [*pairs, (j, self.rest)],
                    [mm.matrix],
                    [edge_b],
                ) as ivs,
            ):
                e = kb.emitter
                batch, (vpc, vk, vj) = self._split(ivs)
                row = e.add(e.mul(vpc, e.index(KC)), vk)
                value = e.load(mm.matrix, mm.rhs_at(batch, row, e.add(column0, vj)))
                e.store(value, edge_b, [vk, vj])
            with (
                loop_over(kb, padding) as j,
                block_over(
                    kb, "gemm_pad_b_edge", [(k, depth.kc), (j, padding)], [], [edge_b]
                ) as (vk, vj),
            ):
                e = kb.emitter
                column = e.sub(e.index(NR - 1), vj)
                e.store(e.constant(0, f32), edge_b, [vk, column])

    def _pack_own(self, depth: _Depth, own: _OwnPanels) -> None:
        """few: the packer's panels of this task's slice for depth block
        `depth`, into its own buffer (they stay in L2 for its micro-kernels)."""
        with loop_over(self.kb, own.count) as p:
            self._packer_panel(depth, Loop(p, own.count), own.first, own.buffer)

    def _rows(self, panel: SSAValue) -> SSAValue:
        """How many of row panel `panel`'s MR rows exist."""
        e = self.kb.emitter
        return e.minimum(e.index(MR), e.sub(self.mm.m, e.mul(panel, e.index(MR))))

    def _tile(
        self,
        depth: _Depth,
        packed_a: Buffer,
        tile_ptr: SSAValue,
        rows: _Rows,
        slot: SSAValue,
    ) -> _TileCall:
        """Micro-kernel calls for the row panel packed at `slot` of packed_a
        (k-major: row stride 1, k stride MR)."""
        e, zero = self.kb.emitter, self.kb.zero
        a_ptr = e.emit(tir.AccessPtrOp(packed_a.value, [slot, zero, zero]))
        panel = e.add(rows.first, slot)
        row0 = e.mul(panel, e.index(MR))
        a = (a_ptr, e.index(1), e.index(MR))
        return _TileCall(self, depth, MR, a, tile_ptr, row0, self._rows(panel))

    def _row_tile(self, depth: _Depth, tile_ptr: SSAValue, row: SSAValue) -> _TileCall:
        """One-row micro-kernel calls for lhs row `row`, read in place."""
        e = self.kb.emitter
        batch = [loop.var for loop in self.batch]
        index = self.mm.lhs_at(batch, row, depth.k0)
        a = (e.emit(tir.AccessPtrOp(self.mm.lhs.value, index)), self.mm.k, e.index(1))
        return _TileCall(self, depth, 1, a, tile_ptr, row, e.index(1))

    def _pack_panel(
        self,
        depth: _Depth,
        panel: tuple[SSAValue, SSAValue],
        slot: tuple[SSAValue, SSAValue],
        packed_a: Buffer,
    ) -> None:
        """packed_a[slot, k, r] = lhs[row0 + r, depth0 + k], zero past M.

        A full panel is one k loop storing all MR rows, which LLVM vectorises
        as an in-register transpose (MR vector loads from the rows, shuffles,
        full vector stores) where a per-row loop would scatter; the last
        panel, when M is not a multiple of MR, copies its rows one by one,
        then zeros."""
        kb, mm = self.kb, self.mm
        e = kb.emitter
        rows = self._rows(panel[0])
        full = e.compare("eq", rows, e.index(MR))
        kc = e.select(full, depth.kc, kb.zero)
        with loop_over(kb, kc) as k:
            pairs = [*self._batch_pairs(), panel, slot, depth.pair, (k, depth.kc)]
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
        with loop_over(kb, edge_rows) as r, loop_over(kb, depth.kc) as k:
            pairs = [*self._batch_pairs(), panel, slot, depth.pair]
            pairs += [(r, edge_rows), (k, depth.kc)]
            with block_over(kb, "gemm_pack_a", pairs, [mm.lhs], [packed_a]) as ivs:
                e = kb.emitter
                batch, (vpanel, vslot, vpc, vr, vk) = self._split(ivs)
                row = e.add(e.mul(vpanel, e.index(MR)), vr)
                column = e.add(e.mul(vpc, e.index(KC)), vk)
                value = e.load(mm.lhs, mm.lhs_at(batch, row, column))
                e.store(value, packed_a, [vslot, vk, vr])
        with loop_over(kb, padding) as r, loop_over(kb, depth.kc) as k:
            pairs = [slot, (r, padding), (k, depth.kc)]
            with block_over(kb, "gemm_pad_a", pairs, [], [packed_a]) as ivs:
                e = kb.emitter
                vslot, vr, vk = ivs
                row = e.sub(e.index(MR - 1), vr)
                e.store(e.constant(0, f32), packed_a, [vslot, vk, row])

    def _epilogue(
        self, row0: SSAValue, rows: SSAValue, col0: SSAValue, cols: SSAValue
    ) -> None:
        """After the last depth block, one pass over the task's finished rows x
        cols strip of C (columns from col0 of this block) while it is in
        cache: the identity (folded away by LLVM) until kernel fusion
        (xunity/lowering/kernel_fusion.py) puts an elementwise consumer here,
        e.g. bias + gelu.  Where the GEMV ran, this pass alone runs (over the
        whole of C): it stays the one final block of `out`."""
        kb, mm = self.kb, self.mm
        e = kb.emitter
        last = e.compare("eq", self.po.var, e.sub(self.po.extent, e.index(1)))
        trips = e.select(last, rows, kb.zero)
        start = e.add(self.col0, col0)
        with loop_over(kb, trips) as r, loop_over(kb, cols) as j:
            e = kb.emitter
            rows_cols = [(e.add(row0, r), mm.m), (e.add(start, j), mm.n)]
            pairs = [*self._batch_pairs(), *rows_cols]
            with block_over(kb, "gemm_epilogue", pairs, [mm.out], [mm.out]) as ivs:
                e = kb.emitter
                e.store(e.load(mm.out, ivs), mm.out, ivs)

    def _batch_pairs(self) -> list[tuple[SSAValue, SSAValue]]:
        return [loop.pair for loop in self.batch]

    def _split(self, ivs: list[SSAValue]) -> tuple[list[SSAValue], list[SSAValue]]:
        """A block's iteration variables: (the batch ones, the rest)."""
        return ivs[: len(self.batch)], ivs[len(self.batch) :]


class _Depth:
    """Depth block pc of a GEMM block: its first row of B, depth and whether
    the micro-kernels add to C (all but the first block)."""

    def __init__(self, block: _GemmBlock, pc: SSAValue):
        e = block.kb.emitter
        self.pc = pc
        self.pair = (pc, block.plan.depth_blocks)
        self.k0 = e.mul(pc, e.index(KC))
        self.kc = e.minimum(e.index(KC), e.sub(block.mm.k, self.k0))
        self.accumulate = e.compare("ne", pc, block.kb.zero)


@dataclass(frozen=True)
class _OwnPanels:
    """B panels [first, first + count) of a block, packed by the task that
    reads them into `buffer` (a PanelPacker's B, few rows); count is 0
    otherwise."""

    buffer: Buffer
    first: SSAValue
    count: SSAValue


@dataclass(frozen=True)
class _Slice:
    """B panels [first, last) of a block: one task's columns."""

    first: SSAValue
    last: SSAValue


@dataclass(frozen=True)
class _Rows:
    """Row panels [first, first + count) of lhs: one task's rows."""

    first: SSAValue
    count: SSAValue


@dataclass(frozen=True)
class _TileCall:
    """Micro-kernel calls of one row unit: C[rows, cols] (+)= A @ B panel."""

    block: _GemmBlock
    depth: _Depth
    mr: int
    a: tuple[SSAValue, SSAValue, SSAValue]
    """A's address, row stride and k stride."""
    tile_ptr: SSAValue
    row0: SSAValue
    rows: SSAValue

    def call(
        self,
        panel: SSAValue,
        b_ptr: SSAValue,
        b_stride: SSAValue,
        cols: SSAValue,
        width: int,
    ) -> None:
        """The `width`-column tile over B panel `panel` (cols <= width) at
        `b_ptr`, whose rows are `b_stride` apart."""
        block, mm = self.block, self.block.mm
        e = block.kb.emitter
        col = e.mul(panel, e.index(NR))
        batch = [loop.var for loop in block.batch]
        c_index = [*batch, self.row0, e.add(block.col0, col)]
        c_ptr = e.emit(tir.AccessPtrOp(mm.out.value, c_index))
        operands = [*self.a, b_ptr, b_stride, c_ptr, mm.n, self.depth.kc]
        operands += [self.rows, cols, self.depth.accumulate, self.tile_ptr]
        e.builder.insert(cpu.GemmMicrokernelOp(operands, self.mr, width))


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
