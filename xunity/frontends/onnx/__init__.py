"""ONNX frontend: `import_onnx(model) -> ImportedModel` (see importer.py)."""

from xunity.frontends.onnx.converter import CONVERTERS, OnnxImportError
from xunity.frontends.onnx.importer import (
    ImportedModel,
    UnsupportedOpsError,
    import_onnx,
    load_model,
)

SUPPORTED_OPS = frozenset(CONVERTERS)
"""ONNX op types (default domain) the importer converts."""

__all__ = [
    "SUPPORTED_OPS",
    "ImportedModel",
    "OnnxImportError",
    "UnsupportedOpsError",
    "import_onnx",
    "load_model",
]
