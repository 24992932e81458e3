"""A decoder model compiled once for generation: its step function, weights and cache.

One compiled function (`build_step_graph`) serves the prompt (n tokens after
none), each generated token (1 after many) and anything between, since n,
the past length and the rows of logits wanted are symbolic.  The weights
are bound to it once (`PackedFunction.bind`), so a step passes only its few
changing arrays: the ids, the rotary rows of the new positions, the cache's
past views and its destination rows (xunity/llm/kv_cache.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import xunity
from xunity.frontends.builder.nn import rotary_tables
from xunity.llm.kv_cache import KVCache
from xunity.models.llama import Llama, build_step_graph


class Decoder:
    """`forward(ids)` appends tokens to the cache and returns their logits."""

    def __init__(
        self,
        model: Llama,
        context: int | None = None,
        cache_dir: Path | None = None,
        profile: bool = False,
    ):
        """Compile `model`'s step function (or load it from the compile cache).

        `context` caps the positions the cache holds (default: the model's
        `max_positions`); `profile` compiles with per-kernel counters
        (`self.executable.profile()`).
        """
        config = model.config
        capacity = config.max_positions if context is None else context
        if not 0 < capacity <= config.max_positions:
            raise ValueError(
                f"context must be in 1..{config.max_positions} (the model's), "
                f"got {capacity}"
            )
        self.config = config
        module, params = build_step_graph(model)
        self.executable = xunity.compile(module, cache_dir=cache_dir, profile=profile)
        frees = (None,) * 6  # ids, rows, cos, sin, past keys, past values
        outputs = (None,) * 3  # logits, new keys, new values
        self._step = self.executable["step"].bind(*frees, *params.values(), *outputs)
        head_dim = config.attention_head_dim
        self._cos, self._sin = rotary_tables(capacity, head_dim, config.rope_theta)
        self.cache = KVCache(capacity, config.layers, config.kv_heads, head_dim)

    def forward(self, input_ids: np.ndarray, all_logits: bool = False) -> np.ndarray:
        """Run `input_ids` after the cached positions and keep them cached.

        Returns the logits `[1, vocab]` of the last new position, or `[n,
        vocab]` of every one with `all_logits`.  Raises ContextFullError when
        they do not fit, ValueError on ids outside the vocabulary.
        """
        ids = np.ascontiguousarray(input_ids, dtype=np.int64)
        count = len(ids)
        if ids.ndim != 1 or count == 0:
            raise ValueError(f"input_ids must be 1-D and non-empty, got {ids.shape}")
        vocab = self.config.vocab
        if ids.min() < 0 or ids.max() >= vocab:
            raise ValueError(f"token ids must be in 0..{vocab - 1}")
        start = self.cache.length
        keys, values = self.cache.slots(count)
        first_row = 0 if all_logits else count - 1
        rows = np.arange(first_row, count, dtype=np.int64)
        logits = np.empty((len(rows), vocab), np.float32)
        end = start + count
        self._step(
            ids,
            rows,
            self._cos[start:end],
            self._sin[start:end],
            *self.cache.past(),
            logits,
            keys,
            values,
        )
        self.cache.advance(count)
        return logits

    def logits(self, input_ids: np.ndarray) -> np.ndarray:
        """Every position's logits `[n, vocab]` of a sequence on its own
        (the cache is cleared first and holds the sequence after)."""
        self.reset()
        return self.forward(input_ids, all_logits=True)

    def reset(self) -> None:
        """Forget every cached position."""
        self.cache.truncate(0)
