"""Beam search on the numpy engine: keep the `width` most likely continuations at each step.

At every step each live beam is extended by every vocabulary token; the `width` extensions
with the highest cumulative log-probability are kept, the rest are pruned. An extension that
ends with a stop token (EOS) leaves the beam as a finished hypothesis; the others go on.
The search ends when no beam is live or after `max_tokens` tokens; with no length
normalisation it also ends as soon as a finished hypothesis scores at least as well as every
live beam (log-probabilities only fall, so none of them could overtake it).

Length normalisation: hypotheses of different lengths are compared by
`sum(log p) / length ** length_penalty` (the Hugging Face convention): 0 compares raw sums
(short outputs win), 1 (the default) the mean log-probability per token. Within one step every
candidate has the same length, so the choice of beams is the same whatever the penalty; it
decides which finished hypothesis wins.

The beams decode together: one batched step per token (see beam_step.py), so a beam of 4
costs about what greedy decoding does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from llmcli.core.errors import InvalidInput
from llmcli.local.beam_step import BeamCache, decode_step
from llmcli.local.blas import blas_threads
from llmcli.local.generate import GeneratedToken

MAX_WIDTH = 64
DEFAULT_LENGTH_PENALTY = 1.0


@dataclass(frozen=True)
class Hypothesis:
    """A continuation: its token ids, each token's log-prob, and whether it ended (EOS)."""

    ids: tuple[int, ...]
    logprobs: tuple[float, ...]
    finished: bool = False

    @property
    def logprob(self) -> float:
        """The cumulative log-probability of the continuation."""
        return float(sum(self.logprobs))

    def score(self, length_penalty: float) -> float:
        """The log-probability normalised by length ** length_penalty (0: the raw sum)."""
        return self.logprob / max(1, len(self.ids)) ** length_penalty


@dataclass
class BeamStep:
    index: int
    kept: list[Hypothesis]  # best first; finished ones included
    pruned: list[Hypothesis]  # the best extensions that did not make the cut, best first


@dataclass
class BeamResult:
    width: int
    length_penalty: float
    best: Hypothesis
    finished: list[Hypothesis]
    steps: list[BeamStep] = field(default_factory=list)
    stopped: str = "length"  # "eos" (every beam ended), "length" (max tokens), "bound"


def check_width(width: int) -> None:
    if not 1 <= width <= MAX_WIDTH:
        raise InvalidInput(f"beam width must be between 1 and {MAX_WIDTH}, got {width}")


def beam_search(
    session: object,
    prompt_ids: Sequence[int],
    width: int,
    max_tokens: int,
    stop_ids: set[int] | frozenset[int] = frozenset(),
    *,
    length_penalty: float = DEFAULT_LENGTH_PENALTY,
    pruned_shown: int | None = None,
    on_step: Callable[[BeamStep], None] | None = None,
) -> BeamResult:
    """Search the continuations of `prompt_ids` on a numpy-engine `Session`.

    An empty prompt continues from what the session holds. The session is left holding the
    prompt only (the beams' own keys and values live in a BeamCache of this call).
    `pruned_shown` caps how many pruned extensions each step records (default: `width`).
    """
    check_width(width)
    if max_tokens < 1:
        raise InvalidInput("max_tokens must be at least 1")
    model = session.model  # type: ignore[attr-defined]
    logits = session.feed(list(prompt_ids)) if prompt_ids else session.last_logits()  # type: ignore[attr-defined]
    cache = BeamCache(model.config, session.cache, session.pos)  # type: ignore[attr-defined]
    live = [Hypothesis((), ())]
    table = _LogProbs(logits[None, :])  # each live beam's next-token log-probs
    finished: list[Hypothesis] = []
    steps: list[BeamStep] = []
    shown = width if pruned_shown is None else pruned_shown
    stopped = "length"
    for index in range(max_tokens):
        kept_at, pruned_at = _best_extensions(live, table, width, shown)
        kept = [_extend(live[p], t, table[p, t], stop_ids) for p, t in kept_at]
        step = BeamStep(index, kept, [_extend(live[p], t, table[p, t], stop_ids)
                                      for p, t in pruned_at])
        steps.append(step)
        if on_step is not None:
            on_step(step)
        finished += [h for h in kept if h.finished]
        parents = [p for (p, _), h in zip(kept_at, kept, strict=True) if not h.finished]
        live = [h for h in kept if not h.finished]
        if not live:
            stopped = "eos"
            break
        if length_penalty == 0 and finished and (
                max(h.logprob for h in finished) >= max(h.logprob for h in live)):
            stopped = "bound"
            break
        if index == max_tokens - 1:
            break
        cache.reorder(parents)
        with blas_threads(1):
            logits = decode_step(model, cache, [h.ids[-1] for h in live])
        table = _LogProbs(logits)
    pool = finished + (live if stopped != "eos" else [])
    best = max(pool, key=lambda h: h.score(length_penalty))  # first of equals: kept order
    return BeamResult(width, length_penalty, best, finished, steps, stopped)


