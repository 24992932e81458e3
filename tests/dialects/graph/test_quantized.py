"""graph.quant_matmul / graph.quant_take infer their result types and reject
weights whose parts do not fit the panel layout, naming the op and the rule."""

import pytest
from xdsl.dialects.builtin import f16, f32, i8, i32, i64
from xdsl.ir import Attribute, SSAValue
from xdsl.utils.exceptions import VerifyException
from xdsl.utils.test_value import create_ssa_value

from xunity.dialects.graph.quantized import QuantMatmulOp, QuantTakeOp
from xunity.dialects.graph.types import TensorType
from xunity.ir.symbolic import Dim, SymExpr


def tensor(shape: list[Dim], element_type: Attribute = f32) -> SSAValue:
    return create_ssa_value(TensorType(shape, element_type))


def q4_1_parts(panels: Dim = 3, blocks: Dim = 2) -> tuple[SSAValue, SSAValue, SSAValue]:
    """codes, scales, mins of a q4_1 weight of up to panels * 48 rows."""
    return (
        tensor([panels, blocks, 16, 48], i8),
        tensor([panels, blocks, 48], f16),
        tensor([panels, blocks, 48], f16),
    )


def test_quant_matmul_infers_rows_and_keeps_batch_dims() -> None:
    op = QuantMatmulOp(tensor(["b", "n", 64]), *q4_1_parts(), format="q4_1", rows=100)
    assert op.result.type == TensorType(["b", "n", 100], f32)
    op.verify()


def test_quant_matmul_q8_0_symbolic_blocks() -> None:
    codes, scales = tensor([1, "kb", 32, 48], i8), tensor([1, "kb", 48], f16)
    op = QuantMatmulOp(
        tensor(["n", SymExpr.of("kb") * 32]),
        codes,
        scales,
        None,
        format="q8_0",
        rows=48,
    )
    assert op.result.type == TensorType(["n", 48], f32)


def test_quant_take_gathers_rows() -> None:
    parts = q4_1_parts()
    op = QuantTakeOp(tensor(["s", 2], i32), *parts, format="q4_1", rows=144)
    assert op.result.type == TensorType(["s", 2, 64], f32)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: QuantMatmulOp(tensor(["n", 64]), *q4_1_parts(), "q5_0", 100),
            "format must be one of q8_0, q4_0, q4_1, got 'q5_0'",
        ),
        (
            lambda: QuantMatmulOp(
                tensor(["n", 64]), *q4_1_parts()[:2], None, "q4_1", 100
            ),
            "format q4_1 needs mins",
        ),
        (
            lambda: QuantMatmulOp(tensor(["n", 64]), *q4_1_parts(), "q4_0", 100),
            "format q4_0 takes no mins",
        ),
        (
            lambda: QuantMatmulOp(tensor(["n", 40]), *q4_1_parts(), "q4_1", 100),
            r"lhs depth 40 differs from the weight's 64 \(32-element blocks\)",
        ),
        (
            lambda: QuantMatmulOp(tensor(["n", 64]), *q4_1_parts(2), "q4_1", 100),
            r"codes of 100 q4_1 rows must be \[3, blocks, 16, 48\], got \[2, 2, 16, 48\]",
        ),
        (
            lambda: QuantMatmulOp(
                tensor(["n", 64]),
                tensor([3, 2, 16, 48], i8),
                tensor([3, 2, 48], f16),
                tensor([3, 1, 48], f16),
                "q4_1",
                100,
            ),
            r"mins must be \[3, 2, 48\] like the codes' blocks, got \[3, 1, 48\]",
        ),
        (
            lambda: QuantMatmulOp(
                tensor(["n", 64]),
                tensor([3, 2, 16, 48], i8),
                tensor([3, 2, 48], f32),
                None,
                "q4_0",
                100,
            ),
            "scales must be f16, got f32",
        ),
        (
            lambda: QuantMatmulOp(tensor(["n", 64], f16), *q4_1_parts(), "q4_1", 100),
            "lhs must be f32 of rank >= 2, got f16 of rank 2",
        ),
        (
            lambda: QuantMatmulOp(tensor(["n", 64]), *q4_1_parts(), "q4_1", 0),
            "rows must be >= 1, got 0",
        ),
    ],
)
def test_quant_matmul_rejects(build, message: str) -> None:
    with pytest.raises(VerifyException, match=rf"^graph.quant_matmul: {message}"):
        build()


def test_quant_take_rejects_float_indices() -> None:
    with pytest.raises(
        VerifyException,
        match=r"^graph.quant_take: indices must hold i32 or i64, got f32",
    ):
        QuantTakeOp(tensor(["s"]), *q4_1_parts(), format="q4_1", rows=144)


def test_quant_take_accepts_i64_indices() -> None:
    op = QuantTakeOp(tensor(["s"], i64), *q4_1_parts(), format="q4_1", rows=144)
    assert op.result.type == TensorType(["s", 64], f32)
