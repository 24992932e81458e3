"""Generation with the KV cache equals running the whole sequence at once.

A tiny random Llama (grouped-query attention, rotary, tied and untied heads),
weights scaled so that logits are O(1): the step function fed the prompt in
chunks and then one token at a time must give the logits of the plain
prefill graph (`build_graph`) over the whole sequence.
"""

from __future__ import annotations

import numpy as np
import pytest

import xunity
from xunity.llm.decoder import Decoder
from xunity.llm.kv_cache import ContextFullError
from xunity.models.llama import Llama, LlamaConfig, build_graph

TOLERANCE = 1e-4
"""Relative to the largest |logit|: the same f32 arithmetic in another order."""
VOCAB = 96
CONTEXT = 24


def make_model(tie: bool) -> Llama:
    config = LlamaConfig(
        hidden=32,
        layers=2,
        heads=4,
        kv_heads=2,
        intermediate=64,
        vocab=VOCAB,
        rope_theta=500.0,
        max_positions=32,
        tie_embeddings=tie,
    )
    model = Llama(config)
    rng = np.random.default_rng(7 if tie else 8)
    model.load_state_dict(
        {
            name: (rng.standard_normal(value.shape) * 0.3).astype(np.float32)
            + (1.0 if name.endswith("norm.weight") else 0.0)
            for name, value in model.state_dict().items()
        }
    )
    return model


@pytest.fixture(scope="module", params=[True, False], ids=["tied", "untied"])
def model(request: pytest.FixtureRequest) -> Llama:
    return make_model(request.param)


@pytest.fixture(scope="module")
def decoder(model: Llama) -> Decoder:
    return Decoder(model, context=CONTEXT)


def reference_logits(model: Llama, ids: np.ndarray) -> np.ndarray:
    module, params = build_graph(model)
    result = xunity.compile(module)["main"](ids, *params.values())
    assert isinstance(result, np.ndarray)
    return result


def test_cached_steps_equal_the_whole_sequence(model: Llama, decoder: Decoder) -> None:
    ids = np.random.default_rng(1).integers(0, VOCAB, 20)
    want = reference_logits(model, ids)
    decoder.reset()
    got = [decoder.forward(ids[:6], all_logits=True)]
    got.append(decoder.forward(ids[6:9], all_logits=True))  # a chunk after a past
    got += [decoder.forward(ids[i : i + 1]) for i in range(9, 20)]
    scale = np.abs(want).max()
    assert scale > 1.0, "logits should be O(1) for the tolerance to mean something"
    np.testing.assert_allclose(np.concatenate(got), want, atol=TOLERANCE * scale)
    assert decoder.cache.length == 20


def test_last_row_logits_and_logits_agree(decoder: Decoder) -> None:
    ids = np.arange(10) % VOCAB
    every = decoder.logits(ids)
    decoder.reset()
    last = decoder.forward(ids)
    assert every.shape == (10, VOCAB) and last.shape == (1, VOCAB)
    np.testing.assert_allclose(last[0], every[-1], rtol=1e-6, atol=1e-6)


def test_context_overflow_names_the_limit(decoder: Decoder) -> None:
    decoder.reset()
    decoder.forward(np.zeros(CONTEXT - 1, np.int64))
    with pytest.raises(ContextFullError, match=f"context of {CONTEXT} tokens"):
        decoder.forward(np.zeros(2, np.int64))
    assert decoder.cache.length == CONTEXT - 1, "a refused step changes nothing"
    decoder.forward(np.zeros(1, np.int64))


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        (np.array([0, VOCAB]), "token ids must be in"),
        (np.array([-1]), "token ids must be in"),
        (np.zeros(0, np.int64), "non-empty"),
        (np.zeros((2, 2), np.int64), "1-D"),
    ],
)
def test_bad_ids_raise(decoder: Decoder, ids: np.ndarray, message: str) -> None:
    decoder.reset()
    with pytest.raises(ValueError, match=message):
        decoder.forward(ids)
    assert decoder.cache.length == 0


def test_context_beyond_the_model_is_refused(model: Llama) -> None:
    with pytest.raises(ValueError, match=r"context must be in 1\.\.32"):
        Decoder(model, context=33)
