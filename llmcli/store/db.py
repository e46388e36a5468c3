"""Opening the database: WAL, a busy timeout, migrations, and refusing to clobber a bad file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from llmcli.core.errors import StorageError
from llmcli.store.schema import MIGRATIONS

BUSY_TIMEOUT_S = 30.0


def connect(path: Path, *, any_thread: bool = False) -> sqlite3.Connection:
    """Open (creating if absent) and migrate the database at `path`.

    A file that exists but is not a readable SQLite database is an error, never recreated:
    it may hold a user's history. `any_thread` lets worker threads share the connection (the
    caller serialises its use, e.g. with a lock).
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(
            f"cannot create {path.parent}: {exc.strerror}", hint="check permissions or use --no-log"
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
        migrate(conn)
    except sqlite3.DatabaseError as exc:
        raise StorageError(
            f"logs database {path} is unreadable ({exc})",
            hint="move the file aside to start a new log, or pass --no-log",
        ) from None
    return conn


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema up to date; returns the version reached."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version >= len(MIGRATIONS):
        if version > len(MIGRATIONS):
            raise StorageError(
                f"logs database has schema version {version}, newer than this llmcli knows",
                hint="upgrade llmcli",
            )
        return version
    # IMMEDIATE takes the write lock first, so two processes never migrate at once.
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        for number in range(version, len(MIGRATIONS)):
            for statement in _statements(MIGRATIONS[number]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number + 1}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return len(MIGRATIONS)


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
