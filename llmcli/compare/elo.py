"""Elo ratings from blind votes.

A vote names the models that were shown and either one winner or a tie. A winner beats every
other model shown; a tie is a draw between every pair. Votes are applied in the order they
were cast; within one vote every pairing uses the ratings from before that vote, so the order
of the columns never matters.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations

INITIAL = 1000.0
K = 32.0


@dataclass(frozen=True)
class Vote:
    models: tuple[str, ...]  # every model shown, as provider:model
    winner: str | None  # None for a tie

    def __post_init__(self) -> None:
        if len(set(self.models)) < 2:
            raise ValueError("a vote needs at least two different models")
        if self.winner is not None and self.winner not in self.models:
            raise ValueError(f"winner {self.winner!r} was not among the models shown")


@dataclass
class Standing:
    model: str
    rating: float = INITIAL
    votes: int = 0
    wins: int = 0
    ties: int = 0
    losses: int = 0

    def as_dict(self) -> dict[str, object]:
        return {"model": self.model, "elo": round(self.rating, 1), "votes": self.votes,
                "wins": self.wins, "ties": self.ties, "losses": self.losses}


def expected(ra: float, rb: float) -> float:
    """The chance that a player rated `ra` beats one rated `rb`."""
    return 1.0 / (1.0 + 10 ** ((rb - ra) / 400.0))


@dataclass
class Ratings:
    k: float = K
    initial: float = INITIAL
    table: dict[str, Standing] = field(default_factory=dict)

    def standing(self, model: str) -> Standing:
        if model not in self.table:
            self.table[model] = Standing(model, self.initial)
        return self.table[model]

    def apply(self, vote: Vote) -> None:
        models = list(dict.fromkeys(vote.models))  # a model shown twice counts once
        before = {m: self.standing(m).rating for m in models}
        delta = dict.fromkeys(models, 0.0)
        for a, b in combinations(models, 2):
            if vote.winner is None:
                score_a = 0.5
            elif vote.winner in (a, b):
                score_a = 1.0 if vote.winner == a else 0.0
            else:
                continue  # two losers of the same vote: no information between them
            change = self.k * (score_a - expected(before[a], before[b]))
            delta[a] += change
            delta[b] -= change
        for m in models:
            s = self.standing(m)
            s.rating += delta[m]
            s.votes += 1
            if vote.winner is None:
                s.ties += 1
            elif vote.winner == m:
                s.wins += 1
            else:
                s.losses += 1

    def ranked(self) -> list[Standing]:
        return sorted(self.table.values(), key=lambda s: (-s.rating, -s.votes, s.model))


def ratings(votes: Iterable[Vote], *, k: float = K, initial: float = INITIAL) -> list[Standing]:
    """Apply the votes in order; the standings, best first."""
    r = Ratings(k=k, initial=initial)
    for v in votes:
        r.apply(v)
    return r.ranked()


def blind_labels(n: int) -> list[str]:
    """A, B, C, ... Z, then AA, AB, ..."""
    out = []
    for i in range(n):
        label, j = "", i
        while True:
            label = chr(ord("A") + j % 26) + label
            j = j // 26 - 1
            if j < 0:
                break
        out.append(label)
    return out


def parse_choice(text: str, labels: Sequence[str]) -> str | None:
    """'a' -> 'A', 'tie' -> 'tie', 'skip' -> 'skip', anything else -> None (ask again)."""
    word = text.strip().casefold()
    for label in labels:
        if word == label.casefold():
            return label
    if word in ("tie", "t", "=", "draw"):
        return "tie"
    if word in ("skip", "s"):
        return "skip"
    return None
