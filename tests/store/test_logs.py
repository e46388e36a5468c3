import sqlite3

import pytest

from llmcli.core.errors import StorageError, register_secret
from llmcli.core.messages import ChatRequest, Message
from llmcli.core.options import Options
from llmcli.core.response import Response, Timings, UsageInfo
from llmcli.store.db import connect
from llmcli.store.logs import LogStore
from llmcli.store.schema import MIGRATIONS


def exchange(prompt="Qual é a capital de Portugal? 🇵🇹", reply="Lisboa.", status="complete"):
    req = ChatRequest(
        model="m",
        messages=[
            Message(role="system", content="seja breve"),
            Message(role="user", content=prompt),
        ],
        options=Options(temperature=0.3),
    )
    resp = Response(
        text=reply,
        model="m",
        provider="p",
        status=status,
        usage=UsageInfo(input_tokens=5, output_tokens=2, total_tokens=7),
        timings=Timings(ttft=0.1, total=0.4),
        finish_reason="stop",
    )
    return req, resp


@pytest.fixture
def store(tmp_path):
    s = LogStore(tmp_path / "data" / "logs.db")
    yield s
    s.close()


def test_roundtrip_keeps_unicode_and_metrics(store):
    log_id = store.log(*exchange())
    row = store.get(log_id)
    assert row["prompt"] == "Qual é a capital de Portugal? 🇵🇹"
    assert row["reply"] == "Lisboa." and row["system"] == "seja breve"
    assert row["options"] == '{"temperature": 0.3}'
    assert (row["input_tokens"], row["output_tokens"], row["ttft"], row["duration"]) == (
        5,
        2,
        0.1,
        0.4,
    )
    assert row["status"] == "complete"


def test_wal_mode_and_schema_version(store, tmp_path):
    store.log(*exchange())
    conn = sqlite3.connect(tmp_path / "data" / "logs.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


def test_full_text_search(store):
    store.log(*exchange())
    store.log(*exchange(prompt="Explain transformers", reply="Attention is all you need"))
    found = store.search("attention")
    assert [r["prompt"] for r in found] == ["Explain transformers"]
    assert store.search('capital "Portugal')[0]["reply"] == "Lisboa."
    assert store.search("   ") == []


def test_remove_and_filters(store):
    a = store.log(*exchange(), conversation_id="c1")
    b = store.log(*exchange(), batch_id="b1")
    assert [r["id"] for r in store.list(conversation_id="c1")] == [a]
    assert [r["id"] for r in store.list(batch_id="b1")] == [b]
    assert store.latest_conversation() == "c1"
    assert store.remove(a) and not store.remove(a)
    assert store.count() == 1
    assert store.search("Lisboa")[0]["id"] == b


def test_keys_are_scrubbed_from_the_log(store):
    register_secret("sk-secret-value-123456")
    log_id = store.log(*exchange(prompt="my key is sk-secret-value-123456"))
    row = store.get(log_id)
    assert "sk-secret-value-123456" not in row["prompt"]
    assert "sk-secret-value-123456" not in row["messages"]


def test_corrupt_file_is_an_error_and_is_not_replaced(tmp_path):
    path = tmp_path / "logs.db"
    path.write_bytes(b"this is not a database, it is the user's precious file" * 100)
    before = path.read_bytes()
    with pytest.raises(StorageError) as err:
        connect(path)
    assert "unreadable" in err.value.one_line() and "--no-log" in err.value.one_line()
    assert path.read_bytes() == before


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "logs.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 5}")
    conn.close()
    with pytest.raises(StorageError, match="newer"):
        connect(path)


def test_migration_from_empty_v0_file(tmp_path):
    path = tmp_path / "logs.db"
    sqlite3.connect(path).close()  # an empty database at version 0
    conn = connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert conn.execute("SELECT COUNT(*) FROM exchanges").fetchone()[0] == 0
