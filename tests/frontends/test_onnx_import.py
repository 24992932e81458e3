"""ONNX importer: op families against onnxruntime, symbolic dims, opset
variants, the unsupported-op report and malformed files.

Each test model groups one op family (one compile each, to keep the file
fast); outputs are compared with onnxruntime at rtol 1e-5 / atol 1e-5 for
f32 unless a test states otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from xunity.dialects.context import make_context
from xunity.dialects.graph.creation import ConstantOp, WeightOp
from xunity.frontends.onnx import (
    ImportedModel,
    OnnxImportError,
    UnsupportedOpsError,
    import_onnx,
)
from xunity.ir.diagnostics import parse_module

F32 = TensorProto.FLOAT
I64 = TensorProto.INT64


def make_model(
    nodes: Sequence[onnx.NodeProto],
    inputs: Sequence[tuple[str, int, Sequence[int | str]]],
    outputs: Sequence[str],
    initializers: dict[str, np.ndarray] | None = None,
    opset: int = 17,
    typed_outputs: bool = True,
) -> onnx.ModelProto:
    graph = helper.make_graph(
        list(nodes),
        "test",
        [helper.make_tensor_value_info(n, t, s) for n, t, s in inputs],
        [
            helper.make_tensor_value_info(n, TensorProto.UNDEFINED, None)
            for n in outputs
        ],
        [numpy_helper.from_array(v, k) for k, v in (initializers or {}).items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    if not typed_outputs:
        return model
    # onnxruntime wants typed graph outputs: take them from onnx shape inference.
    inferred = onnx.shape_inference.infer_shapes(model).graph
    infos = {v.name: v for v in [*inferred.value_info, *inferred.output]}
    for output in model.graph.output:
        if output.name in infos:
            output.CopyFrom(infos[output.name])
    return model


def reference(model: onnx.ModelProto, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    session = ort.InferenceSession(
        model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return [np.asarray(out) for out in session.run(None, feeds)]


def run(imported: ImportedModel, exe, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    outputs = exe[imported.func_name](*(feeds[n] for n in imported.input_names))
    return list(outputs) if isinstance(outputs, tuple) else [outputs]


def check(
    model: onnx.ModelProto,
    feeds_list: Sequence[dict[str, np.ndarray]],
    rtol: float = 1e-5,
    atol: float = 1e-5,
) -> ImportedModel:
    """Import and compile once, then match onnxruntime on every feed."""
    imported = import_onnx(model)
    exe = imported.compile()
    for feeds in feeds_list:
        want = reference(model, feeds)
        have = run(imported, exe, feeds)
        assert len(have) == len(want)
        for name, h, w in zip(imported.output_names, have, want, strict=True):
            assert h.dtype == w.dtype and h.shape == w.shape, name
            np.testing.assert_allclose(h, w, rtol=rtol, atol=atol, err_msg=name)
    return imported


def randn(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


# ------------------------------------------------------------------ op families
def test_elementwise_ops_match_onnxruntime() -> None:
    unary = ["Relu", "Sigmoid", "Tanh", "Erf", "Exp", "Neg", "Abs", "Sin", "Cos"]
    nodes = [helper.make_node(op, ["a"], [op.lower()]) for op in unary]
    nodes += [
        helper.make_node(op, ["a", "b"], [op.lower()])
        for op in ["Add", "Sub", "Mul", "Div", "Max", "Min"]
    ]
    nodes += [
        helper.make_node("Abs", ["a"], ["abs_a"]),
        helper.make_node("Sqrt", ["abs_a"], ["sqrt"]),
        helper.make_node("Add", ["abs_a", "one"], ["abs_1"]),
        helper.make_node("Log", ["abs_1"], ["log"]),
        helper.make_node("Pow", ["abs_1", "two_i"], ["pow"]),  # int exponent
        helper.make_node("Reciprocal", ["abs_1"], ["reciprocal"]),
        helper.make_node("Gelu", ["a"], ["gelu"]),
        helper.make_node("Gelu", ["a"], ["gelu_tanh"], approximate="tanh"),
        helper.make_node("Less", ["a", "b"], ["less"]),
        helper.make_node("Greater", ["a", "b"], ["greater"]),
        helper.make_node("Equal", ["ai", "bi"], ["equal"]),
        helper.make_node("Where", ["less", "a", "b"], ["where"]),
        helper.make_node("Not", ["less"], ["not"]),
        helper.make_node("And", ["less", "greater"], ["and"]),
        helper.make_node("Or", ["less", "greater"], ["or"]),
        helper.make_node("Clip", ["a", "lo", "hi"], ["clip"]),
        helper.make_node("Clip", ["a", "", "hi"], ["clip_max"]),
        helper.make_node("Cast", ["a"], ["to_int"], to=I64),
        helper.make_node("Cast", ["ai"], ["to_float"], to=F32),
        helper.make_node("Cast", ["a"], ["to_bool"], to=TensorProto.BOOL),
        helper.make_node("Cast", ["less"], ["bool_to_float"], to=F32),
    ]
    outputs = [n.output[0] for n in nodes if n.output[0] != "abs_a"]
    model = make_model(
        nodes,
        [
            ("a", F32, ["n", 4]),
            ("b", F32, [4]),
            ("ai", I64, ["n", 4]),
            ("bi", I64, [4]),
        ],
        outputs,
        {
            "one": np.array(1.0, np.float32),
            "two_i": np.array(2, np.int64),
            "lo": np.array(-0.5, np.float32),
            "hi": np.array(0.75, np.float32),
        },
        opset=20,
    )
    ints = np.random.default_rng(1).integers(-3, 3, (3, 4)).astype(np.int64)
    a = randn(3, 4) * 2
    a[0, 0] = 0.0  # Cast to bool of an exact zero
    feeds = {"a": a, "b": randn(4, seed=2), "ai": ints, "bi": ints[1]}
    check(model, [feeds], rtol=1e-5, atol=2e-6)


def test_matmul_and_gemm_match_onnxruntime() -> None:
    nodes = [
        helper.make_node("MatMul", ["x", "w"], ["batched"]),  # [2, n, 8] x [8, 5]
        helper.make_node("MatMul", ["x", "x_t"], ["bcast"]),  # [2, n, 8] x [1, 8, 3]
        helper.make_node("Gemm", ["m", "g"], ["gemm"], alpha=0.5, beta=2.0, transB=1),
        helper.make_node("Gemm", ["m_t", "g_t"], ["gemm_t"], transA=1),
    ]
    nodes[2].input.append("c")
    model = make_model(
        nodes,
        [("x", F32, [2, "n", 8]), ("m", F32, ["k", 8]), ("m_t", F32, [8, "k"])],
        ["batched", "bcast", "gemm", "gemm_t"],
        {
            "w": randn(8, 5, seed=3),
            "x_t": randn(1, 8, 3, seed=4),
            "g": randn(6, 8, seed=5),
            "g_t": randn(8, 6, seed=6),
            "c": randn(6, seed=7),
        },
    )
    feeds = [
        {"x": randn(2, n, 8, seed=n), "m": randn(k, 8, seed=k), "m_t": randn(8, k)}
        for n, k in ((3, 4), (1, 7))
    ]
    check(model, feeds, rtol=1e-5, atol=1e-5)


def test_cnn_ops_match_onnxruntime_at_two_batch_sizes() -> None:
    nodes = [
        helper.make_node(
            "Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1], strides=[2, 2]
        ),
        helper.make_node(
            "BatchNormalization", ["c1", "s", "bb", "mu", "var"], ["bn"], epsilon=1e-3
        ),
        helper.make_node("Relu", ["bn"], ["r1"]),
        helper.make_node("Conv", ["r1", "w2"], ["c2"], group=2, auto_pad="SAME_UPPER"),
        helper.make_node(
            "MaxPool", ["c2"], ["mp"], kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1
        ),
        helper.make_node(
            "AveragePool", ["c2"], ["ap"], kernel_shape=[2, 2], pads=[1, 1, 0, 0]
        ),
        helper.make_node("GlobalAveragePool", ["mp"], ["gap"]),
        helper.make_node("Flatten", ["gap"], ["flat"]),
        helper.make_node("Gemm", ["flat", "fc", "fcb"], ["logits"], transB=1),
        helper.make_node("Conv", ["seq", "w1d"], ["c1d"], pads=[1, 1]),
        helper.make_node("MaxPool", ["c1d"], ["mp1d"], kernel_shape=[2]),
    ]
    rng = np.random.default_rng(8)
    params = {
        "w1": randn(4, 3, 3, 3, seed=9) / 3,
        "b1": randn(4, seed=10),
        "s": rng.uniform(0.5, 1.5, 4).astype(np.float32),
        "bb": randn(4, seed=11),
        "mu": randn(4, seed=12),
        "var": rng.uniform(0.5, 2.0, 4).astype(np.float32),
        "w2": randn(4, 2, 3, 3, seed=13) / 3,
        "fc": randn(5, 4, seed=14),
        "fcb": randn(5, seed=15),
        "w1d": randn(2, 3, 3, seed=16),
    }
    model = make_model(
        nodes,
        [("x", F32, ["batch", 3, 9, 9]), ("seq", F32, ["batch", 3, 7])],
        ["logits", "ap", "mp1d"],
        params,
    )
    feeds = [
        {"x": randn(n, 3, 9, 9, seed=n), "seq": randn(n, 3, 7, seed=n + 1)}
        for n in (1, 3)
    ]
    check(model, feeds, rtol=1e-4, atol=1e-5)


def _transformer_block() -> onnx.ModelProto:
    """An exported-style attention block: shapes computed with Shape/Gather/Concat."""
    d, heads = 8, 2
    nodes = [
        helper.make_node("Gather", ["embedding", "ids"], ["x"]),  # [b, s, d]
        helper.make_node(
            "LayerNormalization", ["x", "ln_g", "ln_b"], ["h"], epsilon=1e-5
        ),
        helper.make_node("MatMul", ["h", "w_qkv"], ["qkv"]),
        helper.make_node("Split", ["qkv", "split"], ["q", "k", "v"], axis=-1),
        helper.make_node("Shape", ["x"], ["shape"]),
        helper.make_node("Gather", ["shape", "i0"], ["b"]),
        helper.make_node("Gather", ["shape", "i1"], ["s"]),
        helper.make_node("Unsqueeze", ["b", "ax0"], ["b1"]),
        helper.make_node("Unsqueeze", ["s", "ax0"], ["s1"]),
        helper.make_node("Concat", ["b1", "s1", "heads_hd"], ["split_shape"], axis=0),
        *[
            helper.make_node("Reshape", [t, "split_shape"], [f"{t}4"])
            for t in ("q", "k", "v")
        ],
        helper.make_node("Transpose", ["q4"], ["qt"], perm=[0, 2, 1, 3]),
        helper.make_node("Transpose", ["k4"], ["kt"], perm=[0, 2, 3, 1]),
        helper.make_node("Transpose", ["v4"], ["vt"], perm=[0, 2, 1, 3]),
        helper.make_node("MatMul", ["qt", "kt"], ["scores"]),
        helper.make_node("Mul", ["scores", "scale"], ["scaled"]),
        helper.make_node("Softmax", ["scaled"], ["probs"], axis=-1),
        helper.make_node("MatMul", ["probs", "vt"], ["ctx"]),
        helper.make_node("Transpose", ["ctx"], ["ctx_t"], perm=[0, 2, 1, 3]),
        helper.make_node("Concat", ["b1", "s1", "minus1"], ["merge_shape"], axis=0),
        helper.make_node("Reshape", ["ctx_t", "merge_shape"], ["merged"]),
        helper.make_node("Add", ["merged", "x"], ["y"]),
        helper.make_node("ReduceMean", ["y"], ["pooled"], axes=[1], keepdims=0),
        helper.make_node("ReduceSum", ["y", "ax_last"], ["row_sum"], keepdims=1),
        helper.make_node("ReduceMax", ["y"], ["row_max"], axes=[-1], keepdims=0),
        helper.make_node(
            "Slice", ["y", "starts", "ends", "sl_axes", "steps"], ["sliced"]
        ),
        helper.make_node("Squeeze", ["row_sum", "ax_last"], ["squeezed"]),
        helper.make_node(
            "ConstantOfShape",
            ["shape"],
            ["ones"],
            value=helper.make_tensor("v", F32, [1], [1.0]),
        ),
        helper.make_node("Sub", ["y", "ones"], ["y_minus_1"]),
        helper.make_node("Expand", ["bias_row", "shape"], ["expanded"]),
        helper.make_node("Constant", [], ["half"], value_float=0.5),
        helper.make_node("Mul", ["expanded", "half"], ["halved"]),
        helper.make_node("Identity", ["halved"], ["ident"]),
    ]
    head_dim = d // heads
    params = {
        "embedding": randn(11, d, seed=20),
        "ln_g": randn(d, seed=21),
        "ln_b": randn(d, seed=22),
        "w_qkv": randn(d, 3 * d, seed=23) / 3,
        "split": np.array([d, d, d], np.int64),
        "i0": np.array(0, np.int64),
        "i1": np.array(1, np.int64),
        "ax0": np.array([0], np.int64),
        "heads_hd": np.array([heads, head_dim], np.int64),
        "minus1": np.array([-1], np.int64),
        "scale": np.array(head_dim**-0.5, np.float32),
        "ax_last": np.array([-1], np.int64),
        "starts": np.array([1, -6], np.int64),
        "ends": np.array([2**62, -1], np.int64),
        "sl_axes": np.array([1, 2], np.int64),
        "steps": np.array([2, 2], np.int64),
        "bias_row": randn(1, 1, d, seed=24),
    }
    return make_model(
        nodes,
        [("ids", I64, ["batch", "seq len"])],
        [
            "y",
            "pooled",
            "row_sum",
            "row_max",
            "sliced",
            "squeezed",
            "y_minus_1",
            "ident",
        ],
        params,
    )


def test_transformer_block_runs_at_two_sequence_lengths_with_one_module() -> None:
    model = _transformer_block()
    feeds = [
        {"ids": np.random.default_rng(s).integers(0, 11, (b, s)).astype(np.int64)}
        for b, s in ((2, 5), (1, 9))
    ]
    imported = check(model, feeds, rtol=1e-5, atol=1e-5)
    text = str(imported.module)
    # dim_param "seq len" becomes a valid identifier; every shape stays symbolic.
    assert "!graph.tensor<[batch, seq_len], i64>" in text
    assert "graph.reshape" in text and "[batch, seq_len, 2, 4]" in text
    assert "graph.full 1.0 : !graph.tensor<[batch, seq_len, 8], f32>" in text


def test_old_opset_attributes_match_onnxruntime() -> None:
    """Opset 9: axes, split sizes, slice bounds and clip bounds are attributes,
    and Softmax flattens the dims from `axis` on."""
    nodes = [
        helper.make_node("Unsqueeze", ["x"], ["u"], axes=[0]),
        helper.make_node("Squeeze", ["u"], ["sq"], axes=[0]),
        helper.make_node("ReduceSum", ["x"], ["rs"], axes=[1], keepdims=0),
        helper.make_node("Split", ["x"], ["s1", "s2"], axis=2, split=[1, 3]),
        helper.make_node(
            "Slice", ["x"], ["sl"], starts=[0, 1], ends=[-1, 100], axes=[1, 2]
        ),
        helper.make_node("Clip", ["x"], ["cl"], min=-0.2, max=0.3),
        helper.make_node("Softmax", ["x"], ["sm"], axis=1),
    ]
    model = make_model(
        nodes,
        [("x", F32, ["n", 3, 4])],
        ["sq", "rs", "s1", "s2", "sl", "cl", "sm"],
        opset=9,
    )
    check(model, [{"x": randn(2, 3, 4)}, {"x": randn(5, 3, 4, seed=1)}])


def test_decomposed_ops_match_onnxruntime() -> None:
    """Ops without a graph op of their own: activations, Pad, ArgMin, ReduceL2,
    and the opset-23 RMSNormalization / Trilu with constant k."""
    nodes = [
        helper.make_node("LeakyRelu", ["x"], ["leaky"], alpha=0.1),
        helper.make_node("PRelu", ["x", "slope"], ["prelu"]),
        helper.make_node("Elu", ["x"], ["elu"], alpha=0.7),
        helper.make_node("HardSwish", ["x"], ["hswish"]),
        helper.make_node("HardSigmoid", ["x"], ["hsig"]),
        helper.make_node("Pad", ["x", "pads", "pad_value"], ["pad"]),
        helper.make_node("Pad", ["x", "crop"], ["crop_pad"]),
        helper.make_node("Trilu", ["x", "k"], ["triu"]),
        helper.make_node("Trilu", ["x"], ["tril"], upper=0),
        helper.make_node("ArgMin", ["x"], ["argmin"], axis=-1),
        helper.make_node("ArgMax", ["x"], ["argmax"], axis=1, keepdims=0),
        helper.make_node("ReduceL2", ["x", "ax_last"], ["l2"]),
        helper.make_node("RMSNormalization", ["x", "gamma"], ["rms"], epsilon=1e-4),
        helper.make_node("CastLike", ["x", "like_int"], ["castlike"]),
    ]
    model = make_model(
        nodes,
        [("x", F32, [2, "n", 5])],
        [n.output[0] for n in nodes],
        {
            "slope": randn(5, seed=30),
            "pads": np.array([0, 1, 2, 1, 0, 1], np.int64),
            "pad_value": np.array(0.25, np.float32),
            "crop": np.array([0, -1, 1, 0, 0, -2], np.int64),
            "k": np.array(1, np.int64),
            "ax_last": np.array([-1], np.int64),
            "gamma": randn(5, seed=31),
            "like_int": np.array([7], np.int32),
        },
        opset=23,
    )
    check(model, [{"x": randn(2, 4, 5) * 3}, {"x": randn(2, 6, 5, seed=1) * 3}])


# ------------------------------------------------------------------ policies, errors
def test_large_initializers_become_weights_and_small_ones_constants() -> None:
    nodes = [
        helper.make_node("MatMul", ["x", "big"], ["h"]),
        helper.make_node("Add", ["h", "small"], ["y"]),
    ]
    model = make_model(
        nodes,
        [("x", F32, ["n", 8])],
        ["y"],
        {"big": randn(8, 4), "small": randn(4, seed=1)},
    )
    imported = import_onnx(model)
    weights = [op for op in imported.module.walk() if isinstance(op, WeightOp)]
    constants = [op for op in imported.module.walk() if isinstance(op, ConstantOp)]
    assert [w.weight_name.data for w in weights] == ["big"]
    assert list(imported.params) == ["big"] and imported.params["big"].shape == (8, 4)
    assert len(constants) == 1 and constants[0].to_numpy().shape == (4,)
    # The module prints and parses back (the IR is the contract with the compiler).
    parse_module(make_context(), str(imported.module), "<onnx>")
    inline = import_onnx(model, max_constant_elements=10**6)
    assert inline.params == {}


def test_every_unsupported_op_is_listed_in_one_error() -> None:
    nodes = [
        helper.make_node("NonZero", ["x"], ["nz1"], name="first_nonzero"),
        helper.make_node("Relu", ["x"], ["r"]),
        helper.make_node("NonZero", ["r"], ["nz2"], name="second_nonzero"),
        helper.make_node("TopK", ["x", "k"], ["vals", "idx"], name="topk"),
        helper.make_node(
            "FusedGelu", ["x"], ["fg"], name="custom", domain="com.microsoft"
        ),
        # Range over constants folds at import time, so it is not reported.
        helper.make_node("Range", ["zero", "k", "one"], ["range"]),
    ]
    model = make_model(
        nodes,
        [("x", F32, [4])],
        ["nz1", "nz2", "vals", "fg", "range"],
        {
            "k": np.array([2], np.int64),
            "zero": np.array(0, np.int64),
            "one": np.array(1, np.int64),
        },
        typed_outputs=False,
    )
    model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    with pytest.raises(UnsupportedOpsError) as info:
        import_onnx(model)
    message = str(info.value)
    assert "3 unsupported ONNX op types" in message
    assert "NonZero x2 (first: 'first_nonzero')" in message
    assert "TopK x1 (first: 'topk')" in message
    assert "com.microsoft.FusedGelu x1 (first: 'custom')" in message
    assert info.value.ops == {"NonZero": 2, "TopK": 1, "com.microsoft.FusedGelu": 1}


def test_truncated_file_error_names_the_file(tmp_path: Path) -> None:
    model = _transformer_block()
    path = tmp_path / "block.onnx"
    data = model.SerializeToString()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(
        OnnxImportError, match=r"block\.onnx: not a valid ONNX model \(truncated"
    ):
        import_onnx(path)
    with pytest.raises(OnnxImportError, match=r"missing\.onnx: no such file"):
        import_onnx(tmp_path / "missing.onnx")


def test_model_file_round_trip(tmp_path: Path) -> None:
    model = make_model(
        [helper.make_node("Relu", ["x"], ["y"])], [("x", F32, ["n"])], ["y"]
    )
    path = tmp_path / "relu.onnx"
    onnx.save(model, str(path))
    imported = import_onnx(path)
    assert imported.input_names == ("x",) and imported.output_names == ("y",)
    assert "!graph.tensor<[n], f32>" in str(imported.module)


def test_run_time_shape_input_is_reported_with_the_node() -> None:
    nodes = [helper.make_node("Reshape", ["x", "shape"], ["y"], name="dyn_reshape")]
    model = make_model(nodes, [("x", F32, [4]), ("shape", I64, [2])], ["y"])
    with pytest.raises(
        OnnxImportError, match="Reshape node 'dyn_reshape': the target shape"
    ):
        import_onnx(model)
