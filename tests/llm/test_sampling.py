"""The sampling chain (xunity.llm.sampling) against its definition.

Masks are read off small hand-made logits; distributions are checked by
drawing many tokens with a fixed seed and a chi-square test against the
renormalised softmax of the survivors; stop strings are streamed in pieces
that split them.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from xunity.llm.sampling import Sampler, SamplingParams, StopChecker, apply_penalties

INF = math.inf

# The chi-square distribution's 0.999 quantile by degrees of freedom: a
# correct sampler fails one seed in a thousand (and these seeds are fixed).
CHI2_999 = {1: 10.83, 2: 13.82, 3: 16.27, 4: 18.47, 5: 20.52, 6: 22.46}


def survivors(logits: list[float], history: tuple[int, ...] = (), **chain) -> list[int]:
    """The candidates of a chain with only the filters given switched on."""
    params = SamplingParams(**{"top_k": 0, "top_p": 1.0, "min_p": 0.0, **chain})
    row = np.asarray(logits, dtype=np.float32)
    return sorted(Sampler(params).candidates(row, history).tolist())


def log(probs: list[float]) -> list[float]:
    return [math.log(p) for p in probs]


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max())
    return e / e.sum()


def assert_draws_match(
    sampler: Sampler, logits: np.ndarray, expected: dict[int, float], n=20000
) -> None:
    """Frequencies of n draws vs `expected` (token -> probability), by chi-square."""
    counts = np.bincount(
        [sampler.sample(logits) for _ in range(n)], minlength=logits.size
    )
    tokens = sorted(expected)
    assert set(np.flatnonzero(counts)) <= set(tokens)
    want = n * np.array([expected[t] for t in tokens])
    chi2 = float(((counts[tokens] - want) ** 2 / want).sum())
    assert chi2 < CHI2_999[len(tokens) - 1], (counts[tokens], want)


# top-k


@pytest.mark.parametrize(
    ("logits", "k", "kept"),
    [
        ([1, 5, 3, 5, 2], 2, [1, 3]),
        ([1, 5, 3, 5, 2], 3, [1, 2, 3]),
        ([0, 2, 2, 2, 1], 2, [1, 2]),  # ties: lowest ids
        ([0, 2, 2, 2, 1], 4, [1, 2, 3, 4]),
        ([7, 7, 7, 7, 7, 7], 3, [0, 1, 2]),  # all equal
        ([1, 5, 3], 10, [0, 1, 2]),  # k larger than the vocabulary
        ([1, 5, 3], 0, [0, 1, 2]),  # off
        ([1, 5, 3], -1, [0, 1, 2]),  # off
        ([0, -INF, -INF, 1], 3, [0, 3]),  # -inf is never a candidate
    ],
)
def test_top_k(logits, k, kept):
    assert survivors(logits, top_k=k) == kept


# top-p


@pytest.mark.parametrize(
    ("logits", "p", "kept"),
    [
        # Four equal logits: probabilities 1/4 exactly, so sum >= p is tested
        # at equality; ties go to the lowest ids.
        ([0, 0, 0, 0], 0.5, [0, 1]),
        ([0, 0, 0, 0], 0.5000001, [0, 1, 2]),
        ([0, 0, 0, 0], 1.0, [0, 1, 2, 3]),
        # Probabilities 0.5, 0.25, 0.15, 0.1 on tokens 1, 3, 2, 0.
        (log([0.1, 0.5, 0.15, 0.25]), 0.4, [1]),
        (log([0.1, 0.5, 0.15, 0.25]), 0.7, [1, 3]),
        (log([0.1, 0.5, 0.15, 0.25]), 0.8, [1, 2, 3]),
        (log([0.1, 0.5, 0.15, 0.25]), 0.95, [0, 1, 2, 3]),
        (log([0.1, 0.5, 0.15, 0.25]), 1e-9, [1]),  # at least one token
        ([0, -INF, 0], 0.99, [0, 2]),
        ([0, -INF, 0], 1.0, [0, 2]),
    ],
)
def test_top_p(logits, p, kept):
    assert survivors(logits, top_p=p) == kept


def test_top_p_renormalises_after_top_k():
    """llama.cpp's order: top-p sees the top-k survivors' softmax."""
    logits = log([0.4, 0.3, 0.2, 0.1])
    assert survivors(logits, top_p=0.5) == [0, 1]  # 0.4 < 0.5
    assert survivors(logits, top_k=2, top_p=0.5) == [0]  # 4/7 >= 0.5


@pytest.mark.parametrize("p", [0.3, 0.9, 0.99999])
def test_top_p_over_a_large_vocabulary_matches_a_full_sort(p):
    """Flat logits make the first 256 candidates fall short of p, so the
    sampler widens its partial sort; the prefix must be a full sort's."""
    rng = np.random.default_rng(0)
    logits = (rng.standard_normal(5000) * 0.1).astype(np.float32)
    logits[rng.integers(0, 5000, 300)] = 0.0  # ties
    x = logits.astype(np.float64)
    order = np.lexsort((np.arange(x.size), -x))
    cum = np.cumsum(np.exp(x[order] - x.max()))
    cut = int(np.searchsorted(cum / cum[-1], p))
    assert survivors(logits.tolist(), top_p=p) == sorted(order[: cut + 1].tolist())


