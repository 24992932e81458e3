"""A bounded subset of the onnx package's backend node tests, run through xunity.

The full set (`python -m xunity.frontends.onnx.node_tests`) takes minutes;
CI runs one or two tests per op family that must keep passing, with the
tolerances each test declares.
"""

from __future__ import annotations

import pytest
from onnx.backend.test.case.test_case import TestCase

from xunity.frontends.onnx.node_tests import collect, run_case

MUST_PASS = (
    "test_add_bcast",
    "test_argmin_keepdims_random",
    "test_averagepool_2d_pads",
    "test_cast_FLOAT_to_FLOAT16",
    "test_concat_3d_axis_negative_1",
    "test_conv_with_autopad_same",
    "test_gather_negative_indices",
    "test_gelu_tanh_2",
    "test_gemm_all_attributes",
    "test_layer_normalization_4d_axis1",
    "test_logsoftmax_axis_1",
    "test_matmul_4d",
    "test_maxpool_2d_ceil_output_size_reduce_by_one",
    "test_pow_types_float32_int64",
    "test_reduce_max_default_axes_keepdims_random",
    "test_rms_normalization_3d_axis1_epsilon",
    "test_shape_start_1_end_negative_1",
    "test_softmax_axis_1_expanded",
    "test_split_2d_uneven_split_opset18",
    "test_transpose_all_permutations_4",
    "test_tril_one_row_neg",
    "test_where_long_example",
)


@pytest.fixture(scope="module")
def cases() -> dict[str, TestCase]:
    pattern = "^(" + "|".join(MUST_PASS) + ")$"
    return {case.name: case for case in collect(pattern)}


@pytest.mark.parametrize("name", MUST_PASS)
def test_node_test_passes(cases: dict[str, TestCase], name: str) -> None:
    assert name in cases, f"{name} is no longer among the onnx node tests"
    result = run_case(cases[name])
    assert result.status == "pass", f"{result.status}: {result.detail}"
