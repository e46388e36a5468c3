"""Turning logits into the next token: penalty, temperature, top-k, top-p, min-p, a draw.

Order of the transforms (each stage is visible through `Sampler.stages`):

    logits -> grammar -> repetition penalty -> / temperature -> top-k -> top-p -> min-p -> draw

The grammar stage (local/grammar.py) exists only for structured output: it sets every token
that cannot continue a valid document to -inf, so the later stages never see them.

Temperature 0 means greedy: the highest (penalised) logit wins, no randomness. The log-prob
reported for a token, and the `top` alternatives, come from the model's own distribution
(softmax of the raw logits), as the OpenAI-style `logprobs` do, not from the filtered one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from llmcli.core.errors import InvalidInput


@dataclass(frozen=True)
class SamplingParams:
    temperature: float = 1.0  # 0 -> greedy
    top_k: int = 0  # 0 -> off; else keep the k most likely tokens
    top_p: float = 1.0  # 1 -> off; else the smallest set whose probability reaches top_p
    min_p: float = 0.0  # 0 -> off; else drop tokens below min_p * p(most likely)
    repetition_penalty: float = 1.0  # 1 -> off; >1 discourages tokens seen recently
    penalty_last_n: int = 64  # how many previous tokens the penalty looks at (0 = all)
    seed: int | None = None

    def __post_init__(self) -> None:
        checks = [
            (self.temperature >= 0, f"temperature must be >= 0, got {self.temperature}"),
            (self.top_k >= 0, f"top_k must be >= 0, got {self.top_k}"),
            (0 < self.top_p <= 1, f"top_p must be in (0, 1], got {self.top_p}"),
            (0 <= self.min_p <= 1, f"min_p must be in [0, 1], got {self.min_p}"),
            (self.repetition_penalty > 0, "repetition_penalty must be > 0"),
            (self.penalty_last_n >= 0, "penalty_last_n must be >= 0"),
        ]
        for ok, message in checks:
            if not ok:
                raise InvalidInput(message)

    @property
    def greedy(self) -> bool:
        return self.temperature == 0


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """log of softmax, computed stably in float64 (small log-probs stay accurate)."""
    z = logits.astype(np.float64)
    z -= z.max()
    return z - np.log(np.exp(z).sum())


def top_entries(scores: np.ndarray, n: int) -> list[tuple[int, float]]:
    """The n largest entries as (index, value), largest first."""
    n = min(n, scores.size)
    if n <= 0:
        return []
    idx = np.argpartition(-scores, n - 1)[:n]
    idx = idx[np.argsort(-scores[idx], kind="stable")]
    return [(int(i), float(scores[i])) for i in idx]


class Grammar(Protocol):
    """What the sampler needs of a grammar stage (local/grammar.GrammarStage)."""

    def apply(self, logits: np.ndarray) -> np.ndarray: ...
    def advance(self, token: int) -> None: ...


class Sampler:
    """Draws tokens with `SamplingParams`; seeded samplers repeat their choices exactly.
    With a `grammar`, only tokens it allows can be drawn; `accept` moves it past a token."""

    def __init__(self, params: SamplingParams | None = None, grammar: Grammar | None = None):
        self.params = params or SamplingParams()
        self.rng = np.random.default_rng(self.params.seed)
        self.grammar = grammar

    def accept(self, token: int) -> None:
        """The token was emitted: the grammar (if any) moves past it."""
        if self.grammar is not None:
            self.grammar.advance(token)

    def penalize(self, logits: np.ndarray, history: Sequence[int]) -> np.ndarray:
        """Repetition penalty (CTRL / llama.cpp style): a recent token's positive logit is
        divided by the penalty, a negative one multiplied, so it always becomes less likely."""
        p = self.params
        out = np.array(logits, dtype=np.float32)
        if p.repetition_penalty == 1.0 or not len(history):
            return out
        recent = history[-p.penalty_last_n :] if p.penalty_last_n else history
        ids = np.unique(np.asarray(recent, dtype=np.int64))
        values = out[ids]
        penalty = p.repetition_penalty
        out[ids] = np.where(values > 0, values / penalty, values * penalty)
        return out

    def _filter(self, scaled: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict[str, tuple]]:
        """Apply top-k, top-p, min-p to tempered logits -> (kept ids, their probs, stages).

        Written to stay cheap on a 262,144-token vocabulary: top-k and the nucleus search use
        argpartition (linear time) and sort only the few candidates, never the whole vocab.
        """
        p = self.params
        stages: dict[str, tuple] = {}
        ids = np.arange(scaled.size)
        z = scaled
        if p.top_k and p.top_k < scaled.size:
            ids = np.argpartition(-scaled, p.top_k - 1)[: p.top_k]
            z = scaled[ids]
        probs = np.exp(z - z.max())
        probs /= probs.sum(dtype=np.float64)
        stages["top_k"] = (ids, probs)
        if p.top_p < 1.0:
            keep = _nucleus(probs, p.top_p)
            ids, probs = ids[keep], probs[keep] / probs[keep].sum(dtype=np.float64)
        stages["top_p"] = (ids, probs)
        if p.min_p > 0.0:
            keep = np.flatnonzero(probs >= p.min_p * probs.max())
            ids, probs = ids[keep], probs[keep] / probs[keep].sum(dtype=np.float64)
        stages["min_p"] = (ids, probs)
        return ids, probs, stages

    def stages(self, logits: np.ndarray, history: Sequence[int] = ()) -> dict[str, np.ndarray]:
        """Probability vectors [vocab] after each transform, in order, for inspection:
        softmax (raw), grammar (only with one), penalty, temperature, top_k, top_p, min_p.
        Each sums to 1."""
        vocab = logits.size
        out = {"softmax": np.exp(log_softmax(logits))}
        if self.grammar is not None:
            logits = self.grammar.apply(logits)
            out["grammar"] = np.exp(log_softmax(logits))
        penalized = self.penalize(logits, history)
        out["penalty"] = np.exp(log_softmax(penalized))
        if self.params.greedy:
            onehot = np.zeros(vocab)
            onehot[int(np.argmax(penalized))] = 1.0
            for name in ("temperature", "top_k", "top_p", "min_p"):
                out[name] = onehot
            return out
        scaled = penalized / np.float32(self.params.temperature)
        out["temperature"] = np.exp(log_softmax(scaled))
        for name, (ids, probs) in self._filter(scaled)[2].items():
            full = np.zeros(vocab)
            full[ids] = probs
            out[name] = full
        return out

    def sample(
        self, logits: np.ndarray, history: Sequence[int] = (), top_n: int = 0
    ) -> tuple[int, float, list[tuple[int, float]]]:
        """Pick the next token -> (id, its log-prob, the top_n (id, log-prob) alternatives)."""
        allowed = self.grammar.apply(logits) if self.grammar is not None else logits
        penalized = self.penalize(allowed, history)
        if self.params.greedy:
            token = int(np.argmax(penalized))
        else:
            ids, probs, _ = self._filter(penalized / np.float32(self.params.temperature))
            if np.any(ids[1:] < ids[:-1]):  # a fixed order, so a seed means the same token
                order = np.argsort(ids)
                ids, probs = ids[order], probs[order]
            cumulative = np.cumsum(probs, dtype=np.float64)
            u = self.rng.random() * cumulative[-1]
            token = int(ids[min(int(np.searchsorted(cumulative, u, side="right")), ids.size - 1)])
        # log p = logit - log(sum(exp(logits))): one pass, no full log-softmax vector needed.
        peak = float(logits.max())
        log_norm = peak + float(np.log(np.exp(logits - np.float32(peak)).sum(dtype=np.float64)))
        top = [(i, value - log_norm) for i, value in top_entries(logits, top_n)]
        return token, float(logits[token]) - log_norm, top


def _nucleus(probs: np.ndarray, top_p: float) -> np.ndarray:
    """Indices of the smallest most-likely set whose probability reaches top_p (the token
    crossing the threshold included), most likely first."""
    candidates = np.arange(probs.size)
    size = min(probs.size, 1024)
    while True:
        if size < probs.size:
            candidates = np.argpartition(-probs, size - 1)[:size]
        ranked = candidates[np.argsort(-probs[candidates], kind="stable")]
        cumulative = np.cumsum(probs[ranked], dtype=np.float64)
        if cumulative[-1] >= top_p or size >= probs.size:
            return ranked[: int(np.searchsorted(cumulative, top_p)) + 1]
        size = min(probs.size, size * 16)  # a flat distribution: look further
