"""Repeated runs: median and spread of each pair's timings, and how often the answers agree."""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llmcli.compare.comparison import CellState


@dataclass(frozen=True)
class Spread:
    """Median, extremes and sample standard deviation of one measurement over runs."""

    n: int
    median: float
    low: float
    high: float
    stdev: float | None

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread | None:
        vals = [v for v in values if v is not None]
        if not vals:
            return None
        sd = statistics.stdev(vals) if len(vals) > 1 else None
        return cls(len(vals), statistics.median(vals), min(vals), max(vals), sd)

    def as_dict(self) -> dict[str, Any]:
        return {"n": self.n, "median": self.median, "min": self.low, "max": self.high,
                "stdev": self.stdev}


@dataclass
class Agreement:
    """How often each distinct answer occurred; `rate` is the share of the commonest one."""

    counts: list[tuple[str, int]] = field(default_factory=list)
    total: int = 0
    extracted: bool = False  # answers came from a template's extract, not whole replies

    @property
    def top(self) -> str | None:
        return self.counts[0][0] if self.counts else None

    @property
    def rate(self) -> float | None:
        return self.counts[0][1] / self.total if self.total else None

    def as_dict(self) -> dict[str, Any]:
        return {"answers": [{"answer": a, "count": n} for a, n in self.counts],
                "total": self.total, "rate": self.rate, "extracted": self.extracted}


@dataclass
class PairStats:
    """One (prompt variant, model) pair over its runs."""

    row: int
    column: int
    model: str
    prompt_label: str
    runs: int
    failed: int
    ttft: Spread | None
    total: Spread | None
    tokens_per_second: Spread | None
    output_tokens: Spread | None
    cost: float | None  # summed over runs
    agreement: Agreement
    waited_runs: int = 0  # runs held back by a limit or a 429
    waited_max: float = 0.0
    valid: int | None = None  # --schema: runs whose reply validated

    @property
    def adherence(self) -> float | None:
        """--schema: the share of runs whose reply validated (valid / runs)."""
        return None if self.valid is None else self.valid / self.runs

    def as_dict(self) -> dict[str, Any]:
        def d(s: Spread | None) -> dict[str, Any] | None:
            return s.as_dict() if s else None

        return {
            "row": self.row, "column": self.column, "model": self.model,
            "prompt_label": self.prompt_label, "runs": self.runs, "failed": self.failed,
            "ttft": d(self.ttft), "total": d(self.total),
            "tokens_per_second": d(self.tokens_per_second),
            "output_tokens": d(self.output_tokens), "cost": self.cost,
            "agreement": self.agreement.as_dict(),
            "waited_runs": self.waited_runs, "waited_max": round(self.waited_max, 4),
            **({"valid": self.valid, "adherence": self.adherence}
               if self.valid is not None else {}),
        }


_SPACE = re.compile(r"\s+")


def normalise(answer: str) -> str:
    """Answers that differ only in case, spacing or a final full stop count as the same."""
    return _SPACE.sub(" ", answer).strip().rstrip(".").strip().casefold()


def agreement(answers: Sequence[str | None], *, extracted: bool = False) -> Agreement:
    """Counts of each distinct answer (first spelling kept), commonest first; None skipped."""
    spelling: dict[str, str] = {}
    counter: Counter[str] = Counter()
    for a in answers:
        if a is None:
            continue
        key = normalise(a)
        spelling.setdefault(key, a.strip())
        counter[key] += 1
    counts = [(spelling[k], n) for k, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))]
    return Agreement(counts, sum(counter.values()), extracted)


def pair_stats(states: Sequence[CellState]) -> list[PairStats]:
    """Aggregate the cells of each (prompt, model) pair, in grid order."""
    from llmcli.compare.comparison import tokens_per_second

    groups: dict[tuple[int, int], list[CellState]] = {}
    for s in states:
        groups.setdefault(s.cell.key, []).append(s)
    out = []
    for (row, column), group in sorted(groups.items()):
        ok = [s for s in group if s.response is not None and s.response.status == "complete"]
        responses = [s.response for s in ok if s.response is not None]
        extracted = group[0].cell.variant.extract is not None
        answers = [s.answer if extracted else s.response.text for s in ok if s.response]
        costs = [r.cost for r in responses if r.cost is not None]
        out_tokens = [r.usage.output_tokens for r in responses if r.usage.output_tokens is not None]
        out.append(PairStats(
            row=row, column=column, model=group[0].cell.model,
            prompt_label=group[0].cell.variant.label, runs=len(group), failed=len(group) - len(ok),
            ttft=Spread.of([r.timings.ttft for r in responses if r.timings.ttft is not None]),
            total=Spread.of([r.timings.total for r in responses]),
            tokens_per_second=Spread.of([t for t in (tokens_per_second(r) for r in responses)
                                         if t is not None]),
            output_tokens=Spread.of([float(n) for n in out_tokens]),
            cost=sum(costs) if costs else None,
            agreement=agreement(answers, extracted=extracted),
            waited_runs=sum(1 for s in group if s.was_held),
            waited_max=max(s.waited for s in group),
            valid=(sum(1 for s in group if s.valid) if group[0].valid is not None else None),
        ))
    return out
