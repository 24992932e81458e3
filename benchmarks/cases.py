"""Benchmark cases: a graph program, its inputs, a float64 reference and the
peers' versions of the same computation (numpy, an ONNX graph, torch).

The kernel cases live here; the layer cases (encoder, Llama) in models.py.
Every peer gets the same float32 input arrays, in the order of `Case.inputs`;
the ONNX graph's inputs are named and ordered like them.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np


def optional_import(name: str) -> Any:
    """The module, or None when that optional peer is not installed."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


torch = optional_import("torch")
F = optional_import("torch.nn.functional")
helper = optional_import("onnx.helper")
numpy_helper = optional_import("onnx.numpy_helper")
TensorProto = getattr(optional_import("onnx"), "TensorProto", None)

ONNX_OPSET = 23
"""Opset 23 for RMSNormalization; onnxruntime 1.32 and TVM 0.27's importer both
take it, and the other ops used are unchanged since opset 13-20."""


@dataclass
class Case:
    key: str  # what `--cases` selects
    name: str
    shape: str
    program: str  # graph program with one function @main
    inputs: list[np.ndarray]
    reference: Callable[..., np.ndarray]  # float64 inputs -> float64 output
    flops: float = 0.0  # compute-bound: rated in GFLOP/s
    nbytes: float = 0.0  # memory-bound: rated in GB/s
    numpy: Callable[..., np.ndarray] | None = None
    onnx: Callable[[], Any] | None = None  # () -> onnx.ModelProto
    torch: Callable[..., Any] | None = None  # torch tensors -> torch tensor
    params: dict[str, np.ndarray] = field(default_factory=dict)
    tolerance: float = 1e-4  # max |out - ref| / max |ref|


# --------------------------------------------------------------- reference math
def erf(x: np.ndarray) -> np.ndarray:
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def gelu64(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def gelu_tanh(x: np.ndarray) -> np.ndarray:
    c = np.asarray(math.sqrt(2.0 / math.pi), x.dtype)
    inner = c * (x + np.asarray(0.044715, x.dtype) * (x * x * x))
    return np.asarray(0.5, x.dtype) * x * (1.0 + np.tanh(inner))


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def layer_norm(x: np.ndarray, g: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + np.asarray(eps, x.dtype)) * g + b


# --------------------------------------------------------------- builders
def t(shape: Sequence[int | str]) -> str:
    return f"!graph.tensor<[{', '.join(map(str, shape))}], f32>"


def rand(rng: np.random.Generator, *shape: int, scale: float = 1.0) -> np.ndarray:
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def onnx_io(name: str, shape: Sequence[int]) -> Any:
    assert helper is not None and TensorProto is not None
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, list(shape))


def onnx_model(
    name: str,
    nodes: list[Any],
    inputs: list[Any],
    outputs: list[Any],
    initializers: dict[str, np.ndarray] | None = None,
) -> Any:
    """A checked single-graph ModelProto; initializers hold weights and constants."""
    assert helper is not None and numpy_helper is not None
    tensors = [numpy_helper.from_array(v, k) for k, v in (initializers or {}).items()]
    graph = helper.make_graph(nodes, name, inputs, outputs, tensors)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", ONNX_OPSET)])


def unary_program(op: str, shape: list[int], extra: str = "") -> str:
    ty = t(shape)
    return f"""
func.func @main(%x: {ty}) -> {ty} {{
  %y = graph.{op} %x{extra} : {ty}
  func.return %y : {ty}
}}"""


def matmul_program(m: int | str, k: int, n: int) -> str:
    a, b, c = t([m, k]), t([k, n]), t([m, n])
    return f"""
func.func @main(%a: {a}, %b: {b}) -> {c} {{
  %c = graph.matmul %a, %b : {a}, {b} -> {c}
  func.return %c : {c}
}}"""


def matmul_onnx(m: int, k: int, n: int) -> Any:
    return onnx_model(
        "matmul",
        [helper.make_node("MatMul", ["a", "b"], ["y"])],
        [onnx_io("a", [m, k]), onnx_io("b", [k, n])],
        [onnx_io("y", [m, n])],
    )


# --------------------------------------------------------------- kernel cases
def matmul_case(key: str, m: int, k: int, n: int, rng, symbolic: bool) -> Case:
    a, b = rand(rng, m, k), rand(rng, k, n)
    shape = f"{m}x{k}x{n}" + (" (m symbolic)" if symbolic else "")
    return Case(
        key,
        "matmul",
        shape,
        matmul_program("n" if symbolic else m, k, n),
        [a, b],
        lambda a, b: a @ b,
        flops=2.0 * m * n * k,
        numpy=np.matmul,
        onnx=lambda: matmul_onnx(m, k, n),
        torch=torch.matmul if torch else None,
    )


def gemv_case(rng) -> Case:
    k = n = 4096
    a, b = rand(rng, 1, k), rand(rng, k, n)
    return Case(
        "gemv",
        "GEMV",
        f"1x{k}x{n}",
        matmul_program(1, k, n),
        [a, b],
        lambda a, b: a @ b,
        nbytes=4.0 * (k + k * n + n),
        numpy=np.matmul,
        onnx=lambda: matmul_onnx(1, k, n),
        torch=torch.matmul if torch else None,
    )


