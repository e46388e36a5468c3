"""Assertions: one reply checked against one expectation, with promptfoo's meaning.

Text assertions look at the answer when the prompt's template (or the prompt) has an
`extract` rule, else at the whole reply; `llm-rubric` always grades the whole reply.
`similar` and `llm-rubric` need a model: they call the `Graders` they are given, so this
module never touches a provider itself.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from llmcli.core.errors import InvalidInput
from llmcli.eval.suite import Assertion

REGEX_SECONDS = 1.0
SIMILAR_THRESHOLD = 0.75  # promptfoo's default for `similar`


@dataclass(frozen=True)
class Reply:
    """What an assertion can look at."""

    text: str
    answer: str | None = None
    extracts: bool = False  # whether an extract rule applied (then `answer` is the target)
    latency: float | None = None  # seconds
    cost: float | None = None

    @property
    def target(self) -> str:
        if self.extracts:
            return self.answer or ""
        return self.text


@dataclass
class Result:
    """One assertion's verdict: pass, a 0-1 score, and why."""

    type: str
    passed: bool
    score: float
    reason: str
    weight: float = 1.0
    metric: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, "pass": self.passed, "score": round(self.score, 4),
                "reason": self.reason, "weight": self.weight, "metric": self.metric}


Similarity = Callable[[str, list[str], str | None], list[float]]
Rubric = Callable[[str, str, str | None], tuple[bool, float, str]]


@dataclass
class Graders:
    """Model-backed checks: `similarity(text, expected, embedder)` -> cosines, and
    `rubric(output, rubric, grader)` -> (pass, score, reason)."""

    similarity: Similarity | None = None
    rubric: Rubric | None = None
    grader: str | None = None  # --grader
    embedder: str | None = None  # --embedder
    case_provider: str | None = None  # the test's options.provider: beats both flags

    def pick(self, assertion: Assertion) -> str | None:
        """The model an assertion names, else its test's, else the command line's."""
        fallback = self.grader if assertion.base == "llm-rubric" else self.embedder
        return assertion.provider or self.case_provider or fallback


def check(a: Assertion, reply: Reply, value: Any, graders: Graders | None = None) -> Result:
    """Run one assertion (`value` already rendered with the case's vars)."""
    passed, score, reason = _BASE[a.base](a, reply, value, graders or Graders())
    if a.negated:
        passed, score = not passed, 1.0 - score
        reason = f"not: {reason}"
    return Result(a.type, passed, score, reason, a.weight, a.metric)


def grade(results: list[Result], threshold: float | None) -> tuple[bool, float]:
    """The case's pass and score: the weighted mean of the scores; with a threshold the case
    passes when the score reaches it, else when every weighted assertion passed."""
    weighted = [r for r in results if r.weight > 0]
    total = sum(r.weight for r in weighted)
    score = (sum(r.weight * r.score for r in weighted) / total) if total else (
        1.0 if all(r.passed for r in results) else 0.0)
    if threshold is not None:
        return score >= threshold, score
    return all(r.passed for r in weighted), score


def _verdict(ok: bool, why_pass: str, why_fail: str) -> tuple[bool, float, str]:
    return ok, 1.0 if ok else 0.0, why_pass if ok else why_fail


def _shown(text: str, limit: int = 60) -> str:
    one = " ".join(text.split())
    return repr(one if len(one) <= limit else one[: limit - 1] + "…")


def _no_answer(reply: Reply) -> tuple[bool, float, str] | None:
    if reply.extracts and reply.answer is None:
        return False, 0.0, "no answer could be extracted from the reply"
    return None


def _equals(a: Assertion, reply: Reply, value: Any, g: Graders) -> tuple[bool, float, str]:
    if (missing := _no_answer(reply)) is not None:
        return missing
    got = reply.target.strip()
    if isinstance(value, dict | list):
        try:
            ok = json.loads(got) == value
        except ValueError:
            ok = False
    else:
        ok = got == str(value).strip()
    return _verdict(ok, f"equals {_shown(str(value))}",
                    f"expected {_shown(str(value))}, got {_shown(got)}")


def _values(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str) and "," in value:  # promptfoo also takes 'a, b, c'
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(value)]


def _contains(a: Assertion, reply: Reply, value: Any, g: Graders) -> tuple[bool, float, str]:
    if (missing := _no_answer(reply)) is not None:
        return missing
    fold = a.base.startswith("i")
    kind = a.base.removeprefix("i")
    text = reply.target.casefold() if fold else reply.target
    needles = [str(value)] if kind == "contains" else _values(value)
    found = [n for n in needles if (n.casefold() if fold else n) in text]
    if kind == "contains-all":
        missing_ = [n for n in needles if n not in found]
        return _verdict(not missing_, f"contains all of {needles}",
                        f"missing {missing_} in {_shown(reply.target)}")
    return _verdict(bool(found), f"contains {found[0]!r}" if found else "",
                    f"none of {needles} in {_shown(reply.target)}")


