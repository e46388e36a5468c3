"""What a finished comparison reports: which replies to diff, and the JSON document."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from llmcli.compare.diff import Chunk, similarity, word_diff

if TYPE_CHECKING:
    from llmcli.compare.comparison import CellState, ComparisonResult
    from llmcli.compare.stats import PairStats


@dataclass
class DiffResult:
    left: CellState
    right: CellState
    chunks: list[Chunk]
    similarity: float

    def as_dict(self, titles: dict[int, str]) -> dict[str, Any]:
        return {
            "left": {"cell": self.left.cell.index, "title": titles[self.left.cell.index]},
            "right": {"cell": self.right.cell.index, "title": titles[self.right.cell.index]},
            "similarity": round(self.similarity, 4),
            "chunks": [[c.op, c.text] for c in self.chunks],
        }


def diff_pairs(states: Sequence[CellState]) -> list[tuple[CellState, CellState]]:
    """The two replies to diff: the first two models on each prompt; with one model, the
    first two prompts; with one model and one prompt, the first two runs."""
    first = [s for s in states if s.cell.run == 0]
    rows = sorted({s.cell.row for s in first})
    cols = sorted({s.cell.column for s in first})
    at = {(s.cell.row, s.cell.column, s.cell.run): s for s in states}
    if len(cols) > 1:
        return [(at[(r, cols[0], 0)], at[(r, cols[1], 0)]) for r in rows]
    if len(rows) > 1:
        return [(at[(rows[0], cols[0], 0)], at[(rows[1], cols[0], 0)])]
    runs = sorted({s.cell.run for s in states})
    if len(runs) > 1:
        return [(at[(rows[0], cols[0], runs[0])], at[(rows[0], cols[0], runs[1])])]
    return []


def diffs(states: Sequence[CellState]) -> list[DiffResult]:
    out = []
    for a, b in diff_pairs(states):
        ta = a.response.text if a.response else a.text
        tb = b.response.text if b.response else b.text
        out.append(DiffResult(a, b, word_diff(ta, tb), similarity(ta, tb)))
    return out


def json_document(
    result: ComparisonResult,
    *,
    stats: Sequence[PairStats] | None = None,
    diff_results: Sequence[DiffResult] | None = None,
    titles: dict[int, str] | None = None,
) -> dict[str, Any]:
    """--json: the comparison id, the grid's shape, one record per cell, and any summaries."""
    from llmcli.compare.grid import describe

    doc: dict[str, Any] = {
        "comparison_id": result.comparison_id,
        "grid": describe([s.cell for s in result.cells]),
        "wall": round(result.wall, 4),
        "interrupted": result.interrupted,
        "cells": [s.record() for s in result.cells],
    }
    if stats is not None:
        doc["stats"] = [p.as_dict() for p in stats]
    if diff_results is not None:
        names = titles or {s.cell.index: s.cell.model for s in result.cells}
        doc["diffs"] = [d.as_dict(names) for d in diff_results]
    return doc
