"""torch.export frontend: `import_exported_program(ep) -> ImportedModel`.

Needs `torch`; importing `xunity` alone never imports this package.
"""

from xunity.frontends.torch.converter import CONVERTERS, TorchImportError
from xunity.frontends.torch.importer import (
    ImportedModel,
    UnsupportedOpsError,
    import_exported_program,
)

SUPPORTED_OPS = frozenset(CONVERTERS)
"""ATen overloads (`aten.add.Tensor`) the importer converts."""

__all__ = [
    "SUPPORTED_OPS",
    "ImportedModel",
    "TorchImportError",
    "UnsupportedOpsError",
    "import_exported_program",
]
