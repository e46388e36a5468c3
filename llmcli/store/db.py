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
    it may hold a user's history. A valid file that cannot be written (read-only media, no
    write permission) is opened read-only, so reading commands work; a write then fails with
    `describe`'s message. `any_thread` lets worker threads share the connection (the caller
    serialises its use, e.g. with a lock).
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
        _configure(conn)
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        migrate(conn, schema)
    except sqlite3.DatabaseError as exc:
        if _cannot_write(exc) and path.exists():
            return _connect_read_only(path, schema, any_thread, describe(exc, path, schema))
        raise describe(exc, path, schema) from None
    return conn


def _configure(conn: sqlite3.Connection) -> None:
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    conn.execute("PRAGMA foreign_keys = ON")


class ReadOnlyConnection(sqlite3.Connection):
    """A database opened for reading because it could not be written; `reason` says why
    (read-only, disk full), for the first write that is tried."""

    reason: StorageError | None = None


def write_failure(conn: sqlite3.Connection | None, exc: sqlite3.Error, path: Path,
                  schema: Schema = LOGS) -> StorageError:
    """Why a write failed: the reason the database was opened read-only, else `describe`."""
    if isinstance(conn, ReadOnlyConnection) and conn.reason is not None:
        return conn.reason
    return describe(exc, path, schema)


def _connect_read_only(path: Path, schema: Schema, any_thread: bool,
                       reason: StorageError) -> sqlite3.Connection:
    """The file as it is, for reading: `immutable` because on read-only media SQLite cannot
    create the WAL's shared-memory file beside it (and nobody else can write it either)."""
    from urllib.parse import quote

    uri = f"file:{quote(str(path.resolve()))}?mode=ro&immutable=1"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                               check_same_thread=not any_thread, factory=ReadOnlyConnection)
        conn.reason = reason
        _configure(conn)
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise describe(exc, path, schema) from None
    if version != len(schema.migrations):
        conn.close()
        raise StorageError(
            f"{schema.label} {path} is read-only and needs an update this llmcli cannot write",
            hint="make it writable once, or pass --no-log",
        )
    return conn


def _cannot_write(exc: sqlite3.DatabaseError) -> bool:
    name = getattr(exc, "sqlite_errorname", "") or ""
    return name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_FULL",
                            "SQLITE_IOERR", "SQLITE_PERM", "SQLITE_AUTH"))


def _file_system_state(path: Path) -> str | None:
    """'SQLITE_READONLY' on read-only media or without write permission, 'SQLITE_FULL' when
    no block is left; None when the file system looks fine."""
    import os

    folder = path.parent
    try:
        st = os.statvfs(folder)
    except OSError:
        return None
    if st.f_flag & os.ST_RDONLY:
        return "SQLITE_READONLY"
    if st.f_bavail == 0:
        return "SQLITE_FULL"
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        return "SQLITE_READONLY"
    return None


def describe(exc: sqlite3.Error, path: Path, schema: Schema = LOGS) -> StorageError:
    """What is actually wrong with a database file, in one line: read-only, disk full,
    not a database. Only a file that is not a database is called unreadable."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    label = f"{schema.label} {path}"
    if name.startswith(("SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_READONLY", "SQLITE_FULL")):
        # SQLite says 'unable to open' or 'disk I/O error' when it cannot create or grow the
        # WAL files beside the database: the file system knows which it is.
        name = _file_system_state(path) or name
    if name.startswith(("SQLITE_READONLY", "SQLITE_PERM", "SQLITE_AUTH")):
        return StorageError(f"{label} is read-only (read-only media or no write permission)",
                            hint="make it writable, or pass --no-log")
    if name.startswith("SQLITE_FULL"):
        return StorageError(f"the disk holding the {label} is full",
                            hint="free some space, or pass --no-log")
    if name.startswith(("SQLITE_CANTOPEN", "SQLITE_IOERR")):
        return StorageError(f"cannot open the {label} for writing ({exc})",
                            hint="check the disk and its permissions, or pass --no-log")
    return StorageError(f"{label} is unreadable ({exc})", hint=schema.hint)


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
