"""What the matmul strategies share: operand views, loop pairs, index math.

`Matmul` reads one kernel's lhs, rhs and out with numpy's batch
broadcasting; `Loop` is a loop variable with the extent a block binds it to.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from xdsl.dialects import arith
from xdsl.dialects.builtin import f32
from xdsl.ir import SSAValue

from xunity.legalize.kernel_builder import Buffer, Emitter, KernelBuilder


def is_f32_matrix_product(lhs: Buffer, rhs: Buffer) -> bool:
    """f32 matrices, batched or not: what the GEMM and GEMV kernels take."""
    f32_operands = lhs.element_type == f32 and rhs.element_type == f32
    return f32_operands and lhs.rank >= 2 and rhs.rank >= 2


def static_rows(lhs: Buffer) -> int | None:
    """The lhs row count when it is a constant."""
    return lhs.shape[-2].constant_value()


@dataclass(frozen=True)
class Loop:
    """A loop variable with its extent, as a block binds it."""

    var: SSAValue
    extent: SSAValue

    @property
    def pair(self) -> tuple[SSAValue, SSAValue]:
        return (self.var, self.extent)


class Matmul:
    """One matmul's buffers, its dims as index values and numpy batch broadcasting.

    The lhs is the kernel's first input; the rhs its second, B as a matrix
    (or its prepacked panels), unless `matrix_rhs` is false: a quantised
    weight, whose B only the GEMM's panel packer reads (`rhs` is None)."""

    def __init__(self, kb: KernelBuilder, matrix_rhs: bool = True):
        self.kb = kb
        self.lhs, (self.out,) = kb.inputs[0], kb.outputs
        self.rhs = kb.inputs[1] if matrix_rhs else None
        self.batch_shape = list(self.out.shape[:-2])
        self.m = kb.dim(self.lhs.shape[-2])
        self.k = kb.dim(self.lhs.shape[-1])
        self.n = kb.dim(self.out.shape[-1])
        self._lhs_batch = dataclasses.replace(self.lhs, shape=self.lhs.shape[:-2])

    @property
    def matrix(self) -> Buffer:
        """The rhs matrix (plain and prepacked matmuls)."""
        assert self.rhs is not None, "a quantised weight has no rhs matrix"
        return self.rhs

    def batch_loops(self, variables: Sequence[SSAValue]) -> list[Loop]:
        extents = [self.kb.dim(d) for d in self.batch_shape]
        return [Loop(v, x) for v, x in zip(variables, extents, strict=True)]

    def lhs_at(self, batch: Sequence[SSAValue], i: SSAValue, k: SSAValue):
        return [*self._lhs_batch.broadcast_indices(batch, self.kb.zero), i, k]

    def rhs_at(self, batch: Sequence[SSAValue], k: SSAValue, j: SSAValue):
        rhs_batch = dataclasses.replace(self.matrix, shape=self.matrix.shape[:-2])
        return [*rhs_batch.broadcast_indices(batch, self.kb.zero), k, j]


def ceildiv(e: Emitter, value: SSAValue, divisor: int) -> SSAValue:
    return e.emit(arith.CeilDivUIOp(value, e.index(divisor)))