def softmax_case(rng) -> Case:
    shape = [128, 4096]
    return Case(
        "softmax",
        "softmax",
        "128x4096, axis -1",
        unary_program("softmax", shape, " axis = -1"),
        [rand(rng, *shape)],
        softmax,
        nbytes=2 * 4.0 * math.prod(shape),
        numpy=softmax,
        onnx=lambda: onnx_model(
            "softmax",
            [helper.make_node("Softmax", ["x"], ["y"], axis=-1)],
            [onnx_io("x", shape)],
            [onnx_io("y", shape)],
        ),
        torch=(lambda x: torch.softmax(x, -1)) if torch else None,
    )


def layer_norm_case(rng) -> Case:
    rows, cols, eps = 128, 768, 1e-5
    x, g, b = rand(rng, rows, cols), rand(rng, cols), rand(rng, cols)
    xt, vt = t([rows, cols]), t([cols])
    program = f"""
func.func @main(%x: {xt}, %g: {vt}, %b: {vt}) -> {xt} {{
  %y = graph.layer_norm %x, %g, %b axes = [-1] eps = {eps:e} : {xt}, {vt}, {vt}
  func.return %y : {xt}
}}"""
    return Case(
        "layer_norm",
        "layer_norm",
        f"{rows}x{cols}, axis -1",
        program,
        [x, g, b],
        lambda x, g, b: layer_norm(x, g, b, eps),
        nbytes=4.0 * (2 * rows * cols + 2 * cols),
        numpy=lambda x, g, b: layer_norm(x, g, b, eps),
        onnx=lambda: onnx_model(
            "layer_norm",
            [
                helper.make_node(
                    "LayerNormalization", ["x", "g", "b"], ["y"], axis=-1, epsilon=eps
                )
            ],
            [onnx_io("x", [rows, cols]), onnx_io("g", [cols]), onnx_io("b", [cols])],
            [onnx_io("y", [rows, cols])],
        ),
        torch=(lambda x, g, b: F.layer_norm(x, (cols,), g, b, eps)) if torch else None,
    )


def gelu_case(rng, approximate: str) -> Case:
    count = 4 * 1024 * 1024
    shape = [count]
    op = "gelu" if approximate == "none" else "gelu_tanh"
    return Case(
        f"gelu_{'erf' if approximate == 'none' else 'tanh'}",
        f"gelu ({'erf' if approximate == 'none' else 'tanh'})",
        "4M floats",
        unary_program(op, shape),
        [rand(rng, count)],
        gelu64 if approximate == "none" else gelu_tanh,
        nbytes=2 * 4.0 * count,
        numpy=None if approximate == "none" else gelu_tanh,  # numpy has no erf
        onnx=lambda: onnx_model(
            "gelu",
            [helper.make_node("Gelu", ["x"], ["y"], approximate=approximate)],
            [onnx_io("x", shape)],
            [onnx_io("y", shape)],
        ),
        torch=(lambda x: F.gelu(x, approximate=approximate)) if torch else None,
    )


def fused_case(rng) -> Case:
    m, k, n = 128, 1024, 1024
    a, b, bias = rand(rng, m, k), rand(rng, k, n, scale=0.03), rand(rng, n)
    at, bt, vt, ct = t([m, k]), t([k, n]), t([n]), t([m, n])
    program = f"""
func.func @main(%a: {at}, %b: {bt}, %bias: {vt}) -> {ct} {{
  %mm = graph.matmul %a, %b : {at}, {bt} -> {ct}
  %s = graph.add %mm, %bias : {ct}, {vt} -> {ct}
  %y = graph.gelu %s : {ct}
  func.return %y : {ct}
}}"""
    return Case(
        "fused",
        "matmul+bias+gelu",
        f"{m}x{k}x{n}, gelu erf",
        program,
        [a, b, bias],
        lambda a, b, bias: gelu64(a @ b + bias),
        flops=2.0 * m * n * k,
        onnx=lambda: onnx_model(
            "matmul_bias_gelu",
            [
                helper.make_node("MatMul", ["a", "b"], ["mm"]),
                helper.make_node("Add", ["mm", "bias"], ["s"]),
                helper.make_node("Gelu", ["s"], ["y"]),
            ],
            [onnx_io("a", [m, k]), onnx_io("b", [k, n]), onnx_io("bias", [n])],
            [onnx_io("y", [m, n])],
        ),
        torch=(lambda a, b, bias: F.gelu(torch.addmm(bias, a, b))) if torch else None,
    )


def kernel_cases(rng: np.random.Generator) -> list[Case]:
    return [
        matmul_case("matmul1024", 1024, 1024, 1024, rng, symbolic=False),
        matmul_case("matmul128", 128, 1024, 1024, rng, symbolic=True),
        gemv_case(rng),
        softmax_case(rng),
        layer_norm_case(rng),
        gelu_case(rng, "none"),
        gelu_case(rng, "tanh"),
        fused_case(rng),
    ]
