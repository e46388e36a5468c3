"""The one connect: WAL, busy timeout, foreign keys, and sharing across threads on request."""

import sqlite3
import threading

import pytest

from llmcli.store.db import BUSY_TIMEOUT_S, connect


def _in_thread(fn):
    out: list = []

    def run():
        try:
            out.append(fn())
        except Exception as exc:  # handed back to the test
            out.append(exc)

    t = threading.Thread(target=run)
    t.start()
    t.join()
    return out[0]


def test_connection_is_set_up_the_same_way_for_every_caller(tmp_path):
    for any_thread in (False, True):
        conn = connect(tmp_path / f"db{any_thread}.db", any_thread=any_thread)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == int(BUSY_TIMEOUT_S * 1000)
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert isinstance(conn.execute("SELECT 1 AS one").fetchone(), sqlite3.Row)
        conn.close()


def test_any_thread_connection_is_usable_from_a_worker_thread(tmp_path):
    shared = connect(tmp_path / "logs.db", any_thread=True)
    assert _in_thread(lambda: shared.execute("SELECT COUNT(*) FROM rag_indexes").fetchone()[0]) == 0
    own = connect(tmp_path / "logs.db")
    with pytest.raises(sqlite3.ProgrammingError):
        raise _in_thread(lambda: own.execute("SELECT 1").fetchone())
