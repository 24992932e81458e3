"""Python builders of the linalg, reduction, normalization and attention ops
infer their result types, symbolic dims included, and reject bad shapes."""

import pytest
from xdsl.dialects.builtin import Float16Type, Float32Type, IntegerType, i64
from xdsl.ir import Attribute, SSAValue
from xdsl.utils.exceptions import VerifyException
from xdsl.utils.test_value import create_ssa_value

from xunity.dialects.graph.attention import AttentionOp, RotaryOp
from xunity.dialects.graph.linalg import MatmulOp
from xunity.dialects.graph.normalization import LayerNormOp, RMSNormOp, SoftmaxOp
from xunity.dialects.graph.reduction import ArgmaxOp, MaxOp, MeanOp, MinOp, SumOp
from xunity.dialects.graph.types import TensorType
from xunity.ir.symbolic import Dim, SymExpr

f32 = Float32Type()
f16 = Float16Type()


def tensor(shape: list[Dim], element_type: Attribute = f32) -> SSAValue:
    return create_ssa_value(TensorType(shape, element_type))


def result_type(op: object) -> TensorType:
    result = op.result  # type: ignore[attr-defined]
    assert isinstance(result.type, TensorType)
    return result.type


# ------------------------------------------------------------------ matmul
def test_matmul_symbolic_infers_n_by_m() -> None:
    op = MatmulOp(tensor(["n", "k"]), tensor(["k", "m"]))
    assert result_type(op) == TensorType(["n", "m"], f32)
    op.verify()


def test_matmul_broadcasts_batch_dims() -> None:
    op = MatmulOp(tensor(["b", 1, "n", "k"], f16), tensor(["h", "k", "m"], f16))
    assert result_type(op) == TensorType(["b", "h", "n", "m"], f16)


def test_matmul_promotes_vectors() -> None:
    assert result_type(MatmulOp(tensor(["k"]), tensor(["b", "k", 7]))).shape == (
        SymExpr.of("b"),
        SymExpr.of(7),
    )
    assert result_type(MatmulOp(tensor(["k"]), tensor(["k"]))).shape == ()


def test_matmul_contraction_mismatch_raises() -> None:
    with pytest.raises(VerifyException, match=r"graph.matmul: .*cannot prove k == j"):
        MatmulOp(tensor(["n", "k"]), tensor(["j", "m"]))


def test_matmul_mixed_element_types_raise() -> None:
    with pytest.raises(VerifyException, match=r"graph.matmul: operand element types"):
        MatmulOp(tensor([2, 3]), tensor([3, 4], f16))


# ------------------------------------------------------------------ reductions
def test_sum_over_symbolic_axis() -> None:
    op = SumOp(tensor(["b", "n", 64]), axes=[1])
    assert result_type(op) == TensorType(["b", 64], f32)
    op.verify()


def test_mean_keepdims_negative_axis() -> None:
    op = MeanOp(tensor(["b", "n", 64]), axes=[-1], keepdims=True)
    assert result_type(op) == TensorType(["b", "n", 1], f32)
    assert op.keepdims is not None


def test_max_min_without_axes_reduce_everything() -> None:
    assert result_type(MaxOp(tensor(["n", "m"]))) == TensorType([], f32)
    assert result_type(MinOp(tensor(["n", "m"]), keepdims=True)) == TensorType(
        [1, 1], f32
    )


def test_argmax_returns_i64() -> None:
    op = ArgmaxOp(tensor(["n", 32000], f16), axis=-1)
    assert result_type(op) == TensorType(["n"], i64)
    op.verify()


def test_reduction_axis_out_of_range_raises() -> None:
    with pytest.raises(VerifyException, match=r"graph.sum: axis 2 is out of range"):
        SumOp(tensor(["n", 4]), axes=[2])
    with pytest.raises(VerifyException, match=r"graph.argmax: axis -3 is out of range"):
        ArgmaxOp(tensor(["n", 4]), axis=-3)


def test_mean_of_integers_raises() -> None:
    with pytest.raises(VerifyException, match=r"graph.mean: expects a floating-point"):
        MeanOp(tensor(["n"], IntegerType(32)))


# ------------------------------------------------------------------ normalization
def test_softmax_keeps_type() -> None:
    op = SoftmaxOp(tensor(["n", 64]))
    assert result_type(op) == TensorType(["n", 64], f32)
    op.verify()


def test_softmax_bad_axis_raises() -> None:
    with pytest.raises(VerifyException, match=r"graph.softmax: axis 2 is out of range"):
        SoftmaxOp(tensor(["n", 64]), axis=2)


def test_layer_norm_over_two_trailing_symbolic_axes() -> None:
    gamma = tensor(["n", "d"])
    op = LayerNormOp(tensor(["b", "n", "d"]), gamma, gamma, axes=[1, 2])
    assert result_type(op) == TensorType(["b", "n", "d"], f32)
    op.verify()


def test_layer_norm_non_trailing_axes_raise() -> None:
    gamma = tensor(["n"])
    with pytest.raises(VerifyException, match=r"graph.layer_norm: axes .* trailing"):
        LayerNormOp(tensor(["n", 8]), gamma, gamma, axes=[0])


def test_rms_norm_weight_shape_mismatch_raises() -> None:
    with pytest.raises(VerifyException, match=r"graph.rms_norm: weight dim 0"):
        RMSNormOp(tensor(["n", 4096]), tensor([4095]))


# ------------------------------------------------------------------ attention
def test_attention_grouped_query_with_mask() -> None:
    query = tensor(["b", "n", 32, 128], f16)
    key = tensor(["b", "m", 8, 128], f16)
    value = tensor(["b", "m", 8, 96], f16)
    mask = tensor(["n", "m"], IntegerType(1))
    op = AttentionOp(query, key, value, mask=mask, causal=True, scale=0.125)
    assert result_type(op) == TensorType(["b", "n", 32, 96], f16)
    assert op.mask is not None and op.causal is not None
    op.verify()


def test_attention_symbolic_group_ratio() -> None:
    heads = SymExpr.of("h") * 4
    kv = tensor(["b", "m", "h", 64])
    op = AttentionOp(tensor(["b", "n", heads, 64]), kv, kv)
    assert result_type(op).shape[2] == heads
    assert op.mask is None


def test_attention_heads_not_multiple_raise() -> None:
    kv = tensor(["b", "m", 8, 64])
    with pytest.raises(VerifyException, match=r"graph.attention: heads 12 is not"):
        AttentionOp(tensor(["b", "n", 12, 64]), kv, kv)


def test_attention_mask_not_broadcastable_raises() -> None:
    kv = tensor(["b", "m", 8, 64])
    with pytest.raises(VerifyException, match=r"graph.attention: mask dim 1 \(n\)"):
        AttentionOp(tensor(["b", "n", 8, 64]), kv, kv, mask=tensor(["n", "n"]))


def test_rotary_keeps_type() -> None:
    table = tensor(["n", 128])
    op = RotaryOp(tensor(["b", "n", 32, 128]), table, table)
    assert result_type(op) == TensorType(["b", "n", 32, 128], f32)
    op.verify()


def test_rotary_odd_head_dim_raises() -> None:
    table = tensor(["n", 63])
    with pytest.raises(VerifyException, match=r"graph.rotary: head_dim 63 is not even"):
        RotaryOp(tensor(["b", "n", 8, 63]), table, table)
