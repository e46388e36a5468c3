"""The inspection commands end to end: tokenize, detokenize, embed, similar (cloud stubs and
offline encodings here; the local model's views are in tests/inspect/test_local_views.py)."""

from __future__ import annotations

import json

import pytest

# Registers the commands even before app.py lists them.
from tests.stubs.base import Reply

TEXT = "your cat is a lovely cat"


def test_tokenize_plain_lists_pieces_and_ids(cli):
    r = cli("tokenize", TEXT, "-m", "o200k_base")
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("tiktoken:o200k_base  6 tokens · 24 chars · 4.00 chars/token")
    assert lines[1] == "your|␣cat|␣is|␣a|␣lovely|␣cat"
    assert lines[2].split() == ["0", "35156", "your"]
    assert "\x1b[" not in r.stdout


def test_tokenize_several_models_labels_estimates(cli):
    r = cli("tokenize", TEXT, "-m", "openai:gpt-4o-mini", "-m", "openai:gpt-4", "-m", "groq",
            "--json")
    assert r.exit_code == 0, r.stderr
    views = json.loads(r.stdout)["views"]
    assert [v["model"] for v in views] == [
        "openai:gpt-4o-mini", "openai:gpt-4", "groq:openai/gpt-oss-20b"]
    assert [v["tokenizer"] for v in views] == [
        "tiktoken o200k_base", "tiktoken cl100k_base", "tiktoken o200k_base"]
    assert [v["estimate"] for v in views] == [False, False, True]
    assert "not the model's own" in views[2]["note"]
    assert [t["id"] for t in views[1]["tokens"]] == [22479, 8415, 374, 264, 17104, 8415]
    assert views[0]["count"] == 6 and views[0]["chars_per_token"] == 4.0


def test_tokenize_gemini_counts_through_its_api(cli, gemini_server):
    gemini_server.total_tokens_reply = 7
    r = cli("tokenize", TEXT, "-m", "gemini", "--json")
    assert r.exit_code == 0, r.stderr
    (view,) = json.loads(r.stdout)["views"]
    assert view["count"] == 7 and view["exact"] is True and view["tokens"] == []
    assert "API" in view["note"]
    assert gemini_server.requests_for("count_tokens")


def test_tokenize_one_failing_model_does_not_hide_the_others(cli):
    r = cli("tokenize", TEXT, "-m", "o200k_base", "-m", "gemini")  # no Gemini key here
    assert r.exit_code == 3  # MissingKey's code, after both rows were printed
    assert "tiktoken:o200k_base  6 tokens" in r.stdout
    assert "gemini" in r.stdout and "error:" in r.stdout


def test_ids_round_trip_through_detokenize(cli):
    text = "Ação, coração — não é? 🐱 日本語"
    r = cli("tokenize", text, "-m", "cl100k_base", "--ids")
    assert r.exit_code == 0
    ids = r.stdout.split()
    assert all(i.isdigit() for i in ids)
    back = cli("detokenize", *ids, "-m", "cl100k_base")
    assert back.stdout == text + "\n"
    piped = cli("detokenize", "-m", "cl100k_base", input=r.stdout)
    assert piped.stdout == text + "\n"
    js = json.loads(cli("detokenize", "[15339,", "1917]", "-m", "cl100k_base", "--json").stdout)
    assert js["text"] == "hello world"
    assert [t["piece"] for t in js["tokens"]] == ["hello", "␣world"]


def test_detokenize_bad_ids(cli):
    r = cli("detokenize", "12", "x7", "-m", "o200k_base")
    assert r.exit_code == 2 and "'x7' is not a token id" in r.stderr
    r = cli("detokenize", "999999999", "-m", "o200k_base")
    assert r.exit_code == 2 and "outside the vocabulary" in r.stderr


def test_tokenize_streams_large_stdin(cli):
    block = "O gato subiu no telhado porque viu um pássaro.\n" * 20000  # ~1 MB
    r = cli("tokenize", "-m", "o200k_base", "--json", "--limit", "5", input=block)
    assert r.exit_code == 0, r.stderr
    (view,) = json.loads(r.stdout)["views"]
    assert view["chars"] == len(block)
    assert view["count"] > 200000 and len(view["tokens"]) == 5 and view["truncated"]


def test_tokenize_without_text_says_what_to_do(cli):
    r = cli("tokenize", "-m", "o200k_base")
    assert r.exit_code == 2 and "pipe it" in r.stderr


def test_tokenize_colour_and_no_color(cli):
    coloured = cli("tokenize", TEXT, "-m", "o200k_base", stdout_tty=True)
    assert "\x1b[" in coloured.stdout and "35156" in coloured.stdout
    plain = cli("tokenize", TEXT, "-m", "o200k_base", stdout_tty=True, env={"NO_COLOR": "1"})
    assert "\x1b[" not in plain.stdout
    assert "your|␣cat|␣is" in plain.stdout


@pytest.mark.parametrize("width", [40, 80, 160])
def test_tokenize_renders_at_widths(cli, width):
    r = cli("tokenize", TEXT * 5, "-m", "o200k_base", stdout_tty=True, width=width,
            env={"NO_COLOR": "1"})
    assert r.exit_code == 0
    assert "30 tokens" in r.stdout
    # The summary line is wrapped between words in a terminal, never left for the terminal
    # to cut mid-word ('tiktoken o200k_bas|e' at 80 columns)
    head = r.stdout.split("\n")[0]
    assert len(head) <= width and "tiktoken" in r.stdout and "o200k_base" in r.stdout


