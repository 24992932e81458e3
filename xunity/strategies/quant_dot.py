"""The q4 GEMV on int16 activations: `cpu.quant_dot_microkernel` per panel.

Decoding a q4 code to f32 (mask or shift, widen, convert) costs as much as
the FMA it feeds, so the f32 GEMV runs at the cores' vector throughput, not
at the memory's (docs/strategies.md).  Here each call first quantises its
activations per 32-element block to int16 (`quantize_activations`: scale
max|x| / 32767, rounded to nearest, by `cpu.quantize_pairs_microkernel`:
it runs serially before the parallel loop, so it is written with vectors),
so that a code byte's two nibbles and
one 32-bit pair of activations make one lane of an integer pair product
(`vpdpwssd` with AVX512-VNNI, `vpmaddwd` without): a mask, a shift, an or
and one product per 32 weights of 16 rows, against two widenings, two
conversions and two FMAs.  The block's f16 scales then scale the i32 sums
in f32, and q4's offsets and mins multiply the f32 sum of the block's
activations as before.

Accuracy: an activation moves by at most 1/65534 of its block's largest
magnitude, about 3e-5 relative to a row's result at most (the tests use
1e-4 of max |out|); activations quantised to int8 (llama.cpp's Q8_1) move
by 1/254, which changes greedy continuations.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from xdsl.dialects import arith
from xdsl.dialects.builtin import MemRefType, f32, i32
from xdsl.ir import SSAValue

from xunity.dialects import cpu, tir
from xunity.dialects.graph.quantized import BLOCK, PANEL_ROWS
from xunity.ir.symbolic import SymExpr
from xunity.legalize.kernel_builder import Buffer, KernelBuilder, block_over, loop_over
from xunity.legalize.quantized import HALF, QuantWeight


def build_q4_gemv(
    kb: KernelBuilder, x: Buffer, weight: QuantWeight, out: Buffer, tasks: int
) -> None:
    """out[.., i, n] = sum_k x[.., i, k] W[n, k] for a q4 W, `tasks` parallel
    tasks over runs of panels; each panel's 48 sums go through a tile, from
    which a block copies the panel's rows (the final block kernel fusion
    extends)."""
    x_sums = block_sums(kb, x, weight)
    pairs, x_scales, x_offsets = quantize_activations(kb, x, weight, x_sums)
    panels, blocks = kb.dim(weight.panels), kb.dim(weight.blocks)
    rows = x.shape[:-1]
    with panel_tasks(kb, panels, tasks) as (first, count):
        e = kb.emitter
        tile = e.emit(tir.AllocBufferOp(MemRefType(f32, [PANEL_ROWS])))
        tile_buffer = Buffer(tile, (SymExpr.of(PANEL_ROWS),), f32)
        with loop_over(kb, count) as q, kb.loops(rows) as row_vars:
            e = kb.emitter
            p = e.add(first, q)
            zero = kb.zero
            mins_and_sums = None
            if weight.mins is not None:
                mins_and_sums = (
                    _pointer(kb, weight.mins, [p, zero, zero]),
                    _pointer(kb, x_sums, [*row_vars, zero]),
                )
            e.builder.insert(
                cpu.QuantDotMicrokernelOp(
                    _pointer(kb, weight.codes, [p, zero, zero, zero]),
                    _pointer(kb, weight.scales, [p, zero, zero]),
                    _pointer(kb, pairs, [*row_vars, zero, zero]),
                    _pointer(kb, x_scales, [*row_vars, zero]),
                    _pointer(kb, x_offsets, [*row_vars, zero]),
                    _pointer(kb, tile_buffer, [zero]),
                    blocks,
                    weight.fmt.name,
                    mins_and_sums,
                )
            )
            row0 = e.mul(p, e.index(PANEL_ROWS))
            width = e.minimum(e.index(PANEL_ROWS), e.sub(kb.dim(weight.rows), row0))
            spatial = [(v, kb.dim(d)) for v, d in zip(row_vars, rows, strict=True)]
            with (
                loop_over(kb, width) as c,
                block_over(
                    kb,
                    "quant_dot_out",
                    [*spatial, (p, panels), (c, width)],
                    [tile_buffer],
                    [out],
                ) as ivs,
            ):
                e = kb.emitter
                *row, vp, vc = ivs
                n = [*row, e.add(e.mul(vp, e.index(PANEL_ROWS)), vc)]
                e.store(e.load(tile_buffer, [vc]), out, n)


@contextmanager
def panel_tasks(
    kb: KernelBuilder, panels: SSAValue, tasks: int
) -> Iterator[tuple[SSAValue, SSAValue]]:
    """A parallel loop over min(tasks, panels) tasks, each a contiguous run
    of panels; yields the task's first panel and its panel count."""
    e = kb.emitter
    task_count = e.minimum(e.index(tasks), panels)
    per_task = e.emit(arith.CeilDivUIOp(panels, e.maximum(task_count, kb.dim(1))))
    with loop_over(kb, task_count, parallel=True) as t:
        e = kb.emitter
        first = e.mul(t, per_task)
        yield first, e.maximum(e.minimum(per_task, e.sub(panels, first)), kb.zero)


