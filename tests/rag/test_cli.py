"""`llmcli rag ...`, `prompt --rag`, `compare --rag`, `batch --rag` and chat `/rag` end to end:
the real openai SDK over HTTP to the loopback stub, whose /embeddings answers bag-of-words
vectors so rankings are meaningful."""

from __future__ import annotations

import json
import sqlite3

import pytest

from llmcli.config import Paths
from llmcli.store.schema import MIGRATIONS

EMB = ["-m", "openai:text-embedding-3-small"]
CHAT = ["-m", "openai:gpt-4o-mini"]


@pytest.fixture
def indexed(cli, embed_server, notes):
    res = cli("rag", "index", "notas", str(notes), *EMB)
    assert res.exit_code == 0, res.stderr
    return res


def chat_requests(stub):
    return [r for r in stub.requests_for("chat")]


def test_index_prints_a_summary_and_the_skipped_files(indexed, notes):
    out, err = indexed.stdout, indexed.stderr
    assert "index 'notas' (openai:text-embedding-3-small): 6 files: 3 added" in out
    assert "3 skipped" in out
    assert "skipped 3 files:" in err
    assert f"{notes / 'foto.png'}: binary file (.png)" in err
    assert "latin1.txt: not UTF-8 text" in err


def test_reindex_embeds_nothing_new(cli, indexed, embed_server):
    before = len(embed_server.requests_for("embeddings"))
    res = cli("rag", "index", "notas", "--json")
    assert res.exit_code == 0
    data = json.loads(res.stdout)
    assert (data["added"], data["unchanged"], data["embedded"]) == (0, 3, 0)
    assert len(embed_server.requests_for("embeddings")) == before


def test_list_show_and_rm(cli, indexed):
    res = cli("rag", "list", "--json")
    [info] = json.loads(res.stdout)
    assert (info["name"], info["embed_model"], info["documents"]) == (
        "notas", "openai:text-embedding-3-small", 3)
    res = cli("rag", "list")
    assert res.stdout.splitlines()[0].split("\t")[:3] == ["name", "model", "documents"]
    res = cli("rag", "show", "notas")
    assert "embedding model: openai:text-embedding-3-small" in res.stdout
    assert "sub/treino.txt" in res.stdout
    res = cli("rag", "rm", "notas")
    assert res.exit_code == 0 and "removed index 'notas'" in res.stderr
    assert json.loads(cli("rag", "list", "--json").stdout) == []


def test_search_json_ranks_the_right_chunk(cli, indexed, embed_server):
    res = cli("rag", "search", "notas", "quantos ml de água beber por quilo", "--top", "2",
              "--json")
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["model"] == "openai:text-embedding-3-small" and data["mode"] == "hybrid"
    top = data["hits"][0]
    assert top["source"] == "sub/treino.txt" and "35 ml" in top["text"]
    assert top["location"] == "sub/treino.txt:1-3"
    emb = embed_server.requests_for("embeddings")[-1]
    assert emb.body["input"] == ["quantos ml de água beber por quilo"]


def test_search_plain_output_and_stdin(cli, indexed):
    res = cli("rag", "search", "notas", "--mode", "keyword", "-n", "1",
              input="abacate proteínas")
    assert res.exit_code == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0].startswith("# notas · openai:text-embedding-3-small · keyword")
    assert lines[2].startswith("[1] tabela.csv row")


def test_query_embedding_is_cached(cli, indexed, embed_server):
    cli("rag", "search", "notas", "sono horas", "--json")
    n = len(embed_server.requests_for("embeddings"))
    cli("rag", "search", "notas", "sono horas", "--json")
    assert len(embed_server.requests_for("embeddings")) == n


def test_unknown_index(cli, indexed):
    res = cli("rag", "search", "nota", "x")
    assert res.exit_code == 2
    assert "no index named 'nota' (did you mean 'notas'?" in res.stderr


def test_query_with_another_model_is_refused(cli, indexed, gemini_server):
    res = cli("rag", "search", "notas", "frango", "-m", "gemini")
    assert res.exit_code == 2
    assert "was embedded with openai:text-embedding-3-small" in res.stderr
    assert "use -m openai:text-embedding-3-small" in res.stderr


