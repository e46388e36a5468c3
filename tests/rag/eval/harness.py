"""Retrieval evaluation: recall@k over a small set of documents and questions.

Each question's answer lies in one known passage of one document (`source`), identified by a
`needle` string the passage contains. A question is answered at k when one of the first k hits
comes from that document and contains the needle (whitespace-insensitive), whatever the chunk
size. Used by tests/rag/test_eval.py (with thresholds) and bench/bench_rag.py (the figures).
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


def evaluate(conn: sqlite3.Connection, info: Any, embed: Callable[[list[str]], list[list[float]]],
             ks: Sequence[int] = KS, modes: Sequence[str] = MODES) -> dict[str, Any]:
    """{"recall": {mode: {k: share}}, "misses": {mode: [questions missed at max k]}}."""
    from llmcli.rag.search import search

    qs = questions()
    vectors = embed([q["q"] for q in qs])
    top = max(ks)
    recall: dict[str, dict[int, float]] = {}
    misses: dict[str, list[str]] = {}
    for mode in modes:
        found_at: list[int | None] = []
        for q, vec in zip(qs, vectors, strict=True):
            hits = search(conn, info, q["q"], vec, top, mode)  # type: ignore[arg-type]
            rank = next((h.rank for h in hits if answered(h, q)), None)
            found_at.append(rank)
        recall[mode] = {k: sum(1 for r in found_at if r is not None and r <= k) / len(qs)
                        for k in ks}
        misses[mode] = [q["q"] for q, r in zip(qs, found_at, strict=True) if r is None]
    return {"questions": len(qs), "chunks": info.chunks, "recall": recall, "misses": misses}


def table(result: dict[str, Any]) -> str:
    """The recall figures as a small Markdown table."""
    ks = sorted(next(iter(result["recall"].values())))
    lines = ["| mode | " + " | ".join(f"recall@{k}" for k in ks) + " |",
             "|---|" + "---|" * len(ks)]
    for mode, by_k in result["recall"].items():
        lines.append(f"| {mode} | " + " | ".join(f"{by_k[k]:.2f}" for k in ks) + " |")
    return "\n".join(lines)