def _regex(a: Assertion, reply: Reply, value: Any, g: Graders) -> tuple[bool, float, str]:
    import regex

    if (missing := _no_answer(reply)) is not None:
        return missing
    try:
        pattern = regex.compile(str(value))
    except regex.error as exc:
        raise InvalidInput(f"regex assertion {value!r} does not compile: {exc}") from None
    try:
        found = pattern.search(reply.target, timeout=REGEX_SECONDS)
    except TimeoutError:
        return False, 0.0, f"regex {value!r} took over {REGEX_SECONDS:g} s on the reply"
    return _verdict(found is not None, f"matches /{value}/",
                    f"/{value}/ not found in {_shown(reply.target)}")


def _starts(a: Assertion, reply: Reply, value: Any, g: Graders) -> tuple[bool, float, str]:
    if (missing := _no_answer(reply)) is not None:
        return missing
    got = reply.target.lstrip()
    return _verdict(got.startswith(str(value)), f"starts with {_shown(str(value))}",
                    f"starts with {_shown(got[:40])}, not {_shown(str(value))}")


def _is_json(a: Assertion, reply: Reply, value: Any, g: Graders) -> tuple[bool, float, str]:
    if (missing := _no_answer(reply)) is not None:
        return missing
    try:
        data = json.loads(reply.target.strip())
    except ValueError as exc:
        return False, 0.0, f"not JSON: {exc}"
    if isinstance(value, dict):
        from jsonschema import validators

        validator = validators.validator_for(value)(value)
        errors = sorted(validator.iter_errors(data), key=lambda e: list(e.path))
        if errors:
            where = "/".join(str(p) for p in errors[0].path) or "the top level"
            return False, 0.0, f"JSON does not match the schema at {where}: {errors[0].message}"
        return True, 1.0, "JSON matching the schema"
    return True, 1.0, "valid JSON"


def cosine(u: list[float], v: list[float]) -> float:
    dot = sum(x * y for x, y in zip(u, v, strict=True))
    nu = math.sqrt(sum(x * x for x in u))
    nv = math.sqrt(sum(y * y for y in v))
    return dot / (nu * nv) if nu and nv else 0.0


def _similar(a: Assertion, reply: Reply, value: Any, g: Graders) -> tuple[bool, float, str]:
    if g.similarity is None:
        raise InvalidInput("'similar' needs an embedding model", hint="pass --embedder MODEL")
    if (missing := _no_answer(reply)) is not None:
        return missing
    expected = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    threshold = a.threshold if a.threshold is not None else SIMILAR_THRESHOLD
    scores = g.similarity(reply.target, expected, g.pick(a))
    best = max(scores) if scores else 0.0
    ok = best >= threshold
    return ok, max(0.0, min(1.0, best)), (
        f"similarity {best:.3f} {'>=' if ok else '<'} {threshold:g}")


def _rubric(a: Assertion, reply: Reply, value: Any, g: Graders) -> tuple[bool, float, str]:
    if g.rubric is None:
        raise InvalidInput("'llm-rubric' needs a grading model", hint="pass --grader MODEL")
    ok, score, reason = g.rubric(reply.text, str(value), g.pick(a))
    if a.threshold is not None:
        ok = ok and score >= a.threshold
    return ok, score, reason


def _latency(a: Assertion, reply: Reply, value: Any, g: Graders) -> tuple[bool, float, str]:
    if a.threshold is None:
        raise InvalidInput("a 'latency' assertion needs a threshold in milliseconds")
    if reply.latency is None:
        return False, 0.0, "no latency measured"
    ms = reply.latency * 1000
    return _verdict(ms <= a.threshold, f"{ms:.0f} ms <= {a.threshold:g} ms",
                    f"{ms:.0f} ms > {a.threshold:g} ms")


def _cost(a: Assertion, reply: Reply, value: Any, g: Graders) -> tuple[bool, float, str]:
    if a.threshold is None:
        raise InvalidInput("a 'cost' assertion needs a threshold in dollars")
    if reply.cost is None:
        return False, 0.0, "cost unknown (no price for this model)"
    return _verdict(reply.cost <= a.threshold, f"${reply.cost:.6f} <= ${a.threshold:g}",
                    f"${reply.cost:.6f} > ${a.threshold:g}")


_BASE: dict[str, Callable[[Assertion, Reply, Any, Graders], tuple[bool, float, str]]] = {
    "equals": _equals,
    "contains": _contains, "icontains": _contains,
    "contains-any": _contains, "contains-all": _contains,
    "icontains-any": _contains, "icontains-all": _contains,
    "regex": _regex,
    "starts-with": _starts,
    "is-json": _is_json,
    "similar": _similar,
    "llm-rubric": _rubric,
    "latency": _latency,
    "cost": _cost,
}


def check_static(a: Assertion) -> None:
    """What can be refused before anything is asked: thresholds, schemas, regexes."""
    if a.base in ("latency", "cost") and a.threshold is None:
        unit = "milliseconds" if a.base == "latency" else "dollars"
        raise InvalidInput(f"a '{a.type}' assertion needs a threshold in {unit}")
    if a.base == "is-json" and isinstance(a.value, dict):
        from llmcli.exchange.schema import check_schema

        check_schema(a.value)  # the bounds and meta-schema check --schema uses
    if a.base in ("similar", "llm-rubric", "equals", "contains", "starts-with", "regex") \
            and a.value is None:
        raise InvalidInput(f"a '{a.type}' assertion needs a value")