# -- embeddings ------------------------------------------------------------------------------------
VECTORS = {"cat": [1.0, 0.2, 0.0], "dog": [0.9, 0.3, 0.1], "car": [0.0, 0.1, 1.0]}


def openai_vectors(texts):
    return Reply(200, {"object": "list", "model": "text-embedding-3-small", "data": [
        {"object": "embedding", "index": i, "embedding": VECTORS[t]} for i, t in enumerate(texts)],
        "usage": {"prompt_tokens": 3, "total_tokens": 3}})


def test_embed_openai_json_and_similarity(cli, openai_server):
    openai_server.embedding_format = "float"
    openai_server.script("embeddings", openai_vectors(["cat", "dog", "car"]))
    r = cli("embed", "cat", "dog", "car", "-m", "openai", "--json")
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["model"] == "openai:text-embedding-3-small" and data["dimension"] == 3
    assert openai_server.last.body["model"] == "text-embedding-3-small"
    sim = data["similarity"]
    assert sim[0][0] == pytest.approx(1.0) and sim[0][1] == pytest.approx(sim[1][0])
    assert sim[0][1] > 0.95 > 0.2 > sim[0][2]
    assert data["items"][0]["vector"] == pytest.approx(VECTORS["cat"])
    # The second time the vectors come from the cache: no request.
    before = len(openai_server.requests_for("embeddings"))
    again = cli("embed", "cat", "dog", "-m", "openai", "--json")
    assert json.loads(again.stdout)["items"][1]["vector"] == pytest.approx(VECTORS["dog"])
    assert len(openai_server.requests_for("embeddings")) == before


def test_embed_gemini_renders_heatmap(cli, gemini_server):
    gemini_server.script("embeddings", Reply(200, {"embeddings": [
        {"values": VECTORS["cat"]}, {"values": VECTORS["car"]}]}))
    r = cli("embed", "cat", "car", "-m", "gemini", stdout_tty=True, env={"NO_COLOR": "1"})
    assert r.exit_code == 0, r.stderr
    assert "gemini:gemini-embedding-001 · dimension 3" in r.stdout
    assert "cosine similarity" in r.stdout and " 1.00 " in r.stdout


def test_embed_on_provider_without_embeddings(cli):
    r = cli("embed", "x", "-m", "groq")
    assert r.exit_code == 13
    assert "groq" in r.stderr and "gemini" in r.stderr and "openai" in r.stderr


def test_similar_embeds_the_file_once(cli, openai_server, tmp_path):
    openai_server.embedding_format = "float"
    lines = tmp_path / "lines.txt"
    lines.write_text("cat\n\ncar\ndog\n", encoding="utf-8")
    openai_server.script("embeddings", openai_vectors(["cat", "car", "dog"]),
                         openai_vectors(["cat"]))
    r = cli("similar", "cat", "--file", str(lines), "-m", "openai", "--top", "2", "--json")
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    assert [h["line"] for h in data["hits"]] == [1, 4]
    assert data["hits"][0]["score"] == pytest.approx(1.0)
    assert (data["embedded"], data["cached"]) == (3, 1)  # the query 'cat' is also a line
    calls = len(openai_server.requests_for("embeddings"))
    r2 = cli("similar", "dog", "--file", str(lines), "-m", "openai")
    assert r2.exit_code == 0
    assert len(openai_server.requests_for("embeddings")) == calls  # all cached
    assert "1. +1.000" in r2.stdout and "dog" in r2.stdout


def test_embed_reads_the_cache_file_of_the_previous_version(cli, openai_server, home):
    import sqlite3

    import numpy as np

    from llmcli.store.embedding_cache import text_key

    path = home / "data" / "embeddings.db"  # as llmcli wrote it before store/ owned it
    path.parent.mkdir(parents=True)
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE embeddings (model TEXT NOT NULL, hash TEXT NOT NULL, dim INTEGER "
                "NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (model, hash))")
    old.execute("INSERT INTO embeddings VALUES (?, ?, 3, ?)",
                ("openai:text-embedding-3-small", text_key("gato 🐈"),
                 np.asarray([0.5, 0.25, 0.0], dtype=np.float32).tobytes()))
    old.commit()
    old.close()
    r = cli("embed", "gato 🐈", "-m", "openai", "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["items"][0]["vector"] == [0.5, 0.25, 0.0]
    assert openai_server.requests_for("embeddings") == []  # kept, not embedded again


def test_a_damaged_embedding_cache_is_reported_not_reset(cli, openai_server, home):
    path = home / "data" / "embeddings.db"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"garbage, not sqlite " * 100)
    r = cli("embed", "cat", "-m", "openai")
    assert r.exit_code == 12
    assert "embedding cache" in r.stderr and "unreadable" in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) <= 2
    assert path.read_bytes() == b"garbage, not sqlite " * 100
    assert openai_server.requests_for("embeddings") == []


# -- model-inside commands on remote models ------------------------------------------------
@pytest.mark.parametrize("args", [
    ["inspect", "attention", "hi", "-m", "openai"],
    ["inspect", "layers", "hi", "-m", "gemini"],
    ["inspect", "embedding", "cat", "-m", "groq"],
])
def test_inside_views_need_the_local_model(cli, args):
    r = cli(*args)
    assert r.exit_code == 13
    assert "needs the local model's weights" in r.stderr and "-m local" in r.stderr


def test_next_on_a_provider_without_logprobs(cli):
    r = cli("next", "The capital of France is", "-m", "groq")
    assert r.exit_code == 13
    assert "returns no token probabilities" in r.stderr


def test_next_rejects_bad_counts(cli):
    assert "--steps" in cli("next", "x", "--steps", "0").stderr
    assert "--top" in cli("next", "x", "--top", "0").stderr
