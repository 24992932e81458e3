"""The tokenizer a GGUF file describes in its `tokenizer.*` metadata.

    tokenizer = Tokenizer.from_gguf("SmolLM2-135M-Instruct.Q4_1.gguf")
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": "Hi"}])
    ids = tokenizer.encode(prompt, add_special=False)
    for piece in tokenizer.decode_stream(generated_ids): print(piece, end="")

A GGUF has no `tokenizer.json`: llama.cpp's converter stores the vocabulary,
the merges, each token's type and the special ids as metadata, and names the
pre-tokenizer (`tokenizer.ggml.pre`) instead of spelling it out.  We assemble
the equivalent `tokenizers.Tokenizer` in memory from those pieces rather than
writing BPE by hand: the package's BPE, byte-level alphabet, added-token
matching and byte-fallback decoding are the ones transformers runs, so
agreeing with it (the tests' reference) is a matter of the same settings.

Models (`tokenizer.ggml.model`):
  "gpt2"   byte-level BPE with the file's merges; BOS only if the file asks.
  "llama"  SentencePiece BPE with byte fallback; merges, when the file has
           none, are recovered from the token scores as transformers does
           (every split of a token into two tokens, best score first); the
           `▁` space marker goes before the text's first word only, as in
           transformers (llama.cpp also puts one after each special token),
           unless `add_space_prefix` is false; BOS added by default.

Pre-tokenizers of byte-level files: GPT-2's regex, which `ByteLevel` applies
itself, optionally behind a `Digits` split.  "smollm" first cuts every
digit into its own piece, as SmolLM2's own tokenizer.json and llama.cpp do;
transformers 5.24's GGUF converter ignores this name and keeps bare GPT-2
splitting, which differs where whitespace precedes a digit ("x   1").  A
name not in `PRE_TOKENIZERS` is an error rather than a silent GPT-2
fallback, since a wrong split changes the ids.

Control tokens (and the BOS/EOS/UNK/PAD tokens) become special added tokens
and user-defined ones plain added tokens, so both are matched whole in text
("<|im_start|>user" is one id, then "user").  Generation stops at any of
`stop_ids`: EOS, the file's EOT/EOM ids, and the end-of-turn tokens llama.cpp
recognises by name (for SmolLM2: `<|im_end|>` and `<|endoftext|>`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from datetime import datetime
from functools import cached_property
from os import PathLike
from typing import TYPE_CHECKING, Any

from gguf import TokenType
from tokenizers import AddedToken, decoders, models, pre_tokenizers, processors
from tokenizers import Tokenizer as Backend

from xunity.frontends.weights.base import WeightFileError
from xunity.frontends.weights.gguf import GGUFFile

if TYPE_CHECKING:
    import jinja2
    from jinja2.sandbox import ImmutableSandboxedEnvironment


def _gpt2_split() -> pre_tokenizers.PreTokenizer:
    return pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)


PRE_TOKENIZERS: dict[str, Callable[[], pre_tokenizers.PreTokenizer]] = {
    "gpt2": _gpt2_split,
    "smollm": lambda: pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), _gpt2_split()]
    ),
}
"""Byte-level pre-tokenizers by `tokenizer.ggml.pre` (a file without one: gpt2)."""

END_OF_TURN_TOKENS = (
    "<|eot_id|>",
    "<|eom_id|>",
    "<|im_end|>",
    "<|end|>",
    "<end_of_turn>",
    "<|endoftext|>",
    "<|end_of_text|>",
    "<EOT>",
)
"""Tokens that end generation wherever they are in the vocabulary (llama.cpp's list)."""

_SPECIAL_IDS = {
    "bos_token": "tokenizer.ggml.bos_token_id",
    "eos_token": "tokenizer.ggml.eos_token_id",
    "unk_token": "tokenizer.ggml.unknown_token_id",
    "pad_token": "tokenizer.ggml.padding_token_id",
}
"""The special tokens a chat template sees by name (transformers' map)."""


class Tokenizer:
    """Text to token ids and back, plus the model's chat template."""

    def __init__(
        self,
        path: str,
        backend: Backend,
        special_tokens: Mapping[str, int],
        stop_ids: frozenset[int],
        chat_template: str | None,
    ):
        self.path = path
        self.backend = backend
        self.special_tokens = dict(special_tokens)
        """Ids of bos_token, eos_token, unk_token, pad_token where the file has them."""
        self.stop_ids = stop_ids
        self.chat_template = chat_template

    @staticmethod
    def from_gguf(source: str | PathLike[str] | GGUFFile) -> Tokenizer:
        """The tokenizer of a GGUF file (a path or an already opened `GGUFFile`)."""
        file = source if isinstance(source, GGUFFile) else GGUFFile(source)
        return _Reader(file).tokenizer()

    @property
    def bos_id(self) -> int | None:
        return self.special_tokens.get("bos_token")

    @property
    def eos_id(self) -> int | None:
        return self.special_tokens.get("eos_token")

    def encode(self, text: str, *, add_special: bool = True) -> list[int]:
        """Token ids of `text`; `add_special` adds BOS/EOS as the file asks.

        Special-token text in `text` is matched as those tokens, so a rendered
        chat template encodes right; encode it with `add_special=False` (the
        template writes its own BOS where the model wants one).
        """
        return self.backend.encode(text, add_special_tokens=add_special).ids

    def decode(self, ids: Iterable[int], *, skip_special: bool = False) -> str:
        return self.backend.decode(list(ids), skip_special_tokens=skip_special)

    def decode_stream(
        self, ids: Iterable[int], *, skip_special: bool = False
    ) -> Generator[str, None, None]:
        """Text pieces as `ids` arrive; joined, they are `decode(ids)`."""
        stream = StreamDecoder(self, skip_special=skip_special)
        for token_id in ids:
            if piece := stream.push(token_id):
                yield piece
        if tail := stream.flush():
            yield tail

    def apply_chat_template(
        self,
        messages: Sequence[Mapping[str, Any]],
        *,
        add_generation_prompt: bool = True,
        **variables: Any,
    ) -> str:
        """The conversation rendered as the model's prompt text.

        Rendered as transformers renders it (sandboxed Jinja, trimmed blocks,
        `raise_exception`, its `tojson`), with the special tokens' text as
        `bos_token` etc.; `variables` reach the template too (e.g. `tools`).
        """
        names = {
            name: self.backend.id_to_token(i) for name, i in self.special_tokens.items()
        }
        return self._template.render(
            messages=messages,
            add_generation_prompt=add_generation_prompt,
            **{**names, **variables},
        )

    @cached_property
    def _template(self) -> jinja2.Template:
        import jinja2  # here: only chat templates need it (1 MB resident)

        key = "tokenizer.chat_template"
        if self.chat_template is None:
            raise WeightFileError(self.path, f"no chat template (metadata '{key}')")
        try:
            return _template_environment().from_string(self.chat_template)
        except jinja2.TemplateSyntaxError as error:
            raise WeightFileError(
                self.path, f"metadata '{key}' is not a valid template: {error}"
            ) from None


class StreamDecoder:
    """Decodes ids one at a time into pieces that never split a character.

    The algorithm of `tokenizers.decoders.DecodeStream`: decode a short window
    (the ids of the last piece, as context, then the new ones) and emit what
    grew past the context's text, unless it ends in U+FFFD, a UTF-8 character
    still incomplete.  The context keeps decoders that look at neighbours
    (SentencePiece's leading-space strip) consistent with `decode`.  Written
    out rather than wrapped because `flush` needs the window, which
    DecodeStream keeps private: a stream cut mid-character must still end as
    `decode` would, with U+FFFD.
    """

    def __init__(self, tokenizer: Tokenizer, *, skip_special: bool = False):
        self._tokenizer = tokenizer
        self._skip_special = skip_special
        self._ids: list[int] = []
        self._context = 0
        self._prefix = ""

    def push(self, token_id: int) -> str:
        """The text `token_id` completes ("" while a character is incomplete)."""
        self._ids.append(token_id)
        text = self._decode(self._ids)
        if len(text) <= len(self._prefix) or text.endswith("\ufffd"):
            return ""
        return self._emit(text)

    def flush(self) -> str:
        """The text of ids still held back, at the end of the stream."""
        if len(self._ids) == self._context:
            return ""
        return self._emit(self._decode(self._ids))

    def _emit(self, text: str) -> str:
        piece = text[len(self._prefix) :]
        self._ids = self._ids[self._context :]
        self._context = len(self._ids)
        self._prefix = self._decode(self._ids)
        return piece

    def _decode(self, ids: list[int]) -> str:
        return self._tokenizer.decode(ids, skip_special=self._skip_special)


class _Reader:
    """Typed `tokenizer.*` metadata of one file; every problem names file and key."""

    def __init__(self, file: GGUFFile):
        self.file = file

    def tokenizer(self) -> Tokenizer:
        if not self.file.has("tokenizer.ggml.model"):
            raise WeightFileError(
                self.file.path,
                "no tokenizer (metadata 'tokenizer.ggml.model' is missing)",
            )
        model = self.string("tokenizer.ggml.model")
        tokens = self.array("tokenizer.ggml.tokens", str)
        types = (
            self.array("tokenizer.ggml.token_type", int, len(tokens))
            if self.file.has("tokenizer.ggml.token_type")
            else [TokenType.NORMAL] * len(tokens)
        )
        special_tokens = {
            name: token_id
            for name, key in _SPECIAL_IDS.items()
            if (token_id := self.token_id(key, len(tokens))) is not None
        }
        if model == "gpt2":
            backend = self.byte_level_bpe(tokens)
            add_bos = self.flag("tokenizer.ggml.add_bos_token", False)
        elif model == "llama":
            backend = self.sentencepiece_bpe(tokens, special_tokens.get("unk_token"))
            add_bos = self.flag("tokenizer.ggml.add_bos_token", True)
        else:
            raise self.error(
                "tokenizer.ggml.model", f"is {model!r}; supported: 'gpt2', 'llama'"
            )
        special = set(special_tokens.values())
        backend.add_special_tokens(
            [
                AddedToken(token, special=True, normalized=False)
                for i, (token, kind) in enumerate(zip(tokens, types, strict=True))
                if kind == TokenType.CONTROL or i in special
            ]
        )
        backend.add_tokens(
            [
                AddedToken(token, special=False, normalized=False)
                for token, kind in zip(tokens, types, strict=True)
                if kind == TokenType.USER_DEFINED
            ]
        )
        add_eos = self.flag("tokenizer.ggml.add_eos_token", False)
        backend.post_processor = self.post_processor(
            tokens,
            special_tokens.get("bos_token") if add_bos else None,
            special_tokens.get("eos_token") if add_eos else None,
        )
        stop_ids = {
            token_id
            for key in ("eos_token_id", "eot_token_id", "eom_token_id")
            if (token_id := self.token_id(f"tokenizer.ggml.{key}", len(tokens)))
            is not None
        }
        for token in END_OF_TURN_TOKENS:
            if (token_id := backend.token_to_id(token)) is not None:
                stop_ids.add(token_id)
        template = (
            self.string("tokenizer.chat_template")
            if self.file.has("tokenizer.chat_template")
            else None
        )
        return Tokenizer(
            self.file.path, backend, special_tokens, frozenset(stop_ids), template
        )

    def byte_level_bpe(self, tokens: list[str]) -> Backend:
        """GPT-2's byte-level BPE, split as `tokenizer.ggml.pre` names."""
        backend = self.bpe(tokens, self.merges())
        pre = (
            self.string("tokenizer.ggml.pre")
            if self.file.has("tokenizer.ggml.pre")
            else "gpt2"
        )
        if pre not in PRE_TOKENIZERS:
            raise self.error(
                "tokenizer.ggml.pre",
                f"is {pre!r}, a pre-tokenizer not supported here "
                f"(supported: {', '.join(sorted(PRE_TOKENIZERS))})",
            )
        backend.pre_tokenizer = PRE_TOKENIZERS[pre]()
        backend.decoder = decoders.ByteLevel()
        return backend

    def sentencepiece_bpe(self, tokens: list[str], unk_id: int | None) -> Backend:
        """SentencePiece BPE with byte fallback, as transformers' LlamaTokenizer."""
        if self.file.has("tokenizer.ggml.merges"):
            merges = self.merges()
        else:
            scores = self.array("tokenizer.ggml.scores", float, len(tokens))
            merges = _merges_from_scores(tokens, scores)
        unk = tokens[unk_id] if unk_id is not None else None
        backend = self.bpe(
            tokens, merges, unk_token=unk, fuse_unk=True, byte_fallback=True
        )
        prefix = self.flag("tokenizer.ggml.add_space_prefix", True)
        backend.pre_tokenizer = pre_tokenizers.Metaspace(
            prepend_scheme="first" if prefix else "never", split=False
        )
        steps = [decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse()]
        if prefix:
            steps.append(decoders.Strip(" ", 1, 0))
        backend.decoder = decoders.Sequence(steps)
        return backend

    def bpe(
        self, tokens: list[str], merges: list[tuple[str, str]], **options: Any
    ) -> Backend:
        vocab = {token: i for i, token in enumerate(tokens)}
        try:
            return Backend(models.BPE(vocab, merges, **options))
        except Exception as error:  # tokenizers raises a bare Exception
            raise self.error("tokenizer.ggml.merges", f"is invalid: {error}") from None

    def merges(self) -> list[tuple[str, str]]:
        """The file's merges, "left right" strings, as pairs in rank order."""
        key = "tokenizer.ggml.merges"
        pairs = [merge.split(" ") for merge in self.array(key, str)]
        for index, pair in enumerate(pairs):
            if len(pair) != 2:
                raise self.error(
                    key, f"entry {index} {' '.join(pair)!r} is not 2 tokens"
                )
        return [(left, right) for left, right in pairs]

    def post_processor(
        self, tokens: list[str], bos: int | None, eos: int | None
    ) -> processors.TemplateProcessing | None:
        """BOS before / EOS after the text, as `add_special=True` adds them."""
        added = [i for i in (bos, eos) if i is not None]
        if not added:
            return None
        before = [tokens[bos]] if bos is not None else []
        after = [tokens[eos]] if eos is not None else []
        return processors.TemplateProcessing(
            single=[*before, "$A", *after],
            special_tokens=[(tokens[i], i) for i in added],
        )

    # -- typed metadata ---------------------------------------------------

    def string(self, key: str) -> str:
        self.require(key)
        return self.file.str_value(key)

    def array(self, key: str, kind: type, length: int | None = None) -> list[Any]:
        self.require(key)
        value = self.file.value(key)
        if not isinstance(value, list) or not all(
            isinstance(v, kind) and not isinstance(v, bool) for v in value
        ):
            raise self.error(key, f"is not a list of {kind.__name__}")
        if length is not None and len(value) != length:
            raise self.error(key, f"has {len(value)} entries for {length} tokens")
        return value

    def token_id(self, key: str, count: int) -> int | None:
        if not self.file.has(key):
            return None
        token_id = self.file.int_value(key)
        if not 0 <= token_id < count:
            raise self.error(key, f"is {token_id}, not a token id (< {count})")
        return token_id

    def flag(self, key: str, default: bool) -> bool:
        if not self.file.has(key):
            return default
        value = self.file.value(key)
        if not isinstance(value, bool):
            raise self.error(key, f"is {value!r}, expected a boolean")
        return value

    def require(self, key: str) -> None:
        if not self.file.has(key):
            raise self.error(key, "is missing")

    def error(self, key: str, problem: str) -> WeightFileError:
        return WeightFileError(self.file.path, f"metadata '{key}' {problem}")


def _merges_from_scores(
    tokens: list[str], scores: list[float]
) -> list[tuple[str, str]]:
    """Merges implied by a SentencePiece vocabulary (transformers' `generate_merges`).

    Every split of a token into two tokens is a merge ranked by the token's
    score, ties broken towards longer left, then right, pieces and then by
    the pieces' ids.
    """
    vocab = {token: i for i, token in enumerate(tokens)}
    ranked: list[tuple[str, str, float]] = []
    for token, score in dict(zip(tokens, scores, strict=True)).items():
        splits = [
            (token[:cut], token[cut:], score)
            for cut in range(1, len(token))
            if token[:cut] in vocab and token[cut:] in vocab
        ]
        ranked.extend(sorted(splits, key=lambda s: (vocab[s[0]], vocab[s[1]])))
    ranked.sort(key=lambda s: (s[2], len(s[0]), len(s[1])), reverse=True)
    return [(left, right) for left, right, _ in ranked]


def _template_environment() -> ImmutableSandboxedEnvironment:
    """transformers' chat-template environment (minus its assistant-mask tag)."""
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    environment = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"]
    )
    environment.filters["tojson"] = _tojson
    environment.globals["raise_exception"] = _raise_exception
    environment.globals["strftime_now"] = _strftime_now
    return environment


def _raise_exception(message: str) -> None:
    import jinja2

    raise jinja2.TemplateError(message)


def _tojson(
    value: Any,
    ensure_ascii: bool = False,
    indent: int | None = None,
    separators: tuple[str, str] | None = None,
    sort_keys: bool = False,
) -> str:
    # Jinja's own tojson escapes HTML characters, which a prompt must keep.
    return json.dumps(
        value,
        ensure_ascii=ensure_ascii,
        indent=indent,
        separators=separators,
        sort_keys=sort_keys,
    )


def _strftime_now(pattern: str) -> str:
    return datetime.now().strftime(pattern)