def test_a_provider_without_embeddings_is_unsupported(cli, notes, groq_server):
    res = cli("rag", "index", "x", str(notes), "-m", "groq")
    assert res.exit_code == 13
    assert "has no embeddings" in res.stderr and "gemini" in res.stderr
    assert "Traceback" not in res.stderr


def test_empty_folder_and_only_unreadable_files(cli, embed_server, tmp_path):
    empty = tmp_path / "vazio"
    empty.mkdir()
    res = cli("rag", "index", "vazio", str(empty), *EMB)
    assert res.exit_code == 2 and "nothing to index" in res.stderr
    assert "no index was created" in res.stderr
    assert "vazio" not in cli("rag", "list").stdout  # no empty index left behind
    (empty / "x.png").write_bytes(b"\x89PNG")
    res = cli("rag", "index", "vazio", str(empty), *EMB)
    assert res.exit_code == 2 and "x.png: binary file (.png)" in res.stderr
    res = cli("rag", "search", "vazio", "x")
    assert res.exit_code == 2 and "holds no chunks" not in res.stderr
    assert "vazio" not in cli("rag", "list").stdout


def test_missing_path(cli, embed_server, tmp_path):
    res = cli("rag", "index", "x", str(tmp_path / "nada"), *EMB)
    assert res.exit_code == 2 and "no such file or folder" in res.stderr


def test_gemini_embeddings_are_remembered(cli, gemini_server, notes):
    res = cli("rag", "index", "g", str(notes / "receitas.md"), "-m", "gemini", "--json")
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["model"] == "gemini:gemini-embedding-001"
    assert gemini_server.requests_for("embeddings")


def test_older_database_is_migrated_not_lost(cli, embed_server, notes):
    path = Paths.from_env().logs_db
    path.parent.mkdir(parents=True)
    old = sqlite3.connect(path)
    old.executescript(MIGRATIONS[0] + MIGRATIONS[1])
    old.execute("PRAGMA user_version = 2")
    old.execute("INSERT INTO exchanges (created, provider, model, prompt, reply, status) "
                "VALUES ('2025-01-01', 'groq', 'llama', 'pergunta antiga', 'oi', 'complete')")
    old.commit()
    old.close()
    res = cli("rag", "index", "notas", str(notes), *EMB)
    assert res.exit_code == 0, res.stderr
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert conn.execute("SELECT prompt FROM exchanges").fetchall() == [("pergunta antiga",)]
    conn.close()
    assert "pergunta antiga" in cli("logs", "list").stdout


def test_a_damaged_logs_database_is_reported_and_kept(cli, embed_server, notes):
    path = Paths.from_env().logs_db
    path.parent.mkdir(parents=True)
    damaged = b"the user's history, damaged " * 100
    path.write_bytes(damaged)
    for args in (("rag", "list"), ("rag", "index", "notas", str(notes), *EMB)):
        res = cli(*args)
        assert res.exit_code == 12, res.stderr
        assert "logs database" in res.stderr and "unreadable" in res.stderr
        assert "Traceback" not in res.stderr
    assert path.read_bytes() == damaged
    assert embed_server.requests_for("embeddings") == []


# -- asking with context -------------------------------------------------------------------------
def test_prompt_rag_sends_numbered_context_and_lists_sources(cli, indexed, embed_server):
    embed_server.chunks = ["Beba 35 ml por quilo ", "[1]."]
    res = cli("prompt", "--rag", "notas", "quanta água beber por quilo", *CHAT)
    assert res.exit_code == 0, res.stderr
    body = chat_requests(embed_server)[-1].body
    system, user = body["messages"]
    assert system["role"] == "system" and "cite" in system["content"]
    assert user["content"].startswith("Context:\n[1] (sub/treino.txt:1-3) Hidratação")
    assert user["content"].endswith("Question: quanta água beber por quilo")
    assert body["temperature"] == 0
    assert res.stdout == "Beba 35 ml por quilo [1].\n"  # in a pipe stdout holds the reply only
    err = res.stderr.splitlines()
    start = err.index("Sources:")
    assert err[start + 1] == "[1] sub/treino.txt:1-3 (cited)"
    assert len(err) == start + 1 + 4  # four passages by default


