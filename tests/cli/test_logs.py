"""`llmcli logs` over a real SQLite file written by the log store."""

import json

import pytest

from llmcli.config import Paths
from llmcli.store.logs import LogStore
from tests.store.test_logs import exchange


@pytest.fixture
def seeded(home):
    store = LogStore(Paths.from_env().logs_db)
    ids = [
        store.log(*exchange()),
        store.log(
            *exchange(prompt="O gato subiu no telhado", reply="porque viu um pássaro 🐦"),
            batch_id="b7",
        ),
    ]
    store.close()
    return ids


def test_list_json_newest_first(cli, seeded):
    res = cli("logs", "list", "--json")
    assert res.exit_code == 0
    rows = json.loads(res.stdout)
    assert [r["id"] for r in rows] == seeded[::-1]
    assert rows[0]["reply"] == "porque viu um pássaro 🐦"


def test_list_plain_is_tab_separated(cli, seeded):
    res = cli("logs", "list", "-n", "1")
    lines = res.stdout.strip().split("\n")
    assert lines[0].split("\t")[0] == "id" and len(lines) == 2


def test_filter_by_batch(cli, seeded):
    rows = json.loads(cli("logs", "list", "--batch", "b7", "--json").stdout)
    assert [r["id"] for r in rows] == [seeded[1]]


def test_show_and_missing(cli, seeded):
    res = cli("logs", "show", str(seeded[0]))
    assert "Lisboa." in res.stdout and "seja breve" in res.stdout
    res = cli("logs", "show", "999")
    assert res.exit_code == 2 and "no exchange with id 999" in res.stderr


def test_search_accents(cli, seeded):
    rows = json.loads(cli("logs", "search", "telhado", "--json").stdout)
    assert [r["id"] for r in rows] == [seeded[1]]


def test_export_jsonl_to_file(cli, seeded, tmp_path):
    out = tmp_path / "export.jsonl"
    assert cli("logs", "export", "--jsonl", "-O", str(out)).exit_code == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["id"] for line in lines] == seeded


def test_rm(cli, seeded):
    assert cli("logs", "rm", str(seeded[0])).exit_code == 0
    rows = json.loads(cli("logs", "list", "--json").stdout)
    assert [r["id"] for r in rows] == [seeded[1]]


def test_corrupt_db_is_reported_not_replaced(cli, home):
    db = Paths.from_env().logs_db
    db.parent.mkdir(parents=True)
    db.write_bytes(b"garbage" * 1000)
    res = cli("logs", "list")
    assert res.exit_code == 12 and "unreadable" in res.stderr
    assert db.read_bytes() == b"garbage" * 1000
