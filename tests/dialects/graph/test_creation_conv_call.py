"""Python builders of the creation, conv and call graph ops."""

from __future__ import annotations

import numpy as np
import pytest
from xdsl.dialects.builtin import Float32Type, MemRefType, ModuleOp, f16, f32, i32, i64
from xdsl.dialects.func import FuncOp, ReturnOp
from xdsl.ir import Attribute, Block, BlockArgument, Region
from xdsl.parser import Parser
from xdsl.utils.exceptions import VerifyException

from xunity.dialects.context import make_context
from xunity.dialects.graph.call import CallPackedOp, CallTirOp
from xunity.dialects.graph.conv import AvgPool2dOp, Conv2dOp, MaxPool2dOp
from xunity.dialects.graph.creation import (
    ArangeOp,
    ConstantOp,
    FullOp,
    TrilOp,
    TriuOp,
    WeightOp,
)
from xunity.dialects.graph.types import TensorType
from xunity.ir.diagnostics import parse_module
from xunity.ir.symbolic import SymExpr


def values(*types: Attribute) -> tuple[BlockArgument, ...]:
    return Block(arg_types=types).args


def reparse_type(attr: Attribute) -> Attribute:
    return Parser(make_context(), str(attr)).parse_attribute()


def window(size: str, pad: int, kernel: int, stride: int) -> SymExpr:
    return (SymExpr.of(size) + 2 * pad - kernel).floordiv(stride) + 1


# ------------------------------------------------------------------ constant
@pytest.mark.parametrize(
    "array",
    [
        np.array([[1.5, -2.0, 0.1]], dtype=np.float32),
        np.array([0.1, 65504.0], dtype=np.float16),
        np.arange(6, dtype=np.int64).reshape(2, 3) - 3,
        np.array([-(2**31), 2**31 - 1], dtype=np.int32),
        np.array([[-128], [127]], dtype=np.int8),
        np.array([True, False, True]),
        np.array(5, dtype=np.int32),
        np.zeros((0, 3), dtype=np.float32),
        np.array([1.0, -np.inf, np.nan], dtype=np.float32),
        np.random.default_rng(0).standard_normal((16, 16)).astype(np.float32),
    ],
    ids=[
        "f32",
        "f16",
        "i64",
        "i32",
        "i8",
        "bool",
        "scalar",
        "empty",
        "nonfinite",
        "big",
    ],
)
def test_constant_from_numpy_round_trips_values(array: np.ndarray) -> None:
    op = ConstantOp.from_numpy(array)
    op.verify()
    assert op.result.type == TensorType(array.shape, op.value.get_element_type())
    np.testing.assert_array_equal(op.to_numpy(), array)

    module = parse_module(make_context(), str(ModuleOp([op])))
    parsed = next(iter(module.ops))
    assert isinstance(parsed, ConstantOp)
    assert parsed.value == op.value
    got = parsed.to_numpy()
    assert got.dtype == array.dtype
    np.testing.assert_array_equal(got, array)


def test_constant_from_numpy_rejects_float64() -> None:
    with pytest.raises(
        VerifyException, match=r"graph\.constant: unsupported numpy dtype"
    ):
        ConstantOp.from_numpy(np.zeros(3))


# ------------------------------------------------------------- weight, full, arange
def test_weight_declares_its_type() -> None:
    op = WeightOp("layers.0.wq", TensorType([4096, 4096], f32))
    op.verify()
    assert op.weight_name.data == "layers.0.wq"


def test_weight_with_symbolic_dims_fails_verification() -> None:
    op = WeightOp("w", TensorType(["n", 4], f32))
    with pytest.raises(VerifyException, match=r"graph\.weight: weight dims \[n, 4\]"):
        op.verify()


def test_full_picks_the_fill_kind_from_the_dtype() -> None:
    floats = FullOp(0, TensorType(["n", 4], f32))
    ints = FullOp(3.0, TensorType(["n"], i32))
    floats.verify()
    ints.verify()
    assert floats.value.value.data == 0.0
    assert ints.value.value.data == 3


def test_full_rejects_fractional_integer_fill() -> None:
    with pytest.raises(VerifyException, match=r"graph\.full: fill value 1\.5"):
        FullOp(1.5, TensorType([2], i64))


@pytest.mark.parametrize(
    ("start", "end", "step", "length"),
    [(0, 10, 1, 10), (0, 10, 3, 4), (10, 0, -2, 5), (5, 5, 1, 0), (0, 10, -1, 0)],
)
def test_arange_length_is_ceildiv(start: int, end: int, step: int, length: int) -> None:
    op = ArangeOp(start, end, step, element_type=Float32Type())
    op.verify()
    assert op.result.type == TensorType([length], f32)
    assert length == len(np.arange(start, end, step))


def test_arange_zero_step_raises() -> None:
    with pytest.raises(VerifyException, match=r"graph\.arange: arange step must be"):
        ArangeOp(0, 4, 0)


def test_triangular_keeps_the_type() -> None:
    (x,) = values(TensorType(["b", "n", "n"], f32))
    op = TriuOp(x, k=1)
    op.verify()
    assert op.result.type == x.type
    assert op.k.value.data == 1
    TrilOp(x).verify()