class _LogProbs:
    """log-softmax of each row of logits [rows, vocab], computed only where it is read:
    one normaliser per row (a float32 exp pass), no float64 copy of the whole table."""

    def __init__(self, logits: np.ndarray):
        self.logits = logits
        peak = logits.max(axis=1)
        sums = np.exp(logits - peak[:, None]).sum(axis=1, dtype=np.float64)
        self.norm = peak.astype(np.float64) + np.log(sums)

    @property
    def shape(self) -> tuple[int, int]:
        return self.logits.shape

    def __getitem__(self, at: tuple[int, int] | tuple[int, np.ndarray]) -> np.ndarray | float:
        row, cols = at
        return self.logits[row, cols].astype(np.float64) - self.norm[row]


def _best_extensions(live: list[Hypothesis], table: _LogProbs, width: int,
                     shown: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(parent, token) of the `width` best extensions, then of the next `shown` ones.

    Ranked by cumulative log-prob; ties by parent then token id, so the order is exact and
    repeatable. Only each row's top `width + shown` tokens can place, so the full [live, vocab]
    table is never sorted.
    """
    want = width + shown
    rows, vocab = table.shape
    per_row = min(want, vocab)
    base = np.array([h.logprob for h in live])
    parents, tokens, scores = [], [], []
    for p in range(rows):
        row = table.logits[p]
        top = np.argpartition(-row, per_row - 1)[:per_row] if per_row < vocab else np.arange(vocab)
        parents.append(np.full(top.size, p))
        tokens.append(top)
        scores.append(base[p] + table[p, top])
    parent = np.concatenate(parents)
    token = np.concatenate(tokens)
    score = np.concatenate(scores)
    order = np.lexsort((token, parent, -score))[:want]
    pairs = [(int(parent[i]), int(token[i])) for i in order]
    return pairs[:width], pairs[width:]


def _extend(h: Hypothesis, token: int, logprob: float, stop_ids: set[int] | frozenset[int]
            ) -> Hypothesis:
    return Hypothesis((*h.ids, token), (*h.logprobs, float(logprob)), token in stop_ids)


def beam_tokens(session: object, prompt_ids: Sequence[int], width: int, max_tokens: int,
                stop_ids: set[int] | frozenset[int] = frozenset(), *,
                length_penalty: float = DEFAULT_LENGTH_PENALTY) -> Iterator[GeneratedToken]:
    """The best hypothesis as generated tokens (the stop token flagged), for streaming.

    The search runs to the end first: a beam's early tokens can change until it is done.
    Afterwards the session holds the prompt only (a next turn re-feeds the reply).
    """
    result = beam_search(session, prompt_ids, width, max_tokens, stop_ids,
                         length_penalty=length_penalty, pruned_shown=0)
    for token, logprob in zip(result.best.ids, result.best.logprobs, strict=True):
        yield GeneratedToken(token, logprob, [], token in stop_ids)
