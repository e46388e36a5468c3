"""What a batch run did: counters for the progress bar, per-model means, agreement of answers."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

MAX_BAD_LINES_KEPT = 20  # line numbers quoted in the summary; the count is always exact


@dataclass
class ModelStats:
    ok: int = 0
    failed: int = 0
    latency_sum: float = 0.0
    ttft_sum: float = 0.0
    ttft_n: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0
    cost_known: bool = True  # False once any answered record had no price

    def add(self, rec: dict[str, Any]) -> None:
        if rec["status"] != "ok":
            self.failed += 1
            return
        self.ok += 1
        t = rec["timings"]
        self.latency_sum += t.get("total") or 0.0
        if t.get("ttft") is not None:
            self.ttft_sum += t["ttft"]
            self.ttft_n += 1
        u = rec["usage"]
        self.input_tokens += u.get("input_tokens") or 0
        self.output_tokens += u.get("output_tokens") or 0
        if rec.get("cost") is None:
            self.cost_known = False
        else:
            self.cost += rec["cost"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "failed": self.failed,
            "mean_latency": round(self.latency_sum / self.ok, 4) if self.ok else None,
            "mean_ttft": round(self.ttft_sum / self.ttft_n, 4) if self.ttft_n else None,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost": self.cost if self.cost_known and self.ok else None,
        }


@dataclass
class Agreement:
    """Inputs sent to several models: how often their answers (or replies) were the same."""

    compared: int = 0
    agreed: int = 0
    _open: dict[int, dict[str, str | None]] = field(default_factory=dict)
    _expected: dict[int, int] = field(default_factory=dict)

    def expect(self, item_no: int, n_models: int) -> None:
        if n_models > 1:
            self._expected[item_no] = n_models
            self._open[item_no] = {}

    def add(self, item_no: int, model: str, answer: str | None) -> None:
        """`answer` is None when the model failed; the input is then not compared."""
        seen = self._open.get(item_no)
        if seen is None:
            return
        seen[model] = answer
        if len(seen) < self._expected[item_no]:
            return
        del self._open[item_no], self._expected[item_no]
        values = [_norm(a) for a in seen.values() if a is not None]
        if len(values) == len(seen):
            self.compared += 1
            self.agreed += len(set(values)) == 1

    def drop(self, item_no: int) -> None:
        self._open.pop(item_no, None)
        self._expected.pop(item_no, None)

    @property
    def rate(self) -> float | None:
        return self.agreed / self.compared if self.compared else None


def plural(n: int, word: str) -> str:
    """'1 record', '2 records', '1,000 records'."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _norm(text: str) -> str:
    return " ".join(text.split()).strip(" .").casefold()


@dataclass
class BatchStats:
    """Live counters (read by the progress bar) and the final summary."""

    batch_id: str
    total: int | None = None  # expected units (records x models), when known
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None
    read: int = 0  # usable input records
    bad_lines: int = 0
    duplicates: int = 0  # repeated ids left out by --dedupe
    bad_line_numbers: list[int] = field(default_factory=list)
    skipped: int = 0  # units already answered (resume)
    submitted: int = 0
    estimated_tokens: int = 0  # input tokens, estimated (--dry-run)
    in_flight: int = 0
    retried: int = 0  # item-level resubmissions after a failed request
    ok: int = 0
    failed: int = 0
    written: int = 0
    unwritten: int = 0  # finished but not written (the output failed)
    abandoned: int = 0  # still in flight when the run was left (Ctrl-C twice)
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0
    stopped: str | None = None  # why the run ended early, if it did
    fail_codes: dict[int, int] = field(default_factory=dict)  # exit code of each failure's class
    fail_kinds: dict[str, int] = field(default_factory=dict)  # and its kind ('timeout'), for why
    answer_label: str = "reply"  # what agreement compares: "answer" with a template
    models: dict[str, ModelStats] = field(default_factory=dict)
    agreement: Agreement = field(default_factory=Agreement)

    def bad(self, line: int) -> None:
        self.bad_lines += 1
        if len(self.bad_line_numbers) < MAX_BAD_LINES_KEPT:
            self.bad_line_numbers.append(line)

    def finished(self, rec: dict[str, Any]) -> None:
        self.models.setdefault(rec["model"], ModelStats()).add(rec)
        if rec["status"] == "ok":
            self.ok += 1
        else:
            self.failed += 1
        u = rec["usage"]
        self.input_tokens += u.get("input_tokens") or 0
        self.output_tokens += u.get("output_tokens") or 0
        self.cost += rec.get("cost") or 0.0

    @property
    def done(self) -> int:
        return self.ok + self.failed

    @property
    def elapsed(self) -> float:
        return (self.ended or time.monotonic()) - self.started

    @property
    def rate(self) -> float:
        """Finished requests per second."""
        e = self.elapsed
        return self.done / e if e > 0 else 0.0

    @property
    def eta(self) -> float | None:
        if self.total is None or self.rate <= 0:
            return None
        return max(0.0, (self.total - self.skipped - self.done) / self.rate)

    def as_dict(self) -> dict[str, Any]:
        agreement = None
        if self.agreement.compared:
            agreement = {
                "compared": self.agreement.compared,
                "agreed": self.agreement.agreed,
                "rate": round(self.agreement.rate or 0.0, 4),
                "of": self.answer_label,
            }
        return {
            "batch": self.batch_id,
            "read": self.read,
            "bad_lines": self.bad_lines,
            "bad_line_numbers": self.bad_line_numbers,
            "duplicates": self.duplicates,
            "skipped": self.skipped,
            "ok": self.ok,
            "failed": self.failed,
            "retried": self.retried,
            "written": self.written,
            "unwritten": self.unwritten,
            "abandoned": self.abandoned,
            "elapsed": round(self.elapsed, 3),
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost": self.cost,
            "stopped": self.stopped,
            "models": {k: v.as_dict() for k, v in self.models.items()},
            "agreement": agreement,
        }
