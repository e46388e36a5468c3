"""Retrieval indexes in the logs database (tables of migration 3): every statement rag/ runs.

Each write is a short IMMEDIATE transaction: an index build waits on the embedding model
between writes, never inside one, so other llmcli processes logging exchanges never find the
database locked for long. A document is 'pending' while its new chunks are written and
'ready' once it replaces the old version, so an interrupted build leaves every document old
or new, never half; searches read ready documents only.

Every change to the searchable chunks bumps the index's generation: matrices loaded in memory
or kept in .npy files are keyed by it, so a stale one is never read.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from llmcli.core.errors import StorageError

_PARAMS = 500  # bound parameters per statement, well under SQLite's limit


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


class transaction:
    """A short IMMEDIATE transaction (connections are in autocommit mode)."""

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


# -- indexes -------------------------------------------------------------------------------------
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


def index_names(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT name FROM rag_indexes ORDER BY name")]


def create_index(conn: sqlite3.Connection, name: str, model: str, chunk_size: int,
                 overlap: int, stamp: str) -> None:
    with transaction(conn):
        conn.execute(
            "INSERT INTO rag_indexes (name, created, updated, embed_model, chunk_size, overlap) "
            "VALUES (?, ?, ?, ?, ?, ?)", (name, stamp, stamp, model, chunk_size, overlap))


def set_sources(conn: sqlite3.Connection, index_id: int, roots: list[str],
                globs: list[str]) -> None:
    """The paths and patterns an index is built from (a later run without paths reuses them)."""
    with transaction(conn):
        conn.execute("UPDATE rag_indexes SET roots = ?, globs = ? WHERE id = ?",
                     (json.dumps(roots, ensure_ascii=False),
                      json.dumps(globs, ensure_ascii=False), index_id))


def set_dimension(conn: sqlite3.Connection, index_id: int, dimension: int) -> None:
    with transaction(conn):
        conn.execute("UPDATE rag_indexes SET dimension = ? WHERE id = ?", (dimension, index_id))


def finish_build(conn: sqlite3.Connection, index_id: int, stamp: str, chunk_size: int,
                 overlap: int, dimension: int | None) -> None:
    """Record a completed build: its time, sizes and dimension, and a new generation."""
    with transaction(conn):
        conn.execute(
            "UPDATE rag_indexes SET updated = ?, chunk_size = ?, overlap = ?,"
            " dimension = COALESCE(?, dimension), generation = generation + 1 WHERE id = ?",
            (stamp, chunk_size, overlap, dimension, index_id),
        )


def remove_index(conn: sqlite3.Connection, info: IndexInfo) -> None:
    with transaction(conn):
        conn.execute("DELETE FROM rag_chunks WHERE index_id = ?", (info.id,))
        conn.execute("DELETE FROM rag_documents WHERE index_id = ?", (info.id,))
        conn.execute("DELETE FROM rag_indexes WHERE id = ?", (info.id,))


def bump_generation(conn: sqlite3.Connection, index_id: int) -> None:
    """Every change to the searchable chunks gets a new generation: loaded matrices (in this
    process and in files) are keyed by it."""
    conn.execute("UPDATE rag_indexes SET generation = generation + 1 WHERE id = ?", (index_id,))


def generation(conn: sqlite3.Connection, index_id: int) -> int | None:
    row = conn.execute("SELECT generation FROM rag_indexes WHERE id = ?", (index_id,)).fetchone()
    return int(row[0]) if row else None


def database_key(conn: sqlite3.Connection) -> str:
    """The file behind a connection: matrices of two databases never share a cache slot."""
    row = conn.execute("PRAGMA database_list").fetchone()
    return str(row[2] or id(conn))


# -- documents -----------------------------------------------------------------------------------
def documents(conn: sqlite3.Connection, info: IndexInfo) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT d.source, d.path, d.kind, d.size, d.indexed, COUNT(c.id) AS chunks "
        "FROM rag_documents d LEFT JOIN rag_chunks c ON c.document_id = d.id "
        "WHERE d.index_id = ? AND d.state = 'ready' GROUP BY d.id ORDER BY d.source",
        (info.id,),
    )
    return [dict(r) for r in rows]


def ready_documents(conn: sqlite3.Connection, index_id: int) -> dict[str, tuple[str, int]]:
    """{path: (content hash, document id)} of the documents searches see."""
    return {r[0]: (r[1], r[2]) for r in conn.execute(
        "SELECT path, hash, id FROM rag_documents WHERE index_id = ? AND state = 'ready'",
        (index_id,))}


def add_pending_document(conn: sqlite3.Connection, index_id: int, *, path: str, source: str,
                         kind: str, unit: str, digest: str, size: int, stamp: str) -> int:
    """A new version of a document, invisible to searches until `promote_document`."""
    with transaction(conn):
        cur = conn.execute(
            "INSERT INTO rag_documents (index_id, path, source, kind, unit, hash, size, "
            "indexed, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending')",
            (index_id, path, source, kind, unit, digest, size, stamp),
        )
    return int(cur.lastrowid or 0)


def promote_document(conn: sqlite3.Connection, index_id: int, document_id: int,
                     old_id: int | None) -> None:
    """In one transaction: the pending version becomes the searchable one, replacing `old_id`."""
    with transaction(conn):
        if old_id is not None:
            conn.execute("DELETE FROM rag_chunks WHERE document_id = ?", (old_id,))
            conn.execute("DELETE FROM rag_documents WHERE id = ?", (old_id,))
        conn.execute("UPDATE rag_documents SET state = 'ready' WHERE id = ?", (document_id,))
        bump_generation(conn, index_id)


def drop_pending(conn: sqlite3.Connection, index_id: int) -> None:
    """Leftovers of an interrupted run (never visible to searches)."""
    with transaction(conn):
        conn.execute("DELETE FROM rag_chunks WHERE document_id IN (SELECT id FROM rag_documents "
                     "WHERE index_id = ? AND state = 'pending')", (index_id,))
        conn.execute("DELETE FROM rag_documents WHERE index_id = ? AND state = 'pending'",
                     (index_id,))


def drop_documents_except(conn: sqlite3.Connection, index_id: int, keep: set[str]) -> int:
    """Remove the ready documents whose path is not in `keep`; returns how many went."""
    rows = conn.execute("SELECT id, path FROM rag_documents WHERE index_id = ? AND state = 'ready'",
                        (index_id,)).fetchall()
    gone = [r[0] for r in rows if r[1] not in keep]
    for lo in range(0, len(gone), _PARAMS):
        part = gone[lo : lo + _PARAMS]
        marks = ",".join("?" * len(part))
        with transaction(conn):
            conn.execute(f"DELETE FROM rag_chunks WHERE document_id IN ({marks})", part)
            conn.execute(f"DELETE FROM rag_documents WHERE id IN ({marks})", part)
            bump_generation(conn, index_id)
    return len(gone)


# -- chunks --------------------------------------------------------------------------------------
ChunkRow = tuple[int, int, int, int, int, str, str, str, bytes]
"""(index id, document id, position, start, end, heading, text, hash, float32 vector bytes)"""


def add_chunks(conn: sqlite3.Connection, rows: Iterable[ChunkRow]) -> None:
    with transaction(conn):
        conn.executemany(
            "INSERT INTO rag_chunks (index_id, document_id, position, start_at, end_at, "
            "heading, text, hash, vector) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def stored_vectors(conn: sqlite3.Connection, index_id: int,
                   hashes: Iterable[str]) -> dict[str, bytes]:
    """{chunk hash: vector bytes} for the hashes the index already holds (same text, same
    vector: re-indexing copies them instead of embedding again)."""
    unique = list(dict.fromkeys(hashes))
    found: dict[str, bytes] = {}
    for lo in range(0, len(unique), _PARAMS):
        part = unique[lo : lo + _PARAMS]
        marks = ",".join("?" * len(part))
        rows = conn.execute(
            f"SELECT hash, vector FROM rag_chunks WHERE index_id = ? AND hash IN ({marks})",
            [index_id, *part])
        found.update((h, bytes(v)) for h, v in rows)
    return found


def count_ready_chunks(conn: sqlite3.Connection, index_id: int) -> int:
    return int(conn.execute(
        "SELECT COUNT(*) FROM rag_chunks c JOIN rag_documents d ON d.id = c.document_id "
        "WHERE c.index_id = ? AND d.state = 'ready'", (index_id,)).fetchone()[0])


def iter_vectors(conn: sqlite3.Connection, index_id: int) -> Iterator[tuple[int, bytes]]:
    """(chunk id, float32 vector bytes) of every searchable chunk, by id."""
    yield from conn.execute(
        "SELECT c.id, c.vector FROM rag_chunks c JOIN rag_documents d ON d.id = c.document_id "
        "WHERE c.index_id = ? AND d.state = 'ready' ORDER BY c.id", (index_id,))


def keyword_matches(conn: sqlite3.Connection, index_id: int, expression: str,
                    limit: int) -> list[tuple[int, float]]:
    """(chunk id, FTS5 bm25: lower is better) of the searchable chunks matching an FTS5
    expression, best first."""
    rows = conn.execute(
        "SELECT f.rowid, bm25(rag_chunks_fts) AS rank FROM rag_chunks_fts f "
        "JOIN rag_chunks c ON c.id = f.rowid JOIN rag_documents d ON d.id = c.document_id "
        "WHERE rag_chunks_fts MATCH ? AND c.index_id = ? AND d.state = 'ready' "
        "ORDER BY rank LIMIT ?", (expression, index_id, limit))
    return [(int(r[0]), float(r[1])) for r in rows]


_CHUNK_FIELDS = ("SELECT c.id, c.position, c.start_at, c.end_at, c.heading, c.text, d.source, "
                 "d.path, d.unit FROM rag_chunks c JOIN rag_documents d ON d.id = c.document_id ")


def chunk_rows(conn: sqlite3.Connection, ids: list[int]) -> dict[int, sqlite3.Row]:
    """{chunk id: row with its text, span and document fields}; ids gone meanwhile are absent."""
    found: dict[int, sqlite3.Row] = {}
    for lo in range(0, len(ids), _PARAMS):
        part = ids[lo : lo + _PARAMS]
        marks = ",".join("?" * len(part))
        found.update((int(r["id"]), r)
                     for r in conn.execute(_CHUNK_FIELDS + f"WHERE c.id IN ({marks})", part))
    return found


def iter_chunks(conn: sqlite3.Connection, info: IndexInfo) -> Iterator[sqlite3.Row]:
    """Every ready chunk of an index with its document's fields (for show and evaluation)."""
    yield from conn.execute(
        _CHUNK_FIELDS + "WHERE c.index_id = ? AND d.state = 'ready' ORDER BY d.source, c.position",
        (info.id,))
