"""SmolLM2-135M-Instruct from its GGUF file: greedy text equals transformers'.

The reference is transformers' own GGUF loader (weights dequantised to f32)
running greedy `generate`; xunity loads the same file (`xunity.llm.load`),
runs the prompt through its step function once and then one token at a time
over the KV cache.  The command line is checked on the same model.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import transformers

import xunity.llm.model as llm
from xunity.llm.kv_cache import ContextFullError
from xunity.tools.cli import main as cli

NEW_TOKENS = 32
PROMPTS = ("The capital of France is", "def fibonacci(n):")


@pytest.fixture(scope="module")
def model() -> llm.LanguageModel:
    return llm.load(context=256, progress=False)


@pytest.fixture(scope="module")
def reference() -> transformers.PreTrainedModel:
    path = llm.default_model_path()
    return transformers.AutoModelForCausalLM.from_pretrained(
        path.parent, gguf_file=path.name, dtype=torch.float32
    ).eval()


def reference_greedy(
    reference: transformers.PreTrainedModel, ids: list[int]
) -> list[int]:
    with torch.no_grad():
        out = reference.generate(
            torch.tensor([ids]),
            max_new_tokens=NEW_TOKENS,
            do_sample=False,
            attention_mask=torch.ones(1, len(ids), dtype=torch.long),
        )
    return out[0, len(ids) :].tolist()


@pytest.mark.parametrize("prompt", PROMPTS)
def test_greedy_tokens_equal_transformers(
    model: llm.LanguageModel, reference: transformers.PreTrainedModel, prompt: str
) -> None:
    ids = model.encode_prompt(prompt)
    want = reference_greedy(reference, ids)
    text = "".join(model.generate(prompt, NEW_TOKENS))
    stats = model.last_stats
    assert stats is not None and stats.prompt_tokens == len(ids)
    got = model.tokenizer.encode(text, add_special=False)
    stop = next((i for i, t in enumerate(want) if t in model.tokenizer.stop_ids), None)
    assert got == want[:stop], (model.tokenizer.decode(want), text)


def test_prefill_logits_match_transformers(
    model: llm.LanguageModel, reference: transformers.PreTrainedModel
) -> None:
    ids = model.encode_prompt(PROMPTS[0])
    with torch.no_grad():
        want = reference(torch.tensor([ids])).logits[0].numpy()
    got = model.logits(ids)
    np.testing.assert_allclose(got, want, atol=1e-3 * np.abs(want).max())


def test_a_prompt_longer_than_the_context_names_the_limit(
    model: llm.LanguageModel,
) -> None:
    with pytest.raises(ContextFullError, match="the context holds 256"):
        next(model.generate("word " * 300))


def test_generate_command_streams_text_and_speeds(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli(["generate", "The capital of France is", "-n", "8", "--ctx", "64"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("The capital of France is Paris")
    assert "prefill: 5 tokens" in err and "decode: 8 tokens" in err


def test_generate_command_rejects_a_missing_file(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli(["generate", "/nonexistent/model.gguf", "hello"]) == 1
    assert "/nonexistent/model.gguf" in capsys.readouterr().err
