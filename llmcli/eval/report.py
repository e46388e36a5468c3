"""What a run's records add up to: the matrix of pass rates with Wilson intervals, the paired
comparisons (McNemar's exact test on the same cases), a diff of two runs, and the machine
formats (JSON document, Markdown, JUnit XML)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from llmcli.eval.stats import ALPHA, Paired, paired, wilson


@dataclass(frozen=True)
class Arm:
    """One prompt x model: its pass rate and interval."""

    prompt: str
    model: str
    passed: int
    total: int
    errors: int

    @property
    def rate(self) -> float:
        return self.passed / self.total if self.total else 0.0

    @property
    def interval(self) -> tuple[float, float]:
        return wilson(self.passed, self.total)

    def as_dict(self) -> dict[str, Any]:
        lo, hi = self.interval
        return {"prompt": self.prompt, "model": self.model, "passed": self.passed,
                "total": self.total, "errors": self.errors, "rate": round(self.rate, 4),
                "ci95": [round(lo, 4), round(hi, 4)]}


@dataclass(frozen=True)
class Comparison:
    """Two arms on the same cases: which differ, and whether the difference is noise."""

    a: str
    b: str
    over: str  # 'model X' when two prompts are compared, 'prompt P' for two models
    test: Paired

    def as_dict(self) -> dict[str, Any]:
        t = self.test
        return {"a": self.a, "b": self.b, "over": self.over, "cases": t.n,
                "a_passed": t.a_passed, "b_passed": t.b_passed, "only_a": t.only_a,
                "only_b": t.only_b, "p_value": round(t.p_value, 6),
                "significant": t.significant}


def _order(records: list[dict[str, Any]], key: str) -> list[str]:
    return list(dict.fromkeys(r[key] for r in records))


def _ordered(wanted: list[str] | None, seen: list[str]) -> list[str]:
    """`seen` in the order of `wanted`, anything `wanted` lacks after it."""
    first = [x for x in wanted or [] if x in seen]
    return first + [x for x in seen if x not in first]


def _by_arm(records: list[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Records grouped by prompt x model in one pass (a suite may have 200,000 cells)."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in records:
        groups.setdefault((r["prompt"], r["model"]), []).append(r)
    return groups


def _outcomes(mine: list[dict[str, Any]]) -> dict[Any, bool]:
    return {(r["case_key"], r["repeat"]): bool(r["passed"]) for r in mine}


def matrix(records: list[dict[str, Any]], prompts: list[str] | None = None,
           models: list[str] | None = None) -> list[Arm]:
    prompts = prompts or _order(records, "prompt")
    models = models or _order(records, "model")
    groups = _by_arm(records)
    arms = []
    for p in prompts:
        for m in models:
            mine = groups.get((p, m), [])
            arms.append(Arm(p, m, sum(1 for r in mine if r["passed"]), len(mine),
                            sum(1 for r in mine if r.get("error"))))
    return arms


def comparisons(records: list[dict[str, Any]], prompts: list[str] | None = None,
                models: list[str] | None = None) -> list[Comparison]:
    """Every pair of prompts on each model, and every pair of models on each prompt."""
    prompts = prompts or _order(records, "prompt")
    models = models or _order(records, "model")
    groups = {k: _outcomes(v) for k, v in _by_arm(records).items()}
    out = []
    for m in models:
        for a, b in itertools.combinations(prompts, 2):
            out.append(Comparison(a, b, f"model {m}",
                                  paired(groups.get((a, m), {}), groups.get((b, m), {}))))
    for p in prompts:
        for a, b in itertools.combinations(models, 2):
            out.append(Comparison(a, b, f"prompt {p}",
                                  paired(groups.get((p, a), {}), groups.get((p, b), {}))))
    return [c for c in out if c.test.n]


@dataclass(frozen=True)
class ArmDiff:
    prompt: str
    model: str
    test: Paired  # A = the first run, B = the second
    fixed: list[dict[str, Any]]  # failed in A, passed in B
    broken: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        t = self.test
        return {"prompt": self.prompt, "model": self.model, "cases": t.n,
                "a_passed": t.a_passed, "b_passed": t.b_passed, "fixed": len(self.fixed),
                "broken": len(self.broken), "p_value": round(t.p_value, 6),
                "significant": t.significant,
                "fixed_cases": [_case(r) for r in self.fixed],
                "broken_cases": [_case(r) for r in self.broken]}


def _case(r: dict[str, Any]) -> dict[str, Any]:
    return {"case": r["case_title"], "repeat": r["repeat"], "answer": r.get("answer"),
            "reply": r.get("reply"), "error": r.get("error")}


def diff(a: list[dict[str, Any]], b: list[dict[str, Any]], *,
         prompts: list[str] | None = None, models: list[str] | None = None) -> list[ArmDiff]:
    """Case by case, for each prompt x model both runs have, in the order of `prompts` and
    `models` (the earlier run's suite order; records are stored as cells finish)."""
    out = []
    ga, gb = _by_arm(a), _by_arm(b)
    for p in _ordered(prompts, _order(a, "prompt")):
        for m in _ordered(models, _order(a, "model")):
            oa, ob = _outcomes(ga.get((p, m), [])), _outcomes(gb.get((p, m), []))
            if not oa or not ob:
                continue
            by_key = {(r["case_key"], r["repeat"]): r for r in gb[(p, m)]}
            common = [k for k in oa if k in ob]
            fixed = [by_key[k] for k in common if not oa[k] and ob[k]]
            broken = [by_key[k] for k in common if oa[k] and not ob[k]]
            out.append(ArmDiff(p, m, paired(oa, ob), fixed, broken))
    return out


def failures(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in records if not r["passed"]]


def why(rec: dict[str, Any]) -> str:
    """The first reason a cell failed, in one line."""
    if rec.get("error"):
        return str(rec["error"])
    failed = [a for a in rec.get("assertions") or [] if not a["pass"]]
    if failed:
        return f"{failed[0]['type']}: {failed[0]['reason']}"
    if rec.get("assertions"):
        return f"score {rec.get('score')} below the test's threshold"
    return "failed"


def document(run: dict[str, Any], records: list[dict[str, Any]]) -> dict[str, Any]:
    """The --json document of a run."""
    arms = matrix(records, run.get("prompts"), run.get("models"))
    return {
        "run_id": run["id"], "suite": run.get("suite"), "description": run.get("description"),
        "status": run.get("status"), "repeat": run.get("repeat"), "alpha": ALPHA,
        "wall": run.get("wall"),
        "matrix": [a.as_dict() for a in arms if a.total],
        "comparisons": [c.as_dict() for c in comparisons(records, run.get("prompts"),
                                                          run.get("models"))],
        "cells": records,
    }


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def arm_text(arm: Arm) -> str:
    """'72% [61–81%] 36/50': the rate, its 95% interval, the counts."""
    if not arm.total:
        return "-"
    lo, hi = arm.interval
    return f"{_pct(arm.rate)} [{100 * lo:.0f}–{_pct(hi)}] {arm.passed}/{arm.total}"


def comparison_text(c: Comparison) -> str:
    t = c.test
    verdict = "significant" if t.significant else "could be noise"
    return (f"{c.a} vs {c.b} ({c.over}): {t.a_passed}/{t.n} vs {t.b_passed}/{t.n}, "
            f"discordant {t.only_a}:{t.only_b}, p = {t.p_value:.2g}, {verdict}")


def markdown(run: dict[str, Any], records: list[dict[str, Any]]) -> str:
    prompts = run.get("prompts") or _order(records, "prompt")
    models = run.get("models") or _order(records, "model")
    arms = {(a.prompt, a.model): a for a in matrix(records, prompts, models)}
    lines = [f"**eval {run['id']}** · {run.get('suite')} · pass rate [Wilson 95% interval] "
             "passed/total", "",
             "| prompt | " + " | ".join(_md(m) for m in models) + " |",
             "|---|" + "---|" * len(models)]
    for p in prompts:
        lines.append(f"| {_md(p)} | " + " | ".join(arm_text(arms[(p, m)]) for m in models) + " |")
    comps = comparisons(records, prompts, models)
    if comps:
        lines += ["", f"Paired differences (McNemar's exact test, * p < {ALPHA:g}):", ""]
        lines += [f"- {'* ' if c.test.significant else ''}{_md(comparison_text(c))}"
                  for c in comps]
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def junit(run: dict[str, Any], records: list[dict[str, Any]]) -> str:
    """JUnit XML: a testsuite per prompt x model, a testcase per case and repetition."""
    import xml.etree.ElementTree as ET

    groups = _by_arm(records)
    root = ET.Element("testsuites", name=f"llmcli eval {run['id']}",
                      tests=str(len(records)), failures=str(len(failures(records))))
    for arm in matrix(records, run.get("prompts"), run.get("models")):
        if not arm.total:
            continue
        failed = arm.total - arm.passed - arm.errors
        suite = ET.SubElement(root, "testsuite", name=f"{arm.prompt} · {arm.model}",
                              tests=str(arm.total), failures=str(failed), errors=str(arm.errors))
        for r in groups[(arm.prompt, arm.model)]:
            name = r["case_title"] + (f" #{r['repeat'] + 1}" if run.get("repeat", 1) > 1 else "")
            case = ET.SubElement(suite, "testcase", name=name, classname=suite.get("name", ""),
                                 time=f"{r.get('latency') or 0:.3f}")
            if r.get("error"):
                ET.SubElement(case, "error", message=str(r["error"]))
            elif not r["passed"]:
                fail = ET.SubElement(case, "failure", message=why(r))
                fail.text = (r.get("reply") or "")[:2000]
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
