"""Blind votes from `llmcli compare --blind`: stored beside the exchanges they judged."""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING, Any

from llmcli.core.errors import StorageError
from llmcli.store.logs import now_iso

if TYPE_CHECKING:
    from llmcli.store.logs import LogStore


class VoteStore:
    """Votes live in the logs database (schema migration 2); this shares its connection."""

    def __init__(self, logs: LogStore):
        self.logs = logs

    def add(
        self,
        *,
        labels: dict[str, str],
        winner: str | None,
        comparison_id: str | None = None,
        prompt: str | None = None,
    ) -> int:
        """Store one vote. `labels` maps each blind label to provider:model, in display order;
        `winner` is a model from it, or None for a tie."""
        models = list(labels.values())
        if winner is not None and winner not in models:
            raise ValueError(f"winner {winner!r} was not shown")
        row = {
            "created": now_iso(),
            "comparison_id": comparison_id,
            "prompt": prompt,
            "models": json.dumps(models, ensure_ascii=False),
            "labels": json.dumps(labels, ensure_ascii=False),
            "winner": winner,
            "outcome": "tie" if winner is None else "win",
        }
        sql = f"INSERT INTO votes ({', '.join(row)}) VALUES ({', '.join(':' + k for k in row)})"
        conn = self.logs.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                cur = conn.execute(sql, row)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StorageError(f"could not store the vote in {self.logs.path}: {exc}") from None
        return int(cur.lastrowid or 0)

    def all(self) -> list[dict[str, Any]]:
        """Every vote, oldest first, with `models` and `labels` decoded."""
        try:
            rows = self.logs.conn.execute("SELECT * FROM votes ORDER BY id").fetchall()
        except sqlite3.Error as exc:
            raise StorageError(f"could not read votes from {self.logs.path}: {exc}") from None
        out = []
        for r in rows:
            d = dict(r)
            d["models"] = json.loads(d["models"])
            d["labels"] = json.loads(d["labels"])
            out.append(d)
        return out
