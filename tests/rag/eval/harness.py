"""Retrieval evaluation: recall@k over a small set of documents and questions.

Each question's answer lies in one known passage of one document (`source`), identified by a
`needle` string the passage contains. A question is answered at k when one of the first k hits
comes from that document and contains the needle (whitespace-insensitive), whatever the chunk
size. Used by tests/rag/test_eval.py (with thresholds) and bench/bench_rag.py (the figures).

Questions carry `lang` (pt or en) and, when another document shares its words without
answering it, `near_miss` (that document's name); recall is also given per group.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

EVAL = Path(__file__).resolve().parent
DOCS = EVAL / "docs"
QUESTIONS = EVAL / "questions.jsonl"
KS = (1, 3, 5)
MODES = ("vector", "keyword", "hybrid")


def questions() -> list[dict[str, str]]:
    with QUESTIONS.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _flat(text: str) -> str:
    return " ".join(text.split())


def answered(hit: Any, q: dict[str, str]) -> bool:
    return hit.source == q["source"] and _flat(q["needle"]) in _flat(hit.text)


def groups(q: dict[str, str]) -> list[str]:
    return [q.get("lang", "pt")] + (["near_miss"] if q.get("near_miss") else [])


def evaluate(conn: sqlite3.Connection, info: Any, embed: Callable[[list[str]], list[list[float]]],
             ks: Sequence[int] = KS, modes: Sequence[str] = MODES,
             rerank: Callable[[list[str], str], list[float]] | None = None) -> dict[str, Any]:
    """{"recall": {mode: {k: share}}, "by_group": {mode: {group: {k: share}}},
    "misses": {mode: [questions missed at max k]}}. With a `rerank` scorer, also the mode
    "hybrid+rerank": hybrid hits reordered by llmcli.rag.rerank."""
    from llmcli.rag.rerank import rerank as reorder
    from llmcli.rag.search import search

    qs = questions()
    vectors = embed([q["q"] for q in qs])
    top = max(ks)
    recall: dict[str, dict[int, float]] = {}
    by_group: dict[str, dict[str, dict[int, float]]] = {}
    misses: dict[str, list[str]] = {}
    for mode in [*modes, *(["hybrid+rerank"] if rerank is not None else [])]:
        found_at: list[int | None] = []
        for q, vec in zip(qs, vectors, strict=True):
            hits = search(conn, info, q["q"], vec, top, mode.split("+")[0])  # type: ignore[arg-type]
            if mode == "hybrid+rerank" and rerank is not None:
                hits = reorder(q["q"], hits, rerank)
            rank = next((h.rank for h in hits if answered(h, q)), None)
            found_at.append(rank)
        recall[mode] = _shares(found_at, ks)
        names = sorted({g for q in qs for g in groups(q)})
        by_group[mode] = {g: _shares([r for q, r in zip(qs, found_at, strict=True)
                                      if g in groups(q)], ks) for g in names}
        misses[mode] = [q["q"] for q, r in zip(qs, found_at, strict=True) if r is None]
    return {"questions": len(qs), "chunks": info.chunks, "recall": recall,
            "by_group": by_group, "misses": misses}


def _shares(found_at: list[int | None], ks: Sequence[int]) -> dict[int, float]:
    return {k: sum(1 for r in found_at if r is not None and r <= k) / max(1, len(found_at))
            for k in ks}


def table(result: dict[str, Any]) -> str:
    """The recall figures as a small Markdown table."""
    ks = sorted(next(iter(result["recall"].values())))
    lines = ["| mode | " + " | ".join(f"recall@{k}" for k in ks) + " |",
             "|---|" + "---|" * len(ks)]
    for mode, by_k in result["recall"].items():
        lines.append(f"| {mode} | " + " | ".join(f"{by_k[k]:.2f}" for k in ks) + " |")
    return "\n".join(lines)
