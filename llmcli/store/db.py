"""Opening a database: WAL, a busy timeout, migrations, and refusing to clobber a bad file.

Every SQLite file llmcli keeps is opened here: the logs database (exchanges, conversations,
votes, rag indexes) and the embedding cache. Nothing outside llmcli.store imports sqlite3.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from llmcli.core.errors import StorageError
from llmcli.store.schema import EMBEDDING_CACHE_MIGRATIONS, MIGRATIONS

BUSY_TIMEOUT_S = 30.0
Connection = sqlite3.Connection  # for annotations elsewhere: they need not import sqlite3
Row = sqlite3.Row
Error = sqlite3.Error


@dataclass(frozen=True)
class Schema:
    """One kind of database file: what to call it in errors, its migrations, what to do."""

    label: str
    migrations: tuple[str, ...]
    hint: str  # for a file that cannot be read
    dir_hint: str  # for a folder that cannot be created


LOGS = Schema(
    "logs database", tuple(MIGRATIONS),
    hint="move the file aside to start a new log, or pass --no-log",
    dir_hint="check permissions or use --no-log",
)
# A cache of vectors, kept apart from the history so it can be deleted (or left out of a
# backup) without losing anything but the time to embed again.
EMBEDDING_CACHE = Schema(
    "embedding cache", tuple(EMBEDDING_CACHE_MIGRATIONS),
    hint="move the file aside: it only saves time, vectors are computed again",
    dir_hint="make the llmcli data dir writable",
)


def connect(path: Path, *, schema: Schema = LOGS, any_thread: bool = False) -> sqlite3.Connection:
    """Open (creating if absent) and migrate the database at `path`.

    A file that exists but is not a readable SQLite database is an error, never recreated:
    it may hold a user's history. `any_thread` lets worker threads share the connection (the
    caller serialises its use, e.g. with a lock).
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(
            f"cannot create {path.parent}: {exc.strerror}", hint=schema.dir_hint
        ) from None
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                               check_same_thread=not any_thread)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        migrate(conn, schema)
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"{schema.label} {path} is unreadable ({exc})",
                           hint=schema.hint) from None
    return conn


def migrate(conn: sqlite3.Connection, schema: Schema = LOGS) -> int:
    """Bring the schema up to date; returns the version reached."""
    migrations = schema.migrations
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version >= len(migrations):
        if version > len(migrations):
            raise StorageError(
                f"{schema.label} has schema version {version}, newer than this llmcli knows",
                hint="upgrade llmcli",
            )
        return version
    # IMMEDIATE takes the write lock first, so two processes never migrate at once.
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        for number in range(version, len(migrations)):
            for statement in _statements(migrations[number]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number + 1}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return len(migrations)


def _statements(script: str) -> list[str]:
    """Split a migration into statements (triggers hold semicolons inside BEGIN...END)."""
    out: list[str] = []
    buf = ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out
