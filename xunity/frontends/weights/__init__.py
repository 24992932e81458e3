"""Weight-file readers: safetensors (numpy only) and GGUF (the `gguf` package).

Both return `TensorDict`s of numpy arrays memory-mapped from the file where the
stored bytes are already the array's bytes; conversions (bf16 -> f32, GGUF
quantised blocks -> f32) are the only copies.  `xunity.frontends.weights.gguf`
is imported on its own so that safetensors users need not install `gguf`.
"""

from xunity.frontends.weights.base import (
    MissingTensorError,
    TensorDict,
    WeightFileError,
)
from xunity.frontends.weights.safetensors import SafetensorsFile, load_safetensors

__all__ = [
    "MissingTensorError",
    "SafetensorsFile",
    "TensorDict",
    "WeightFileError",
    "load_safetensors",
]