def _pointer(kb: KernelBuilder, buffer: Buffer, indices: list[SSAValue]) -> SSAValue:
    return kb.emitter.emit(tir.AccessPtrOp(buffer.value, indices))


def quantize_activations(
    kb: KernelBuilder, x: Buffer, weight: QuantWeight, x_sums: Buffer
) -> tuple[Buffer, Buffer, Buffer]:
    """(pairs, scales, offsets) of each row's blocks of x.

    pairs[.., i, b, j] holds x16 = round(x[.., i, b * 32 + j + 16 h] /
    scales[.., i, b]) as int16 in its low (h = 0) and high (h = 1) halves
    (j < 16); scales = max |x| / 32767 over the block (0 for an all-zero
    block, whose pairs are then 0).  offsets = 8 (scales sum(x16) -
    x_sums) for q4_1, 8 scales sum(x16) for q4_0: the kernel then computes
    d (scales sum(q x16) - offsets) = d sum((q - 8) x) (+ m sum(x)) with x
    rounded only where it multiplies the centred code q - 8, which halves
    the rounding's effect against multiplying q itself.  One
    `cpu.quantize_pairs_microkernel` per row does it with vectors."""
    lead = x.shape[:-1]
    blocks = weight.blocks
    scales = kb.local((*lead, blocks), f32)
    offsets = kb.local((*lead, blocks), f32)
    pairs = kb.local((*lead, blocks, SymExpr.of(HALF)), i32)
    with kb.loops(lead) as row:
        zero = kb.zero
        kb.emitter.builder.insert(
            cpu.QuantizePairsMicrokernelOp(
                _pointer(kb, x, [*row, zero]),
                _pointer(kb, x_sums, [*row, zero]),
                _pointer(kb, pairs, [*row, zero, zero]),
                _pointer(kb, scales, [*row, zero]),
                _pointer(kb, offsets, [*row, zero]),
                kb.dim(blocks),
                weight.fmt.name,
            )
        )
    return pairs, scales, offsets


def block_sums(kb: KernelBuilder, x: Buffer, weight: QuantWeight) -> Buffer:
    """xsum[.., i, b] = sum of x[.., i, b * 32 : (b + 1) * 32] (q4's offsets
    and mins multiply it), once per call, allocated here (a guarded GEMV
    allocates it only when it runs)."""
    shape = (*x.shape[:-1], weight.blocks)
    xsum = kb.local(shape, f32)
    block = kb.dim(BLOCK)
    with kb.loops(shape) as loops:
        spatial = [(v, kb.dim(d)) for v, d in zip(loops, shape, strict=True)]
        with block_over(kb, "quant_xsum_init", spatial, [], [xsum]) as ivs:
            kb.emitter.store(kb.emitter.constant(0, f32), xsum, ivs)
        with (
            loop_over(kb, block) as j,
            block_over(
                kb, "quant_xsum", spatial, [x], [xsum], reduce=[(j, block)]
            ) as ivs,
        ):
            e = kb.emitter
            *row, b, vj = ivs
            k = e.add(e.mul(b, e.index(BLOCK)), vj)
            e.store(
                e.add(e.load(xsum, [*row, b]), e.load(x, [*row, k])), xsum, [*row, b]
            )
    return xsum
