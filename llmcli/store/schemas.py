"""Named JSON Schemas (`llmcli schemas save|list|show`), in the logs database (migration for
#17), sharing the log's connection."""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING, Any

from llmcli.core.errors import StorageError
from llmcli.store.logs import now_iso

if TYPE_CHECKING:
    from llmcli.store.logs import LogStore


class SchemaStore:
    def __init__(self, logs: LogStore):
        self.logs = logs

    def save(self, name: str, schema: dict[str, Any]) -> None:
        """Store (or replace) the schema called `name`."""
        conn = self.logs.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute("INSERT OR REPLACE INTO schemas(name, schema, created) "
                             "VALUES (?, ?, ?)",
                             (name, json.dumps(schema, ensure_ascii=False), now_iso()))
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StorageError(f"could not save the schema in {self.logs.path}: {exc}") from None

    def get(self, name: str) -> dict[str, Any] | None:
        rows = self._rows("SELECT schema FROM schemas WHERE name = ?", (name,))
        return json.loads(rows[0][0]) if rows else None

    def all(self) -> list[dict[str, Any]]:
        """Every saved schema (name, schema, created, uses: exchanges logged with it)."""
        rows = self._rows(
            "SELECT s.name, s.schema, s.created, "
            "(SELECT COUNT(*) FROM exchanges e WHERE e.schema = s.schema) AS uses "
            "FROM schemas s ORDER BY s.name", ())
        return [{"name": r[0], "schema": json.loads(r[1]), "created": r[2], "uses": r[3]}
                for r in rows]

    def _rows(self, sql: str, args: tuple[Any, ...]) -> list[Any]:
        try:
            return self.logs.conn.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise StorageError(f"could not read schemas from {self.logs.path}: {exc}") from None