# min-p


@pytest.mark.parametrize(
    ("logits", "min_p", "kept"),
    [
        # p >= min_p * 0.5: the 0.1s are kept at 0.19, dropped at 0.21.
        (log([0.5, 0.25, 0.1, 0.05, 0.1]), 0.19, [0, 1, 2, 4]),
        (log([0.5, 0.25, 0.1, 0.05, 0.1]), 0.21, [0, 1]),
        (log([0.5, 0.25, 0.1, 0.05, 0.1]), 0.0, [0, 1, 2, 3, 4]),
        ([3, 1, 3], 1.0, [0, 2]),  # only the (tied) maximum
        ([5, 5, 5], 0.5, [0, 1, 2]),  # all equal
        ([1, -INF, 0], 0.01, [0, 2]),
    ],
)
def test_min_p(logits, min_p, kept):
    assert survivors(logits, min_p=min_p) == kept


def test_the_filters_compose_in_llama_cpp_order():
    """The worked example of test_sampled_frequencies_follow_the_chain."""
    logits = [2.0, 1.5, 1.0, 0.3, -1.0, 0.8, -3.0, 1.2]
    assert survivors(logits, top_k=5) == [0, 1, 2, 5, 7]
    assert survivors(logits, top_k=5, top_p=0.85) == [0, 1, 2, 7]
    assert survivors(logits, top_k=5, top_p=0.85, min_p=0.4) == [0, 1, 7]


# penalties


def penalised(logits, history, **penalties) -> list[float]:
    params = SamplingParams(**penalties)
    return apply_penalties(np.asarray(logits, np.float32), history, params).tolist()


def test_repeat_penalty_divides_positive_and_multiplies_negative_logits():
    logits = [2.0, -2.0, 0.0, 1.0, 3.0]
    assert penalised(logits, [0, 1, 2, 0], repeat_penalty=2.0) == [1, -4, 0, 1, 3]


def test_frequency_and_presence_penalties_subtract_per_count_and_once():
    logits = [2.0, -2.0, 0.0, 1.0, 3.0]
    got = penalised(
        logits,
        [0, 1, 2, 0],
        repeat_penalty=2.0,
        frequency_penalty=0.5,
        presence_penalty=0.25,
    )
    assert got == [1 - 1.0 - 0.25, -4 - 0.5 - 0.25, 0 - 0.5 - 0.25, 1, 3]


def test_penalty_window():
    logits, history = [2.0, 2.0, 2.0], [0, 1, 2, 0]
    assert penalised(logits, history, repeat_penalty=2.0, penalty_last_n=2) == [
        1,
        2,
        1,
    ]
    assert penalised(logits, history, repeat_penalty=2.0, penalty_last_n=0) == logits
    assert penalised(logits, history, frequency_penalty=1.0, penalty_last_n=-1) == [
        0,
        1,
        1,
    ]
    assert penalised(logits, [], repeat_penalty=2.0) == logits


def test_penalties_change_what_survives_and_what_greedy_picks():
    logits = np.array([3.0, 2.5, 0.0], np.float32)
    assert survivors(logits.tolist(), (0,), top_k=1, repeat_penalty=2.0) == [1]
    greedy = Sampler(SamplingParams(temperature=0, repeat_penalty=2.0))
    assert greedy.sample(logits, [0]) == 1
    assert logits.tolist() == [3.0, 2.5, 0.0]  # the caller's row is left alone


def test_history_outside_the_vocabulary_is_refused():
    with pytest.raises(ValueError, match="history"):
        penalised([0.0, 1.0], [2], repeat_penalty=1.1)


# greedy and bad logits


def test_greedy_is_the_argmax():
    rng = np.random.default_rng(1)
    rows = rng.standard_normal((20, 1000)).astype(np.float32)
    for params in (SamplingParams(temperature=0), SamplingParams(greedy=True)):
        sampler = Sampler(params)
        assert [sampler.sample(r) for r in rows] == rows.argmax(axis=1).tolist()
    assert Sampler(SamplingParams(temperature=0)).sample(np.array([1, 3, 3.0])) == 1


@pytest.mark.parametrize("temperature", [0.0, 0.8])
@pytest.mark.parametrize(
    "logits", [[0.0, math.nan], [0.0, INF], [-INF, -INF], [], [[0.0, 1.0]]]
)
def test_logits_without_a_finite_maximum_or_not_a_row_are_refused(temperature, logits):
    sampler = Sampler(SamplingParams(temperature=temperature))
    with pytest.raises(ValueError, match="logits"):
        sampler.sample(np.asarray(logits, np.float32))


# distributions and seeds


def test_sampled_frequencies_follow_the_temperature():
    logits = np.array([1.0, 0.5, 0.0, -0.5, -1.0], np.float32)
    params = SamplingParams(temperature=0.7, top_k=0, top_p=1.0, min_p=0.0, seed=1)
    want = softmax(logits.astype(np.float64) / 0.7)
    assert_draws_match(Sampler(params), logits, dict(enumerate(want)))