def test_triangular_needs_rank_two() -> None:
    (x,) = values(TensorType(["n"], f32))
    with pytest.raises(VerifyException, match=r"graph\.tril: expects rank >= 2"):
        TrilOp(x)


# ------------------------------------------------------------------ conv, pooling
def test_conv2d_symbolic_stride_two() -> None:
    x, w, b = values(
        TensorType([1, 3, "h", "w"], f32),
        TensorType([16, 3, 3, 3], f32),
        TensorType([16], f32),
    )
    op = Conv2dOp(x, w, b, strides=(2, 2), padding=(1, 1, 1, 1))
    op.verify()
    expected = TensorType([1, 16, window("h", 1, 3, 2), window("w", 1, 3, 2)], f32)
    assert op.result.type == expected
    assert str(op.result.type.shape[2]) == "((h - 1) floordiv 2) + 1"
    assert reparse_type(op.result.type) == expected


def test_conv2d_depthwise_dilated_keeps_size() -> None:
    x, w = values(TensorType(["n", 32, "h", 56], f16), TensorType([32, 1, 3, 3], f16))
    op = Conv2dOp(x, w, padding=(2, 2, 2, 2), dilation=(2, 2), groups=32)
    assert op.result.type == TensorType(["n", 32, "h", 56], f16)


def test_conv2d_channel_mismatch_raises() -> None:
    x, w = values(TensorType([1, 4, 8, 8], f32), TensorType([16, 3, 3, 3], f32))
    with pytest.raises(VerifyException, match=r"graph\.conv2d: conv2d input channels"):
        Conv2dOp(x, w)


def test_conv2d_groups_must_divide_output_channels() -> None:
    x, w = values(TensorType([1, 6, 8, 8], f32), TensorType([10, 2, 3, 3], f32))
    with pytest.raises(
        VerifyException, match=r"graph\.conv2d: .* not divisible by groups 3"
    ):
        Conv2dOp(x, w, groups=3)


def test_max_pool_strides_default_to_kernel() -> None:
    (x,) = values(TensorType(["n", 64, "h", "w"], f32))
    op = MaxPool2dOp(x, (2, 2))
    op.verify()
    assert op.strides.get_values() == (2, 2)
    expected = TensorType(["n", 64, window("h", 0, 2, 2), window("w", 0, 2, 2)], f32)
    assert op.result.type == expected
    assert reparse_type(op.result.type) == expected


def test_avg_pool_padded_symbolic() -> None:
    (x,) = values(TensorType([1, 8, "h", 7], f32))
    op = AvgPool2dOp(x, (3, 3), strides=(2, 2), padding=(1, 1, 1, 1))
    op.verify()
    assert op.result.type == TensorType([1, 8, window("h", 1, 3, 2), 4], f32)


def test_avg_pool_rejects_integers() -> None:
    (x,) = values(TensorType([1, 8, 4, 4], i32))
    with pytest.raises(VerifyException, match=r"graph\.avg_pool2d: expects a floating"):
        AvgPool2dOp(x, (2, 2))


def test_pool_window_must_fit() -> None:
    (x,) = values(TensorType([1, 8, 2, 2], f32))
    with pytest.raises(VerifyException, match=r"graph\.max_pool2d: window of extent 3"):
        MaxPool2dOp(x, (3, 3))


# ------------------------------------------------------------------ calls
def module_calling(callee: str, num_args: int, kernel_arity: int) -> ModuleOp:
    """A module with `@kernel` on `kernel_arity` buffers and a graph.call_tir."""
    buffer = MemRefType(f32, [4])
    kernel = FuncOp("kernel", ([buffer] * kernel_arity, []))
    kernel.body.block.add_op(ReturnOp())
    tensor = TensorType([4], f32)
    body = Block(arg_types=[tensor])
    call = CallTirOp(callee, [body.args[0]] * num_args, [tensor])
    body.add_ops([call, ReturnOp()])
    return ModuleOp([kernel, FuncOp("caller", ([tensor], []), Region(body))])


def test_call_tir_resolves_a_destination_passing_kernel() -> None:
    module_calling("kernel", num_args=2, kernel_arity=3).verify()


def test_call_tir_arity_mismatch_raises() -> None:
    module = module_calling("kernel", num_args=1, kernel_arity=3)
    with pytest.raises(
        VerifyException, match=r"graph\.call_tir: callee @kernel takes 3"
    ):
        module.verify()


def test_call_tir_unknown_callee_raises() -> None:
    module = module_calling("missing", num_args=1, kernel_arity=2)
    with pytest.raises(
        VerifyException, match=r"graph\.call_tir: callee @missing not found"
    ):
        module.verify()


def test_call_tir_outside_a_module_skips_resolution() -> None:
    (x,) = values(TensorType([4], f32))
    CallTirOp("kernel", [x], [TensorType([4], f32)]).verify()


def test_call_packed_builds_by_name() -> None:
    a, b = values(TensorType(["n", 8], f32), TensorType(["n", 8], f32))
    op = CallPackedOp("xunity.kv_append", [a, b], [TensorType(["m", 8], f32)])
    op.verify()
    assert op.callee.data == "xunity.kv_append"
    assert [r.type for r in op.results] == [TensorType(["m", 8], f32)]
