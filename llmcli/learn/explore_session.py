"""The token explorer's state: a path of tokens chosen one at a time on the local model.

At each position the explorer holds the model's distribution over the next token (its top
candidates, its entropy in bits) and the token the sampler draws with the `-o` options. The
user takes that token, or picks another, or types text (its tokens are forced, each with the
probability the model gave it); undo steps back through the session's KV cache (`rewind`);
a branch saves the path so far, and branches can be compared or reopened.

No rendering here: see llmcli.ui.explore_view.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from llmcli.core.errors import InvalidInput


@dataclass(frozen=True)
class Candidate:
    id: int
    piece: str  # readable piece (spaces and newlines made visible)
    prob: float  # under the model's own distribution (softmax of the logits)
    rank: int  # 1 = the most likely token
    sample_prob: float | None = None  # after the sampling options, when any is set


@dataclass
class Step:
    """What the model offers at one position, before a token is chosen there."""

    candidates: list[Candidate]
    entropy: float  # bits, of the model's distribution
    sampled: Candidate
    sample_entropy: float | None = None  # bits, after the sampling options
    logits: np.ndarray | None = None  # kept for the current step only (1 MB)


@dataclass(frozen=True)
class Choice:
    id: int
    piece: str
    prob: float
    rank: int
    entropy: float  # of the distribution it was chosen from
    how: str  # "sampled", "picked" or "typed"


@dataclass
class BranchSummary:
    name: str
    text: str
    tokens: int
    logprob: float
    mean_entropy: float
    diverges_at: int | None  # first token that differs from the first branch shown
    current: bool = False

    @property
    def perplexity(self) -> float:
        return math.exp(-self.logprob / self.tokens) if self.tokens else 1.0


@dataclass
class Explorer:
    model: Any
    tokenizer: Any
    prompt: str
    params: Any  # llmcli.local.sampling.SamplingParams
    top: int = 8
    path: list[Choice] = field(default_factory=list)
    branches: dict[str, list[Choice]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from llmcli.local.sampling import Sampler

        if self.top < 1:
            raise InvalidInput("--top must be at least 1")
        self.sampler = Sampler(self.params)
        self.filtered = self.params.temperature != 1.0 or self.params.top_k or (
            self.params.top_p < 1.0 or self.params.min_p > 0 or self.params.repetition_penalty != 1)
        self.prompt_ids = self.tokenizer.encode(self.prompt, add_bos=True)
        self.session = self.model.new_session()
        self.steps: list[Step] = [self._step(self.session.feed(self.prompt_ids))]

    # -- reading -----------------------------------------------------------------------------
    @property
    def vocab_size(self) -> int:
        return int(self.model.config.vocab_size)

    @property
    def step(self) -> Step | None:
        """The distribution at the current position; None once an end-of-text token is in."""
        return None if self.ended else self.steps[-1]

    @property
    def ended(self) -> bool:
        return bool(self.path) and self.path[-1].id in self.tokenizer.eot_ids

    def text(self, path: list[Choice] | None = None) -> str:
        """The continuation (prompt excluded), special tokens shown as their pieces."""
        ids = [c.id for c in (self.path if path is None else path)]
        return "".join(self.tokenizer.token_texts(ids))

    # -- acting ------------------------------------------------------------------------------
    def next(self) -> Choice:
        """Take the token the sampler drew."""
        step = self._require_step()
        return self._choose(step.sampled.id, "sampled")

    def pick(self, number: int) -> Choice:
        """Take candidate `number` (1 = the most likely) instead of the sampled token."""
        step = self._require_step()
        if not 1 <= number <= len(step.candidates):
            raise InvalidInput(f"pick a number from 1 to {len(step.candidates)}")
        return self._choose(step.candidates[number - 1].id, "picked")

    def type_text(self, text: str) -> list[Choice]:
        """Force the tokens of `text` (no BOS), each scored by the model as it goes in."""
        self._require_step()
        ids = self.tokenizer.encode(text, add_bos=False)
        if not ids:
            raise InvalidInput("type some text after t")
        out = []
        for token in ids:
            if self.ended:
                break
            out.append(self._choose(token, "typed"))
        return out

    def undo(self) -> Choice | None:
        """Step back one token; None when the path is already empty."""
        if not self.path:
            return None
        choice = self.path.pop()
        if len(self.steps) > len(self.path) + 1:
            self.steps.pop()
        self.session.rewind(len(self.prompt_ids) + len(self.path))
        return choice

    def branch(self, name: str = "") -> str:
        """Save the current path under `name` (default: b1, b2, ...)."""
        name = name.strip() or next(f"b{i}" for i in range(1, 10_000)
                                    if f"b{i}" not in self.branches)
        self.branches[name] = list(self.path)
        return name

    def open(self, name: str) -> None:
        """Make a saved branch the current path (the common prefix is kept in the cache)."""
        if name not in self.branches:
            raise KeyError(name)
        target = self.branches[name]
        keep = 0
        while keep < min(len(target), len(self.path)) and target[keep].id == self.path[keep].id:
            keep += 1
        while len(self.path) > keep:
            self.undo()
        for choice in target[keep:]:
            self._choose(choice.id, choice.how)

    def compare(self) -> list[BranchSummary]:
        """Every saved branch, and the current path when it is not saved, in that order."""
        named = list(self.branches.items())
        if not any(p == self.path for _, p in named):
            named.append(("", self.path))
        first = named[0][1] if named else []
        out = []
        for name, path in named:
            differ = next((k for k, (a, b) in enumerate(zip(path, first, strict=False))
                           if a.id != b.id), None)
            if differ is None and len(path) != len(first):
                differ = min(len(path), len(first))
            out.append(BranchSummary(
                name=name, text=self.text(path), tokens=len(path),
                logprob=sum(math.log(max(c.prob, 1e-300)) for c in path),
                mean_entropy=sum(c.entropy for c in path) / len(path) if path else 0.0,
                diverges_at=None if path is first else differ,
                current=path == self.path))
        return out

    # -- inside ------------------------------------------------------------------------------
    def _require_step(self) -> Step:
        step = self.step
        if step is None:
            raise InvalidInput("the text ended (end-of-text token)", hint="u undoes it")
        return step

    def _logits(self, step: Step) -> np.ndarray:
        if step.logits is None:  # after an undo: recompute from the cache
            step.logits = self.session.last_logits()
        return step.logits

    def _choose(self, token: int, how: str) -> Choice:
        from llmcli.local.sampling import log_softmax

        step = self._require_step()
        logp = log_softmax(self._logits(step))
        prob = float(np.exp(logp[token]))
        rank = int((logp > logp[token]).sum()) + 1
        choice = Choice(token, self.tokenizer.readable(token), prob, rank, step.entropy, how)
        self.path.append(choice)
        step.logits = None  # only the current step keeps its 1 MB of logits
        if not self.ended:
            self.steps.append(self._step(self.session.feed([token])))
        return choice

    def _step(self, logits: np.ndarray) -> Step:
        from llmcli.local.sampling import log_softmax, top_entries

        logp = log_softmax(logits)
        probs = np.exp(logp)
        history = self.session.tokens
        final = None
        if self.filtered:
            stages = self.sampler.stages(logits, history)
            final = stages["min_p"]
        sampled = self.sampler.sample(logits, history)[0]

        def candidate(i: int, rank: int) -> Candidate:
            sample = None if final is None else float(final[i])
            return Candidate(i, self.tokenizer.readable(i), float(probs[i]), rank, sample)

        shown = [candidate(i, k + 1) for k, (i, _) in enumerate(top_entries(logp, self.top))]
        hit = next((c for c in shown if c.id == sampled), None)
        if hit is None:
            hit = candidate(sampled, int((logp > logp[sampled]).sum()) + 1)
        return Step(shown, _bits(probs), hit,
                    None if final is None else _bits(final), logits)


def _bits(probs: np.ndarray) -> float:
    """Shannon entropy in bits."""
    p = probs[probs > 0]
    return float(-(p * np.log2(p)).sum())
