"""Choosing the next token from a decoder's logits, the way llama.cpp does.

    sampler = Sampler(SamplingParams(temperature=0.7, seed=42))
    token = sampler.sample(logits, history)     # logits: [vocab], one step

The chain is llama.cpp's default order (`common/sampling.cpp`), so the same
settings mean the same thing as in `llama-cli`:

1. penalties: for each distinct token among the last `penalty_last_n` of
   `history`, seen `count` times, a logit `l` becomes `l / repeat_penalty`
   if `l > 0`, else `l * repeat_penalty` (dividing a negative logit would
   make the token *more* likely), and then
   `- count * frequency_penalty - presence_penalty`.
2. greedy (`greedy=True` or `temperature == 0`): the argmax, lowest id on
   ties; the filters below never drop the argmax, so they are skipped.
3. top-k (`top_k > 0`): the `top_k` highest logits, lowest ids on ties.
4. top-p: sort the candidates by logit (descending, lowest id first on
   ties) and keep the shortest prefix whose probabilities (softmax at
   temperature 1 over the candidates) sum to >= `top_p`; 1 means off.
5. min-p: keep tokens whose probability is >= `min_p` * the largest one;
   0 means off.
6. temperature: divide the surviving logits by it, softmax, draw one.

Every filter keeps at least the most probable token (llama.cpp's
`min_keep = 1`), and a token whose logit is -inf is never drawn.  The
sampler owns its random generator, so a seed and the same logits give the
same tokens.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

History = Sequence[int] | npt.NDArray[np.integer]


def _fail(field: str, rule: str, value: object) -> None:
    raise ValueError(f"SamplingParams.{field} {rule}, got {value!r}")


def _is_real(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


@dataclass(frozen=True)
class SamplingParams:
    """Settings of the sampling chain; the defaults are llama.cpp's.

    `penalty_last_n` counts back from the end of `history` (-1: all of it,
    0: no penalties).  `seed=None` seeds from the OS, as llama.cpp's default
    seed does.
    """

    temperature: float = 0.8
    top_k: int = 40
    top_p: float = 0.95
    min_p: float = 0.05
    repeat_penalty: float = 1.0
    frequency_penalty: float = 0.0
    presence_penalty: float = 0.0
    penalty_last_n: int = 64
    seed: int | None = None
    greedy: bool = False

    def __post_init__(self) -> None:
        t = self.temperature
        if not (_is_real(t) and 0 <= t < math.inf):
            _fail("temperature", "must be a finite number >= 0 (0: greedy)", t)
        if not _is_int(self.top_k):
            _fail("top_k", "must be an integer (<= 0: off)", self.top_k)
        if not (_is_real(self.top_p) and 0 < self.top_p <= 1):
            _fail("top_p", "must be in (0, 1] (1: off)", self.top_p)
        if not (_is_real(self.min_p) and 0 <= self.min_p <= 1):
            _fail("min_p", "must be in [0, 1] (0: off)", self.min_p)
        r = self.repeat_penalty
        if not (_is_real(r) and 0 < r < math.inf):
            _fail("repeat_penalty", "must be a finite number > 0 (1: off)", r)
        for field in ("frequency_penalty", "presence_penalty"):
            value = getattr(self, field)
            if not (_is_real(value) and math.isfinite(value)):
                _fail(field, "must be a finite number (0: off)", value)
        n = self.penalty_last_n
        if not (_is_int(n) and n >= -1):
            _fail("penalty_last_n", "must be an integer >= -1 (-1: all, 0: off)", n)
        if self.seed is not None and not (_is_int(self.seed) and self.seed >= 0):
            _fail("seed", "must be None or an integer >= 0", self.seed)
        if not isinstance(self.greedy, bool):
            _fail("greedy", "must be a bool", self.greedy)


def apply_penalties(
    logits: npt.ArrayLike, history: History, params: SamplingParams
) -> npt.NDArray[np.float64]:
    """Step 1 of the chain on a float64 copy of `logits` (the caller's array
    is left alone: generation loops often keep it)."""
    x = np.array(logits, dtype=np.float64)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"logits must be one non-empty row, got shape {x.shape}")
    n = params.penalty_last_n
    off = (
        params.repeat_penalty == 1
        and params.frequency_penalty == 0
        and params.presence_penalty == 0
    )
    if n == 0 or off or len(history) == 0:
        return x
    recent = np.asarray(history if n == -1 else history[-n:], dtype=np.int64)
    if recent.min() < 0 or recent.max() >= x.size:
        raise ValueError(f"history holds a token id outside [0, {x.size})")
    ids, counts = np.unique(recent, return_counts=True)
    v = x[ids]
    v = np.where(v > 0, v / params.repeat_penalty, v * params.repeat_penalty)
    x[ids] = v - counts * params.frequency_penalty - params.presence_penalty
    return x


def _top_k(x: npt.NDArray[np.float64], k: int) -> npt.NDArray[np.intp]:
    """Indices of the k largest values, ascending; lowest indices on ties.

    A partition rather than a sort: O(n), which matters at 50k tokens."""
    kth = np.partition(x, x.size - k)[x.size - k]
    above = np.flatnonzero(x > kth)
    ties = np.flatnonzero(x == kth)[: k - above.size]
    return np.sort(np.concatenate((above, ties)))


_TOP_P_FIRST_TRY = 256
"""How many of the best candidates top-p first sorts: usually they hold p of
the mass, and sorting a whole 50k vocabulary costs milliseconds."""


def _top_p(
    ids: npt.NDArray[np.intp], v: npt.NDArray[np.float64], p: float
) -> npt.NDArray[np.intp]:
    """The top-p prefix of candidates `ids` (ascending) with logits `v`.

    Sorts the best `m` candidates, and only if they fall short of `p` tries
    16 times as many: the prefix, and every sum on the way to it, are the
    same as a full sort's."""
    w = np.exp(v - v.max())
    total = w.sum()
    m = _TOP_P_FIRST_TRY
    while True:
        best = _top_k(v, m) if m < v.size else np.arange(v.size)
        order = best[np.argsort(-v[best], kind="stable")]
        cut = int(np.searchsorted(np.cumsum(w[order]) / total, p))
        if cut < order.size or m >= v.size:
            return ids[order[: cut + 1]]
        m *= 16


