"""The indexes in the logs database: what each is, listing, finding, removing, and the short
write transactions every change goes through. Building is index.py's job."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from llmcli.core.errors import InvalidInput, StorageError


# -- what an index is ----------------------------------------------------------------------------
@dataclass
class IndexInfo:
    id: int
    name: str
    embed_model: str
    dimension: int | None
    chunk_size: int
    overlap: int
    roots: list[str]
    globs: list[str]
    created: str
    updated: str
    generation: int
    documents: int = 0
    chunks: int = 0

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in (
            "name", "embed_model", "dimension", "chunk_size", "overlap", "roots", "globs",
            "created", "updated", "documents", "chunks")}


_INFO_SQL = """
SELECT i.*,
  (SELECT COUNT(*) FROM rag_documents d WHERE d.index_id = i.id AND d.state = 'ready') AS ndocs,
  (SELECT COUNT(*) FROM rag_chunks c JOIN rag_documents d ON d.id = c.document_id
    WHERE c.index_id = i.id AND d.state = 'ready') AS nchunks
FROM rag_indexes i
"""


def _info(row: sqlite3.Row) -> IndexInfo:
    return IndexInfo(
        id=row["id"], name=row["name"], embed_model=row["embed_model"],
        dimension=row["dimension"], chunk_size=row["chunk_size"], overlap=row["overlap"],
        roots=json.loads(row["roots"]), globs=json.loads(row["globs"]), created=row["created"],
        updated=row["updated"], generation=row["generation"], documents=row["ndocs"],
        chunks=row["nchunks"],
    )


def list_indexes(conn: sqlite3.Connection) -> list[IndexInfo]:
    return [_info(r) for r in conn.execute(_INFO_SQL + " ORDER BY i.name")]


def find_index(conn: sqlite3.Connection, name: str) -> IndexInfo | None:
    row = conn.execute(_INFO_SQL + " WHERE i.name = ?", (name,)).fetchone()
    return _info(row) if row else None


def get_index(conn: sqlite3.Connection, name: str) -> IndexInfo:
    """The index called `name`; an unknown name says which exist."""
    info = find_index(conn, name)
    if info is None:
        import difflib

        names = [r[0] for r in conn.execute("SELECT name FROM rag_indexes ORDER BY name")]
        close = difflib.get_close_matches(name, names, n=1)
        if close:
            hint = f"did you mean '{close[0]}'? 'llmcli rag list' shows them all"
        elif names:
            hint = f"indexes: {', '.join(names)}"
        else:
            hint = f"create one with: llmcli rag index {name} PATH"
        raise InvalidInput(f"no index named '{name}'", hint=hint)
    return info


def remove_index(conn: sqlite3.Connection, name: str) -> IndexInfo:
    info = get_index(conn, name)
    with transaction(conn):
        conn.execute("DELETE FROM rag_chunks WHERE index_id = ?", (info.id,))
        conn.execute("DELETE FROM rag_documents WHERE index_id = ?", (info.id,))
        conn.execute("DELETE FROM rag_indexes WHERE id = ?", (info.id,))
    return info


def documents(conn: sqlite3.Connection, info: IndexInfo) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT d.source, d.path, d.kind, d.size, d.indexed, COUNT(c.id) AS chunks "
        "FROM rag_documents d LEFT JOIN rag_chunks c ON c.document_id = d.id "
        "WHERE d.index_id = ? AND d.state = 'ready' GROUP BY d.id ORDER BY d.source",
        (info.id,),
    )
    return [dict(r) for r in rows]


def check_name(name: str) -> str:
    import re

    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", name):
        raise InvalidInput(f"'{name}' is not a valid index name",
                           hint="use letters, digits, '-', '_' and '.' (e.g. receitas)")
    return name


def bump_generation(conn: sqlite3.Connection, index_id: int) -> None:
    """Every change to the searchable chunks gets a new generation: loaded matrices (in this
    process and in files) are keyed by it."""
    conn.execute("UPDATE rag_indexes SET generation = generation + 1 WHERE id = ?", (index_id,))


def generation(conn: sqlite3.Connection, index_id: int) -> int | None:
    row = conn.execute("SELECT generation FROM rag_indexes WHERE id = ?", (index_id,)).fetchone()
    return int(row[0]) if row else None


class transaction:
    """A short IMMEDIATE transaction (the connection is in autocommit mode)."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StorageError(f"cannot write the index: {exc}",
                               hint="another llmcli may be writing; retry") from None
        return self.conn

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        if kind is None:
            try:
                self.conn.execute("COMMIT")
            except sqlite3.Error as err:
                self.conn.execute("ROLLBACK")
                raise StorageError(f"cannot write the index: {err}") from None
        else:
            self.conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise StorageError(f"cannot write the index: {exc}") from None


def iter_chunks(conn: sqlite3.Connection, info: IndexInfo) -> Iterator[sqlite3.Row]:
    """Every ready chunk of an index with its document's fields (for show and evaluation)."""
    yield from conn.execute(
        "SELECT c.id, c.position, c.start_at, c.end_at, c.heading, c.text, d.source, d.path, "
        "d.unit FROM rag_chunks c JOIN rag_documents d ON d.id = c.document_id "
        "WHERE c.index_id = ? AND d.state = 'ready' ORDER BY d.source, c.position", (info.id,))
