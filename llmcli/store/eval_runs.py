"""`llmcli eval` runs: the run, one row per graded cell, and the reply cache.

Runs and results share the logs database's connection (the calling thread writes them, one
committed row per finished cell, so a killed run keeps what finished). The reply cache is read
and written from worker threads: it has its own connection, used under a lock.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmcli.core.errors import StorageError, redact
from llmcli.store.db import connect
from llmcli.store.logs import now_iso

if TYPE_CHECKING:
    from llmcli.store.logs import LogStore

RESULT_FIELDS = ("prompt", "model", "case_key", "repeat", "case_index", "case_title", "vars",
                 "passed", "score", "reply", "answer", "assertions", "error", "error_code",
                 "error_kind", "latency", "input_tokens", "output_tokens", "cost", "cached")


class EvalStore:
    """Runs and their results in the logs database."""

    def __init__(self, logs: LogStore):
        self.logs = logs

    def _write(self, sql: str, params: Any) -> None:
        conn = self.logs.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute(sql, params)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StorageError(f"could not store the eval run in {self.logs.path}: {exc}",
                               hint="check the disk and its permissions") from None

    def _read(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        try:
            return [dict(r) for r in self.logs.conn.execute(sql, params).fetchall()]
        except sqlite3.Error as exc:
            raise StorageError(f"could not read eval runs from {self.logs.path}: {exc}") from None

    def create(self, run_id: str, *, suite: str, digest: str, description: str | None,
               prompts: list[str], models: list[str], repeat: int, cells: int,
               settings: dict[str, Any]) -> None:
        row = {"id": run_id, "created": now_iso(), "suite": suite, "digest": digest,
               "description": description, "prompts": json.dumps(prompts, ensure_ascii=False),
               "models": json.dumps(models, ensure_ascii=False), "repeat": repeat,
               "cells": cells, "status": "running",
               "settings": json.dumps(settings, ensure_ascii=False)}
        self._write(f"INSERT INTO eval_runs ({', '.join(row)}) "
                    f"VALUES ({', '.join(':' + k for k in row)})", row)

    def finish(self, run_id: str, status: str) -> None:
        self._write("UPDATE eval_runs SET status = ?, finished = ? WHERE id = ?",
                    (status, now_iso(), run_id))

    def add_result(self, run_id: str, rec: dict[str, Any]) -> None:
        """Store one graded cell (replacing an earlier attempt at the same cell)."""
        row = {k: rec.get(k) for k in RESULT_FIELDS}
        row["vars"] = redact(json.dumps(row["vars"], ensure_ascii=False, default=str))
        row["assertions"] = json.dumps(row["assertions"] or [], ensure_ascii=False)
        row["error"] = redact(row["error"]) if row["error"] else None
        row["passed"] = int(bool(row["passed"]))
        row["cached"] = int(bool(row["cached"]))
        row["run_id"] = run_id
        row["created"] = now_iso()
        self._write(f"INSERT OR REPLACE INTO eval_results ({', '.join(row)}) "
                    f"VALUES ({', '.join(':' + k for k in row)})", row)

    def run(self, ref: str) -> dict[str, Any] | None:
        """A run by id, by a unique prefix of one, or 'last'."""
        if ref == "last":
            rows = self._read("SELECT * FROM eval_runs ORDER BY created DESC, rowid DESC LIMIT 1")
        else:
            rows = self._read("SELECT * FROM eval_runs WHERE id LIKE ? ORDER BY created",
                              (ref.replace("%", "").replace("_", "") + "%",))
        if len(rows) != 1:
            return None
        return _decode_run(rows[0])

    def runs(self, limit: int = 20) -> list[dict[str, Any]]:
        rows = self._read(
            "SELECT r.*, (SELECT COUNT(*) FROM eval_results x WHERE x.run_id = r.id) AS done, "
            "(SELECT SUM(passed) FROM eval_results x WHERE x.run_id = r.id) AS passed "
            "FROM eval_runs r ORDER BY r.created DESC, r.rowid DESC LIMIT ?", (limit,))
        return [_decode_run(r) for r in rows]

    def results(self, run_id: str) -> list[dict[str, Any]]:
        rows = self._read("SELECT * FROM eval_results WHERE run_id = ? "
                          "ORDER BY case_index, repeat, rowid", (run_id,))
        for r in rows:
            r["vars"] = json.loads(r["vars"] or "{}")
            r["assertions"] = json.loads(r["assertions"] or "[]")
            r["passed"] = bool(r["passed"])
            r["cached"] = bool(r["cached"])
        return rows


def _decode_run(row: dict[str, Any]) -> dict[str, Any]:
    row["prompts"] = json.loads(row["prompts"])
    row["models"] = json.loads(row["models"])
    row["settings"] = json.loads(row["settings"] or "{}")
    return row


class ReplyCache:
    """Replies by key, shared by worker threads (one connection, a lock around it)."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = connect(self.path, any_thread=True)
        return self._conn

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            try:
                row = self._connection().execute(
                    "SELECT reply FROM eval_cache WHERE key = ?", (key,)).fetchone()
            except sqlite3.Error as exc:
                raise StorageError(f"could not read the eval cache in {self.path}: {exc}",
                                   hint="check the disk and its permissions") from None
        return json.loads(row[0]) if row is not None else None

    def put(self, key: str, model: str, reply: dict[str, Any]) -> None:
        with self._lock:
            try:
                self._connection().execute(
                    "INSERT OR REPLACE INTO eval_cache (key, model, reply, created) "
                    "VALUES (?, ?, ?, ?)",
                    (key, model, json.dumps(reply, ensure_ascii=False), now_iso()))
            except sqlite3.Error as exc:
                raise StorageError(f"could not write the eval cache in {self.path}: {exc}",
                                   hint="check the disk and its permissions") from None

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