class Sampler:
    """The sampling chain of `params` with its own random generator."""

    def __init__(self, params: SamplingParams | None = None) -> None:
        self.params = params if params is not None else SamplingParams()
        self._rng = np.random.Generator(np.random.PCG64(self.params.seed))

    def sample(self, logits: npt.ArrayLike, history: History = ()) -> int:
        """The next token for one row of logits ([vocab]) after `history`
        (prompt and generated tokens, which llama.cpp's penalties both count)."""
        x = apply_penalties(logits, history, self.params)
        if self.params.greedy or self.params.temperature == 0:
            best = int(np.argmax(x))
            _check_top(float(x[best]))
            return best
        ids = self._filter(x)
        v = x[ids]
        w = np.exp((v - v.max()) / self.params.temperature)
        # Normalised, the last sum is exactly 1 > any draw; a zero weight
        # never comes first past the draw, so it is never chosen.
        cdf = np.cumsum(w)
        cdf /= cdf[-1]
        return int(ids[np.searchsorted(cdf, self._rng.random(), side="right")])

    def candidates(
        self, logits: npt.ArrayLike, history: History = ()
    ) -> npt.NDArray[np.intp]:
        """The token ids that survive penalties, top-k, top-p and min-p (in
        no particular order): what `sample` draws from."""
        return self._filter(apply_penalties(logits, history, self.params))

    def _filter(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.intp]:
        p = self.params
        top = float(x.max())
        _check_top(top)
        ids = np.arange(x.size)
        if 0 < p.top_k < x.size:
            ids = _top_k(x, p.top_k)
        if p.top_p < 1:
            ids = _top_p(ids, x[ids], p.top_p)
        if p.min_p > 0:
            ids = ids[x[ids] >= top + math.log(p.min_p)]
        return ids[x[ids] > -math.inf]


def _check_top(top: float) -> None:
    """NaN propagates to the max, as does +inf; all -inf leaves nothing."""
    if not -math.inf < top < math.inf:
        raise ValueError(
            f"logits must hold no NaN or +inf and one finite value, got max {top}"
        )


class StopChecker:
    """Streams generated text and stops at the first of the stop strings.

    `feed` returns the text that is safe to show: it holds back a tail that
    could still become a stop string ("</s" when "</s>" is one), and when a
    stop string completes returns the text before it and sets `stop`; the
    stop string and anything after it are dropped.  At the end of
    generation `flush` returns what is held back.
    """

    def __init__(self, stops: Sequence[str]) -> None:
        if isinstance(stops, str) or not all(isinstance(s, str) and s for s in stops):
            raise ValueError(
                f"stops must be a sequence of non-empty strings: {stops!r}"
            )
        self.stops = tuple(stops)
        self.stop: str | None = None
        self._held = ""
        self._longest = max((len(s) for s in self.stops), default=0)

    def feed(self, piece: str) -> str:
        if self.stop is not None:
            raise RuntimeError(f"text fed after stop string {self.stop!r}")
        text = self._held + piece
        hits = [(text.find(s), s) for s in self.stops]
        hits = [hit for hit in hits if hit[0] >= 0]
        if hits:
            start, self.stop = min(hits, key=lambda hit: hit[0])
            self._held = ""
            return text[:start]
        # The earliest start of a stop string that runs past the end.
        keep = next(
            (
                i
                for i in range(max(0, len(text) - self._longest + 1), len(text))
                if any(s.startswith(text[i:]) for s in self.stops)
            ),
            len(text),
        )
        self._held = text[keep:]
        return text[:keep]

    def flush(self) -> str:
        held, self._held = self._held, ""
        return held