def test_prompt_rag_json_and_top(cli, indexed, embed_server):
    embed_server.reply_text = "Sim [2] e [9]."
    res = cli("prompt", "--rag", "notas", "--rag-top", "2", "frango grelhado", *CHAT, "--json")
    data = json.loads(res.stdout)
    assert data["text"] == "Sim [2] e [9]."
    assert len(data["context"]) == 2 and data["cited"] == [2] and data["uncited_numbers"] == [9]
    assert [s["cited"] for s in data["sources"]] == [False, True]
    rows = sqlite3.connect(Paths.from_env().logs_db).execute(
        "SELECT template, prompt FROM exchanges").fetchall()
    assert rows[-1][0] == "rag" and rows[-1][1] == "frango grelhado"  # the question (#15)


def test_show_context_goes_to_stderr(cli, indexed, embed_server):
    embed_server.reply_text = "Resposta [1]."
    res = cli("prompt", "--rag", "notas", "--show-context", "omelete de claras", *CHAT)
    assert res.exit_code == 0, res.stderr
    assert res.stdout.startswith("Resposta [1].\n")
    assert "# context: 4 from index 'notas'" in res.stderr
    assert "--- user ---\nContext:\n[1] (receitas.md:" in res.stderr


def test_show_prompt_with_rag_sends_nothing(cli, indexed, embed_server):
    res = cli("prompt", "--rag", "notas", "--show-prompt", "sono", *CHAT)
    assert res.exit_code == 0
    assert "--- user ---" in res.stdout and "Question: sono" in res.stdout
    assert not chat_requests(embed_server)


@pytest.mark.parametrize(("args", "message"), [
    (["--show-context", "x"], "--show-context needs --rag NAME"),
    (["--rag", "notas", "--samples", "3", "x"], "--samples does not combine with --rag"),
    (["--rag", "notas", "-v", "chunks=a", "x"], "-v chunks=... cannot be used with --rag"),
    (["--rag", "notas", "-t", "chain-of-thought", "x"], "cannot hold retrieved context"),
    (["--rag", "notas", "--rag-mode", "fuzzy", "x"], "unknown --mode 'fuzzy'"),
    (["--rag", "nenhum", "x"], "no index named 'nenhum'"),
])
def test_prompt_rag_bad_input(cli, indexed, args, message):
    res = cli("prompt", *args, *CHAT)
    assert res.exit_code == 2
    assert message in res.stderr


def test_compare_rag_gives_every_model_the_same_context(cli, indexed, embed_server):
    res = cli("compare", "--rag", "notas", "--rag-top", "2", "quanto dormir por noite",
              "-m", "openai:gpt-4o-mini", "-m", "openai:gpt-4o", "--json")
    assert res.exit_code == 0, res.stderr
    bodies = [r.body for r in chat_requests(embed_server)]
    assert len(bodies) == 2
    assert bodies[0]["messages"] == bodies[1]["messages"]
    assert "[1] (sub/treino.txt:" in bodies[0]["messages"][-1]["content"]
    assert "context for 'quanto dormir por noite' from 'notas'" in res.stderr


def test_batch_rag_retrieves_for_each_input(cli, indexed, embed_server, tmp_path):
    src = tmp_path / "perguntas.jsonl"
    src.write_text('{"id": 1, "prompt": "quanto de água por quilo"}\n'
                   '{"id": 2, "prompt": "omelete de claras com espinafre"}\n', encoding="utf-8")
    res = cli("batch", str(src), "--rag", "notas", "--rag-top", "1", *CHAT)
    assert res.exit_code == 0, res.stderr
    records = [json.loads(line) for line in res.stdout.splitlines()]
    assert sorted(r["id"] for r in records) == [1, 2]
    users = {r.body["messages"][-1]["content"].rsplit("Question: ", 1)[1]:
             r.body["messages"][-1]["content"] for r in chat_requests(embed_server)}
    assert "[1] (receitas.md:" in users["omelete de claras com espinafre"]
    assert "[1] (sub/treino.txt:1-3)" in users["quanto de água por quilo"]


