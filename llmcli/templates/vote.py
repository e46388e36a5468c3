"""Self-consistency voting: group equivalent answers, count them, pick the most common.

Methods:
- majority: answers compared after normalising case, spacing, Markdown marks, final
  punctuation and number formatting ("42", "42.0", "**42**." are one answer);
- exact: compared as written (only surrounding spaces ignored);
- numeric: the first number in each answer (1,000 = 1000; 3,5 = 3.5), other text ignored.
Ties go to the answer seen first, so the result is repeatable.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

_NUMBER = re.compile(r"[-+−]?\d[\d.,]*")
_MARKS = re.compile(r"[*_`\"'“”‘’«»]")
_EDGE_PUNCT = " \t\n.,;:!?。"


@dataclass
class Bucket:
    """One distinct answer: how it was first written, and how many samples gave it."""

    answer: str
    count: int
    samples: list[int] = field(default_factory=list)


@dataclass
class VoteResult:
    winner: str | None
    buckets: list[Bucket]  # most votes first
    total: int  # samples taken
    missing: int  # samples with no extractable answer
    tie: bool = False

    @property
    def votes(self) -> int:
        """Votes for the winner."""
        return self.buckets[0].count if self.buckets else 0

    @property
    def agreement(self) -> float:
        """Share of all samples that gave the winning answer (0 when none answered)."""
        return self.votes / self.total if self.total else 0.0

    def as_dict(self) -> dict:
        return {
            "answer": self.winner,
            "votes": self.votes,
            "samples": self.total,
            "no_answer": self.missing,
            "agreement": round(self.agreement, 4),
            "tie": self.tie,
            "distribution": [{"answer": b.answer, "count": b.count} for b in self.buckets],
        }


def parse_number(text: str) -> Decimal | None:
    """The first number in text. With both ',' and '.', the last one is the decimal point;
    a lone ',' followed by exactly three digits groups thousands, otherwise it is decimal."""
    match = _NUMBER.search(text.replace("\u00a0", "").replace(" ", ""))
    if not match:
        return None
    raw = match.group(0).replace("−", "-").rstrip(".,")
    if "," in raw and "." in raw:
        dec = "," if raw.rfind(",") > raw.rfind(".") else "."
        raw = raw.replace("." if dec == "," else ",", "").replace(",", ".")
    elif "," in raw:
        parts = raw.split(",")
        thousands = len(parts) > 2 or (len(parts) == 2 and len(parts[1]) == 3)
        raw = raw.replace(",", "") if thousands else raw.replace(",", ".")
    elif raw.count(".") > 1:
        raw = raw.replace(".", "")  # 1.234.567 groups thousands
    try:
        return Decimal(raw)
    except InvalidOperation:
        return None


def _number_key(value: Decimal) -> str:
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return format(value.normalize(), "f")


def normalize(answer: str, method: str = "majority") -> str | None:
    """The key equivalent answers share under a voting method (None: not countable)."""
    if method == "exact":
        return answer.strip() or None
    if method == "numeric":
        number = parse_number(answer)
        return _number_key(number) if number is not None else None
    text = unicodedata.normalize("NFKC", answer)
    text = _MARKS.sub("", text)
    text = " ".join(text.split()).strip(_EDGE_PUNCT).casefold()
    if not text:
        return None
    number = parse_number(text)
    if number is not None and _NUMBER.fullmatch(text.replace(" ", "")):
        return _number_key(number)  # the answer is just a number
    return text


def vote(answers: list[str | None], method: str = "majority") -> VoteResult:
    """Count answers (None for a sample whose answer could not be extracted)."""
    buckets: dict[str, Bucket] = {}
    missing = 0
    for i, answer in enumerate(answers):
        key = normalize(answer, method) if answer is not None else None
        if key is None:
            missing += 1
            continue
        bucket = buckets.setdefault(key, Bucket(answer.strip(), 0))  # type: ignore[union-attr]
        bucket.count += 1
        bucket.samples.append(i)
    # Stable sort: among equal counts the answer seen first stays first.
    ordered = sorted(buckets.values(), key=lambda b: -b.count)
    tie = len(ordered) > 1 and ordered[0].count == ordered[1].count
    winner = ordered[0].answer if ordered else None
    return VoteResult(winner, ordered, len(answers), missing, tie)
