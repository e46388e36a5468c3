"""The log of every exchange: write one, list, show, search (FTS5), export, remove."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmcli.core.errors import StorageError
from llmcli.core.errors import redact as _redact
from llmcli.store.db import connect, write_failure

if TYPE_CHECKING:
    from llmcli.core.messages import ChatRequest
    from llmcli.core.response import Response


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def new_id() -> str:
    """A short random id for conversations, batches and comparisons."""
    return uuid.uuid4().hex[:12]


class LogStore:
    """A handle on the logs database. Connects on first use, so `--no-log` costs nothing."""

    def __init__(self, path: Path):
        self.path = path
        self._conn: sqlite3.Connection | None = None

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = connect(self.path)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # -- writing --------------------------------------------------------------------------
    def log(
        self,
        request: ChatRequest,
        response: Response,
        *,
        conversation_id: str | None = None,
        batch_id: str | None = None,
        comparison_id: str | None = None,
        template: str | None = None,
        cache_key: str | None = None,
        prompt: str | None = None,
    ) -> int:
        """Store one exchange; returns its id. Keys are scrubbed from every text field.
        Fragments and attachments are kept once each (store/inputs.py); `cache_key` lets a
        later identical request be answered from this row (--cache); `prompt`: what the user
        asked, when the last user message is more (a RAG context)."""
        from llmcli.store import inputs

        if prompt is None:
            prompt = next((m.content for m in reversed(request.messages) if m.role == "user"),
                          "")
        prompt = inputs.compact_text(prompt, request.fragments) or ""
        messages = json.dumps(inputs.compact_messages(request), ensure_ascii=False)
        row = {
            "created": now_iso(),
            "conversation_id": conversation_id,
            "batch_id": batch_id,
            "comparison_id": comparison_id,
            "provider": response.provider,
            "model": response.model,
            "system": inputs.compact_text(request.system, request.fragments),
            "prompt": _redact(prompt),
            "messages": _redact(messages),
            "options": json.dumps(request.options.set_values(), ensure_ascii=False),
            "template": template,
            "reply": response.text,
            "input_tokens": response.usage.input_tokens,
            "output_tokens": response.usage.output_tokens,
            "ttft": response.timings.ttft,
            "duration": response.timings.total,
            "finish_reason": response.finish_reason,
            "status": response.status,
            "error": _redact(response.error) if response.error else None,
            "cost": response.cost,
            "attempts": response.attempts,
            # the same text as exchange/schema.stored_form, which `logs data --schema` matches
            "schema": (json.dumps(request.json_schema, ensure_ascii=False)
                       if request.json_schema is not None else None),
            "reasoning": _redact(response.reasoning) if response.reasoning else None,
            "reasoning_tokens": response.usage.reasoning_tokens,
            "cache_key": cache_key,
            "cached": int(response.cached),
            "tool_calls": (_redact(json.dumps([r.model_dump() for r in response.tool_calls],
                                              ensure_ascii=False))
                           if response.tool_calls else None),
            "round_trips": response.round_trips if response.tool_calls else None,
        }
        cols = ", ".join(row)
        marks = ", ".join(f":{k}" for k in row)
        try:
            with self._write():
                if conversation_id:
                    self.conn.execute(
                        "INSERT OR IGNORE INTO conversations(id, created, title, model) "
                        "VALUES (?, ?, ?, ?)",
                        (
                            conversation_id,
                            row["created"],
                            prompt[:80],
                            f"{response.provider}:{response.model}",
                        ),
                    )
                cur = self.conn.execute(f"INSERT INTO exchanges ({cols}) VALUES ({marks})", row)
                if request.fragments or any(m.attachments for m in request.messages):
                    inputs.write(self.conn, int(cur.lastrowid or 0), request, row["created"])
        except sqlite3.Error as exc:
            raise write_failure(self._conn, exc, self.path) from None
        return int(cur.lastrowid or 0)

    def _write(self) -> _Tx:
        return _Tx(self.conn)

    # -- reading --------------------------------------------------------------------------
    def list(
        self,
        *,
        limit: int = 20,
        conversation_id: str | None = None,
        batch_id: str | None = None,
        comparison_id: str | None = None,
        model: str | None = None,
        schema: str | None = None,
        provider: str | None = None,
    ) -> list[dict[str, Any]]:
        """Newest first. `schema`: only exchanges asked for this exact schema text;
        `provider`: any model of this provider."""
        where, args = self._filters(conversation_id, batch_id, comparison_id, model, provider)
        if schema is not None:
            where = f"{where} AND schema = ?" if where else "WHERE schema = ?"
            args.append(schema)
        sql = f"SELECT * FROM exchanges {where} ORDER BY id DESC LIMIT ?"
        return [dict(r) for r in self._query(sql, [*args, limit])]

    def structured(self, *, limit: int = 20, model: str | None = None,
                   schema: str | None = None) -> list[dict[str, Any]]:
        """The newest `limit` complete exchanges that were asked for a schema (`schema`: only
        those with this exact schema text), oldest first."""
        where, args = self._filters(None, None, None, model)
        clauses = [where.removeprefix("WHERE ")] if where else []
        clauses += ["schema IS NOT NULL", "status = 'complete'"]
        if schema is not None:
            clauses.append("schema = ?")
            args.append(schema)
        sql = (f"SELECT * FROM exchanges WHERE {' AND '.join(clauses)} "
               "ORDER BY id DESC LIMIT ?")
        return [dict(r) for r in reversed(self._query(sql, [*args, limit]))]

    def cached_reply(self, cache_key: str) -> dict[str, Any] | None:
        """The newest complete exchange asked with this request key, if any."""
        rows = self._query(
            "SELECT * FROM exchanges WHERE cache_key = ? AND status = 'complete' "
            "ORDER BY id DESC LIMIT 1",
            [cache_key],
        )
        return dict(rows[0]) if rows else None

    def get(self, exchange_id: int, *, expand: bool = True) -> dict[str, Any] | None:
        """One exchange. `expand`: as sent (fragments' text and attachments' bytes put back
        in); without it, as stored (references, no bytes)."""
        rows = self._query("SELECT * FROM exchanges WHERE id = ?", [exchange_id])
        if not rows:
            return None
        row = dict(rows[0])
        if not expand:
            return row
        from llmcli.store import inputs

        try:
            return inputs.expand(self.conn, row)
        except sqlite3.Error as exc:
            raise StorageError(f"could not read the log {self.path}: {exc}") from None

    def inputs_of(self, exchange_id: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The fragments (with their text) and attachments (without bytes) an exchange sent."""
        from llmcli.store import inputs

        try:
            return (inputs.fragments_of(self.conn, exchange_id),
                    inputs.attachments_of(self.conn, exchange_id))
        except sqlite3.Error as exc:
            raise StorageError(f"could not read the log {self.path}: {exc}") from None

    def search(self, text: str, *, limit: int = 20) -> list[dict[str, Any]]:
        """Full-text search; plain words are quoted so punctuation never breaks the query."""
        query = " ".join('"' + w.replace('"', '""') + '"' for w in text.split())
        if not query:
            return []
        sql = (
            "SELECT e.* FROM exchanges_fts f JOIN exchanges e ON e.id = f.rowid "
            "WHERE exchanges_fts MATCH ? ORDER BY f.rank LIMIT ?"
        )
        return [dict(r) for r in self._query(sql, [query, limit])]

    def iter_all(self, **filters: Any) -> Iterator[dict[str, Any]]:
        where, args = self._filters(
            filters.get("conversation_id"),
            filters.get("batch_id"),
            filters.get("comparison_id"),
            filters.get("model"),
        )
        from llmcli.store import inputs

        try:
            for row in self.conn.execute(f"SELECT * FROM exchanges {where} ORDER BY id", args):
                yield inputs.expand(self.conn, dict(row))  # as sent: export keeps everything
        except sqlite3.Error as exc:
            raise StorageError(f"could not read the log {self.path}: {exc}") from None

    def remove(self, exchange_id: int) -> bool:
        """Delete one exchange, and the fragment texts and attachment bytes only it sent."""
        from llmcli.store import inputs

        with self._write():
            inputs.forget(self.conn, exchange_id)
            cur = self.conn.execute("DELETE FROM exchanges WHERE id = ?", (exchange_id,))
        return cur.rowcount > 0

    def conversations(self, limit: int = 20) -> list[dict[str, Any]]:
        sql = (
            "SELECT c.*, COUNT(e.id) AS turns, MAX(e.created) AS last "
            "FROM conversations c LEFT JOIN exchanges e ON e.conversation_id = c.id "
            "GROUP BY c.id ORDER BY last DESC LIMIT ?"
        )
        return [dict(r) for r in self._query(sql, [limit])]

    def latest_conversation(self) -> str | None:
        rows = self._query(
            "SELECT conversation_id FROM exchanges WHERE conversation_id IS NOT NULL "
            "ORDER BY id DESC LIMIT 1",
            [],
        )
        return rows[0][0] if rows else None

    def count(self) -> int:
        return int(self._query("SELECT COUNT(*) FROM exchanges", [])[0][0])

    def count_with(self, column: str, value: str) -> int:
        """Exchanges whose conversation_id, batch_id or comparison_id is `value`."""
        if column not in ("conversation_id", "batch_id", "comparison_id"):
            raise ValueError(column)
        rows = self._query(f"SELECT COUNT(*) FROM exchanges WHERE {column} = ?", [value])
        return int(rows[0][0])

    def _filters(self, conversation_id, batch_id, comparison_id, model,
                 provider: str | None = None) -> tuple[str, list[Any]]:
        clauses, args = [], []
        for col, val in (
            ("conversation_id", conversation_id),
            ("batch_id", batch_id),
            ("comparison_id", comparison_id),
        ):
            if val:
                clauses.append(f"{col} = ?")
                args.append(val)
        if model:
            clauses.append("(model = ? OR provider || ':' || model = ?)")
            args.extend([model, model])
        if provider:
            clauses.append("provider = ?")
            args.append(provider)
        return ("WHERE " + " AND ".join(clauses)) if clauses else "", args

    def _query(self, sql: str, args: list[Any]) -> list[sqlite3.Row]:
        try:
            return self.conn.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise StorageError(f"could not read the log {self.path}: {exc}") from None


class _Tx:
    """BEGIN IMMEDIATE ... COMMIT: take the write lock up front so the busy timeout applies."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> None:
        self.conn.execute("ROLLBACK" if exc_type else "COMMIT")
