"""Python builders of the manipulation ops infer symbolic result types."""

from collections.abc import Sequence

import pytest
from xdsl.dialects import test
from xdsl.dialects.builtin import Float32Type, IntegerType
from xdsl.ir import Attribute, SSAValue
from xdsl.utils.exceptions import VerifyException

from xunity.dialects.graph.manipulation import (
    BroadcastToOp,
    ConcatOp,
    ExpandDimsOp,
    PermuteDimsOp,
    ReshapeOp,
    SplitOp,
    SqueezeOp,
    StridedSliceOp,
    TakeOp,
)
from xunity.dialects.graph.types import TensorType
from xunity.ir.symbolic import Dim, SymExpr

F32 = Float32Type()
n, m = SymExpr.of("n"), SymExpr.of("m")


def value(shape: Sequence[Dim], element_type: Attribute = F32) -> SSAValue:
    return test.TestOp(result_types=[TensorType(shape, element_type)]).res[0]


def test_reshape_merges_symbolic_heads():
    op = ReshapeOp(value(["n", 12, 64]), ["n", 768])
    assert op.result.type == TensorType([n, 768], F32)
    op.verify()


def test_reshape_flattens_to_a_symbolic_product():
    op = ReshapeOp(value(["n", "m"]), [n * m])
    assert op.result.type == TensorType([n * m], F32)


def test_reshape_counts_that_differ_raise():
    with pytest.raises(VerifyException, match=r"graph.reshape: .* 12 and 13 differ"):
        ReshapeOp(value(["n", 12]), ["n", 13])


def test_reshape_unprovable_counts_raise():
    with pytest.raises(VerifyException, match=r"graph.reshape: .*not provably equal"):
        ReshapeOp(value(["n", 4]), ["m", 4])


def test_permute_dims_moves_symbolic_dims():
    op = PermuteDimsOp(value(["b", "n", 12, 64]), [0, 2, 1, -1])
    assert op.result.type == TensorType(["b", 12, n, 64], F32)


def test_permute_dims_defaults_to_reversal():
    op = PermuteDimsOp(value(["n", 4]))
    assert op.result.type == TensorType([4, n], F32)


def test_permute_dims_rejects_a_non_permutation():
    with pytest.raises(VerifyException, match=r"graph.permute_dims: .*permutation"):
        PermuteDimsOp(value(["n", 4, 8]), [1, 0])


def test_concat_sums_shape_variables():
    op = ConcatOp([value(["n", 4]), value([1, 4]), value(["m", 4])], axis=0)
    assert op.result.type == TensorType([n + m + 1, 4], F32)
    op.verify()


def test_concat_rejects_mismatched_other_dims():
    with pytest.raises(VerifyException, match=r"graph.concat: .*cannot prove n == m"):
        ConcatOp([value(["n", 4]), value(["m", 4])], axis=1)


def test_split_sections_of_a_symbolic_dim():
    op = SplitOp(value([2 * n, 2304]), 3, axis=1)
    assert [r.type for r in op.results] == [TensorType([2 * n, 768], F32)] * 3
    op = SplitOp(value([2 * n, 4]), 2, axis=0)
    assert [r.type for r in op.results] == [TensorType([n, 4], F32)] * 2
    op.verify()


def test_split_indices_give_symbolic_tail():
    op = SplitOp(value(["n", 10]), [2, 5], axis=-1)
    assert [r.type for r in op.results] == [
        TensorType([n, 2], F32),
        TensorType([n, 3], F32),
        TensorType([n, 5], F32),
    ]
    op = SplitOp(value(["n"]), [3])
    assert [r.type for r in op.results] == [
        TensorType([3], F32),
        TensorType([n - 3], F32),
    ]


def test_split_sections_must_divide():
    with pytest.raises(VerifyException, match=r"graph.split: .*not divisible"):
        SplitOp(value([10]), 3)
    with pytest.raises(VerifyException, match=r"graph.split: .*not provably divisible"):
        SplitOp(value(["n"]), 2)


def test_split_indices_must_not_decrease():
    with pytest.raises(VerifyException, match=r"graph.split: .*non-decreasing"):
        SplitOp(value([10]), [5, 2])


def test_strided_slice_kv_cache_prefix():
    op = StridedSliceOp(value(["m", 12, 64]), axes=[0], begin=[0], end=["n"])
    assert op.result.type == TensorType([n, 12, 64], F32)
    op.verify()


def test_strided_slice_uses_ceildiv_of_the_span():
    op = StridedSliceOp(value([10, "m"]), [0, 1], [1, 0], [10, "m"], [4, 2])
    assert op.result.type == TensorType([3, m.ceildiv(2)], F32)


def test_strided_slice_rejects_end_beyond_dim():
    with pytest.raises(VerifyException, match=r"strided_slice: .*exceeds the dim"):
        StridedSliceOp(value(["n"]), [0], [0], [n + 1])


def test_strided_slice_rejects_non_positive_stride():
    with pytest.raises(VerifyException, match=r"graph.strided_slice: .*positive"):
        StridedSliceOp(value(["n"]), [0], [0], ["n"], [0])


def test_take_embedding_lookup():
    ids = value(["b", "n"], IntegerType(64))
    op = TakeOp(value([50257, 768]), ids, axis=0)
    assert op.result.type == TensorType(["b", n, 768], F32)
    op.verify()


def test_take_rejects_float_indices():
    with pytest.raises(VerifyException, match=r"graph.take: indices must hold"):
        TakeOp(value([100, 8]), value(["n"]))


def test_broadcast_to_symbolic_target():
    op = BroadcastToOp(value([1, 4]), ["b", "n", 4])
    assert op.result.type == TensorType(["b", n, 4], F32)


def test_broadcast_to_rejects_incompatible_target():
    with pytest.raises(VerifyException, match=r"graph.broadcast_to: "):
        BroadcastToOp(value(["n", 4]), ["m", 4])


def test_expand_dims_and_squeeze_round_trip():
    expanded = ExpandDimsOp(value(["n", 4]), [0, -1])
    assert expanded.result.type == TensorType([1, n, 4, 1], F32)
    squeezed = SqueezeOp(expanded.result, [0, 3])
    assert squeezed.result.type == TensorType([n, 4], F32)


def test_squeeze_rejects_a_symbolic_dim():
    with pytest.raises(VerifyException, match=r"graph.squeeze: .*size n, not 1"):
        SqueezeOp(value(["n", 4]), [0])
