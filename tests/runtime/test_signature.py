"""Signatures survive JSON: the compile cache and export metadata both rely on it."""

import json

import pytest
from xdsl.context import Context

from xunity.dialects.graph import Graph
from xunity.dialects.graph.types import TensorType
from xunity.runtime.signature import Signature, type_text


def _context() -> Context:
    ctx = Context()
    ctx.load_dialect(Graph)
    return ctx


def _tensor(text: str) -> TensorType:
    return Signature.from_json({"inputs": [text], "outputs": []}, _context()).inputs[0]


def test_round_trip_keeps_symbolic_shapes() -> None:
    x = _tensor("!graph.tensor<[n, 16], f32>")
    y = _tensor("!graph.tensor<[n floordiv 2, 4], i64>")
    signature = Signature((x, y), (y,))
    text = json.dumps(signature.to_json())
    assert Signature.from_json(json.loads(text), _context()) == signature


def test_reads_export_metadata_tensors() -> None:
    """Exported libraries describe each tensor as an object; its "type" is read."""
    x = _tensor("!graph.tensor<[n, 16], f32>")
    entry = {
        "inputs": [{"dtype": "float32", "shape": ["n", "16"], "type": type_text(x)}],
        "outputs": [],
    }
    assert Signature.from_json(entry, _context()) == Signature((x,), ())


def test_rejects_what_is_not_a_tensor_type() -> None:
    with pytest.raises(ValueError, match="not a tensor type: f32"):
        Signature.from_json({"inputs": ["f32"], "outputs": []}, _context())