def test_sampled_frequencies_follow_the_chain():
    """top-k 5 keeps 0, 1, 7, 2, 5 (logits 2, 1.5, 1.2, 1, 0.8); their
    softmax is .367 .223 .165 .135 .111, whose running sum first reaches
    0.85 at token 2; min-p 0.4 then needs p >= .147 and drops token 2."""
    logits = np.array([2.0, 1.5, 1.0, 0.3, -1.0, 0.8, -3.0, 1.2], np.float32)
    params = SamplingParams(temperature=1.5, top_k=5, top_p=0.85, min_p=0.4, seed=2)
    want = softmax(np.array([2.0, 1.5, 1.2]) / 1.5)
    assert_draws_match(Sampler(params), logits, dict(zip([0, 1, 7], want, strict=True)))


def test_the_same_seed_gives_the_same_tokens():
    rng = np.random.default_rng(3)
    rows = rng.standard_normal((100, 1000)).astype(np.float32)

    def run(seed: int) -> list[int]:
        sampler = Sampler(SamplingParams(temperature=1.0, top_k=0, seed=seed))
        return [sampler.sample(r) for r in rows]

    assert run(7) == run(7)
    assert run(7) != run(8)


def test_defaults_are_llama_cpps_and_draw_from_a_large_vocabulary():
    params = SamplingParams()
    assert (params.temperature, params.top_k, params.top_p, params.min_p) == (
        0.8,
        40,
        0.95,
        0.05,
    )
    assert (params.repeat_penalty, params.penalty_last_n) == (1.0, 64)
    logits = np.random.default_rng(4).standard_normal(49152).astype(np.float32) * 3
    sampler = Sampler(SamplingParams(seed=0))
    kept = sampler.candidates(logits)
    assert 1 <= kept.size <= 40 and logits.argmax() in kept
    assert sampler.sample(logits, [1, 2, 3]) in kept


# parameters


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("temperature", -0.1),
        ("temperature", math.nan),
        ("temperature", INF),
        ("top_k", 2.5),
        ("top_p", 0.0),
        ("top_p", 1.5),
        ("top_p", math.nan),
        ("min_p", -0.1),
        ("min_p", 1.1),
        ("repeat_penalty", 0.0),
        ("repeat_penalty", INF),
        ("frequency_penalty", INF),
        ("presence_penalty", math.nan),
        ("penalty_last_n", -2),
        ("penalty_last_n", 1.0),
        ("seed", -1),
        ("seed", 1.5),
        ("greedy", 1),
    ],
)
def test_invalid_params_name_the_field(field, value):
    with pytest.raises(ValueError, match=rf"SamplingParams\.{field} must"):
        SamplingParams(**{field: value})


def test_the_edges_of_the_valid_ranges_are_accepted():
    SamplingParams(temperature=0, top_k=-1, top_p=1, min_p=1, penalty_last_n=-1)
    SamplingParams(min_p=0, seed=0, frequency_penalty=-1.0, presence_penalty=-1.0)


# stop strings


def stream(checker: StopChecker, pieces: list[str]) -> list[str]:
    """What `checker` shows of `pieces`, fed until a stop string is hit."""
    shown = []
    for piece in pieces:
        shown.append(checker.feed(piece))
        if checker.stop is not None:
            break
    return shown


def test_a_split_stop_string_is_held_back_then_dropped():
    checker = StopChecker(["</s>"])
    assert stream(checker, ["Hello </s", "> more", "!"]) == ["Hello ", ""]
    assert checker.stop == "</s>"
    assert checker.flush() == ""
    with pytest.raises(RuntimeError):
        checker.feed("x")


def test_held_text_that_is_not_a_stop_string_is_released():
    checker = StopChecker(["</s>"])
    assert stream(checker, ["a </", "b>", " c <"]) == ["a ", "</b>", " c "]
    assert checker.stop is None
    assert checker.flush() == "<"


def test_the_earliest_stop_string_wins_and_ends_the_text():
    checker = StopChecker(["END", "\n\n"])
    assert checker.feed("a\n\nbEND") == "a"
    assert checker.stop == "\n\n"


def test_a_stop_string_overlapping_its_own_prefix():
    checker = StopChecker(["abc"])
    assert stream(checker, ["aab", "c"]) == ["a", ""]
    assert checker.stop == "abc"


def test_streaming_one_character_at_a_time():
    checker = StopChecker(["</s>", "User:"])
    shown = "".join(stream(checker, list("The answer: 42. Use</s> more")))
    assert (shown, checker.stop) == ("The answer: 42. Use", "</s>")


def test_no_stop_strings_pass_everything_through():
    checker = StopChecker([])
    assert stream(checker, ["a", "b"]) == ["a", "b"]
    assert checker.flush() == ""


@pytest.mark.parametrize("stops", [[""], "</s>"])
def test_bad_stop_strings_are_refused(stops):
    with pytest.raises(ValueError, match="stops"):
        StopChecker(stops)
