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


def test_a_provider_alone_lists_all_its_models(cli, home):
    from llmcli.core.response import Response

    store = LogStore(Paths.from_env().logs_db)
    for provider, model in (("groq", "llama-3.1-8b-instant"), ("groq", "openai/gpt-oss-20b"),
                            ("local", "gemma-3-270m")):
        req, resp = exchange()
        store.log(req.model_copy(update={"model": model}),
                  Response(**{**resp.model_dump(), "provider": provider, "model": model}))
    store.close()
    for spec, want in (("groq", 2), ("local", 1), ("groq:openai/gpt-oss-20b", 1),
                       ("openai/gpt-oss-20b", 1)):
        rows = json.loads(cli("logs", "list", "-m", spec, "--json").stdout)
        assert len(rows) == want, spec


def test_an_unknown_comparison_or_batch_id_is_an_error(cli, seeded):
    for flag in ("--comparison", "--batch", "--cid"):
        res = cli("logs", "list", flag, "nosuchid")
        assert res.exit_code == 2 and "with id 'nosuchid'" in res.stderr, flag
        assert res.stdout == ""


def test_a_cell_is_cut_once_in_a_terminal(cli, home):
    store = LogStore(Paths.from_env().logs_db)
    store.log(*exchange(prompt="uma pergunta bem comprida " * 20, reply="resposta longa " * 30))
    store.close()
    res = cli("logs", "list", stdout_tty=True, width=80)
    import re

    lines = [re.sub(r"\x1b\[[0-9;]*m", "", ln) for ln in res.stdout.splitlines()]
    body = [ln for ln in lines if ln.startswith("│")]
    assert len(body) == 1  # one row: nothing folded onto a second line
    assert "uma per" in body[0] and "…" in body[0] and "respost" in body[0]
    assert all(len(ln) <= 80 for ln in lines)


def test_rm_deletes_the_texts_and_bytes_no_other_exchange_sent(cli, gemini_server, tmp_path):
    import sqlite3

    from tests import samples

    shared, own, image = tmp_path / "shared.md", tmp_path / "own.md", tmp_path / "foto.png"
    shared.write_text("partilhado 📎")
    own.write_text("só deste pedido ✅")
    image.write_bytes(samples.png())
    first = cli("prompt", "-m", "gemini", "-f", str(shared), "-f", str(own), "-a", str(image),
                "um", "--json")
    second = cli("prompt", "-m", "gemini", "-f", str(shared), "dois", "--json")
    assert first.exit_code == 0 and second.exit_code == 0, first.stderr + second.stderr

    def stored() -> tuple[list[str], int]:
        db = sqlite3.connect(Paths.from_env().logs_db)
        texts = sorted(r[0] for r in db.execute("SELECT content FROM fragments"))
        images = db.execute("SELECT COUNT(*) FROM attachments").fetchone()[0]
        db.close()
        return texts, images

    assert stored() == (["partilhado 📎", "só deste pedido ✅"], 1)
    assert cli("logs", "rm", str(json.loads(first.stdout)["log_id"])).exit_code == 0
    assert stored() == (["partilhado 📎"], 0)  # the second exchange still sends the shared one
    shown = cli("logs", "show", str(json.loads(second.stdout)["log_id"]))
    assert "partilhado 📎" in shown.stdout