def test_chat_rag_command(cli, indexed, embed_server):
    embed_server.reply_text = "Sete a nove horas [1]."
    script = "/rag notas 2\n/rag\nquantas horas dormir\n/rag off\noi\n"
    res = cli("chat", *CHAT, input=script)
    assert res.exit_code == 0, res.stderr
    assert "each message now carries passages from 'notas'" in res.stderr
    assert "sources: [1] sub/treino.txt:1-3 (cited)" in res.stderr
    bodies = [r.body for r in chat_requests(embed_server)]
    assert "Question: quantas horas dormir" in bodies[0]["messages"][-1]["content"]
    assert bodies[1]["messages"][-1]["content"] == "oi"  # after /rag off: as typed
    res = cli("chat", *CHAT, input="/rag nada\n")
    assert "no index named 'nada'" in res.stderr


def test_ctrl_c_while_indexing_keeps_what_was_done(embed_server, notes):
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import ROOT
    from tests.stubs.base import Hang

    # Batches run across files (32 chunks a request): enough files for two requests, the
    # second of which never answers.
    for i in range(40):
        (notes / f"nota{i:02}.txt").write_text(f"Nota {i}: assunto número {i}.\n",
                                               encoding="utf-8")
    real = embed_server.embeddings
    embed_server.script("embeddings", real, Hang(seconds=30))
    proc = subprocess.Popen([sys.executable, "-m", "llmcli", "rag", "index", "notas", str(notes),
                             *EMB], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, env=dict(os.environ), cwd=ROOT)
    deadline = time.monotonic() + 60
    while len(embed_server.requests_for("embeddings")) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err.decode()
    assert b"indexing interrupted; the files done so far are kept" in err
    assert b"Traceback" not in err
    from tests.conftest import run_in_process

    res = run_in_process(["rag", "index", "notas", "--json"])
    data = json.loads(res.stdout)
    # the files of the first request were kept; the rest are indexed now
    assert data["unchanged"] >= 20 and data["added"] >= 1, data
    assert data["unchanged"] + data["added"] == 43, data


def test_small_files_share_embedding_requests(cli, embed_server, tmp_path):
    root = tmp_path / "muitas"
    root.mkdir()
    for i in range(100):
        (root / f"n{i:03}.txt").write_text(f"Nota {i}: café e pão número {i}.\n",
                                          encoding="utf-8")
    res = cli("rag", "index", "muitas", str(root), *EMB, "--json")
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["added"] == 100
    sizes = [len(r.body["input"]) for r in embed_server.requests_for("embeddings")]
    assert sum(sizes) == 100 and len(sizes) == 4, sizes  # 32 + 32 + 32 + 4, not 100 requests
    res = cli("rag", "search", "muitas", "café número 7", *EMB, "--json")
    assert res.exit_code == 0, res.stderr


def test_batch_rag_dry_run_embeds_nothing(cli, indexed, embed_server, tmp_path):
    src = tmp_path / "perguntas.jsonl"
    src.write_text('{"id": 1, "prompt": "sono"}\n{"id": 2}\n', encoding="utf-8")
    n = len(embed_server.requests_for("embeddings"))
    res = cli("batch", str(src), "--rag", "notas", "--dry-run", *CHAT)
    assert len(embed_server.requests_for("embeddings")) == n
    assert not chat_requests(embed_server)
    assert "line 2" in res.stderr


def test_the_log_shows_the_question_not_the_context(cli, indexed, embed_server):
    assert cli("prompt", "--rag", "notas", "quanta água beber por quilo", *CHAT).exit_code == 0
    res = cli("chat", *CHAT, input="/rag notas 2\nquantas horas dormir\n")
    assert res.exit_code == 0, res.stderr
    rows = json.loads(cli("logs", "list", "--json").stdout)
    assert [r["prompt"] for r in rows] == ["quantas horas dormir", "quanta água beber por quilo"]
    assert "Context:" in json.loads(rows[0]["messages"])[-1]["content"]  # what was sent
    titles = json.loads(cli("logs", "conversations", "--json").stdout)
    assert [c["title"] for c in titles] == ["quantas horas dormir"]
