"""`--cache` end to end: an identical request is answered from the log with no HTTP request
reaching the stub (counted there); any change of model, option, schema or message misses."""

from __future__ import annotations

import json
import sqlite3

import pytest

from llmcli.config import Paths

M = ["-m", "openai:gpt-4o-mini"]


def rows() -> list[dict]:
    conn = sqlite3.connect(Paths.from_env().logs_db)
    conn.row_factory = sqlite3.Row
    out = [dict(r) for r in conn.execute("SELECT * FROM exchanges ORDER BY id")]
    conn.close()
    return out


def calls(stub) -> int:
    return len(stub.requests_for("chat"))


def test_identical_prompt_is_answered_from_the_log(cli, openai_server):
    openai_server.chunks = ["Olá ", "🌍"]
    first = cli("prompt", "oi", *M, "--cache", "--json")
    assert first.exit_code == 0, first.stderr
    assert calls(openai_server) == 1 and "cached" not in json.loads(first.stdout)
    openai_server.chunks = ["a different reply"]  # would show if the stub were asked
    second = cli("prompt", "oi", *M, "--cache", "--json")
    assert second.exit_code == 0, second.stderr
    assert calls(openai_server) == 1  # no HTTP request reached the stub
    data = json.loads(second.stdout)
    assert data["text"] == "Olá 🌍" and data["cached"] is True and data["cost"] == 0
    assert data["usage"]["output_tokens"] == 2
    logged = rows()
    assert [r["cached"] for r in logged] == [0, 1]
    assert logged[0]["cache_key"] == logged[1]["cache_key"]
    assert data["log_id"] == logged[1]["id"]


def test_plain_output_of_a_hit_is_the_reply(cli, openai_server):
    openai_server.chunks = ["cached ", "text"]
    cli("prompt", "oi", *M)
    res = cli("prompt", "oi", *M, "--cache")
    assert res.stdout == "cached text\n" and calls(openai_server) == 1


def test_without_the_flag_the_provider_is_asked(cli, openai_server):
    cli("prompt", "oi", *M)
    cli("prompt", "oi", *M)
    assert calls(openai_server) == 2


@pytest.mark.parametrize("change", [
    ["-o", "temperature=0.3"],
    ["-o", "reasoning_effort=low"],
    ["-o", "service_tier=flex"],
    ["-s", "be brief"],
    ["--schema", "name, age int"],
    ["-m", "openai:gpt-4o"],
])
def test_any_change_misses(cli, openai_server, change):
    openai_server.reply_text = '{"name": "Ana", "age": 30}'
    base = ["prompt", "oi", *M, "--cache"]
    assert cli(*base).exit_code == 0
    res = cli(*base, *change)
    assert res.exit_code == 0, res.stderr
    assert calls(openai_server) == 2
    again = cli(*base, *change)  # and the changed request is now cached itself
    assert again.exit_code == 0 and calls(openai_server) == 2


def test_a_failed_exchange_is_not_a_cache_entry(cli, openai_server):
    openai_server.script("chat", openai_server.error(400, "bad request"))
    assert cli("prompt", "oi", *M, "--cache").exit_code != 0
    assert cli("prompt", "oi", *M, "--cache").exit_code == 0
    assert calls(openai_server) == 2


def test_reasoning_comes_back_from_the_cache(cli, groq_server):
    groq_server.reasoning = ["pensei muito"]
    groq_server.reasoning_tokens = 4
    args = ["prompt", "q", "-m", "groq:openai/gpt-oss-20b", "--cache"]
    cli(*args)
    res = cli(*args, "--json")
    data = json.loads(res.stdout)
    assert data["cached"] and data["reasoning"] == "pensei muito"
    assert data["usage"]["reasoning_tokens"] == 4 and "pensei muito" in res.stderr
    assert calls(groq_server) == 1


def test_chat_answers_a_repeated_conversation_from_the_cache(cli, openai_server):
    openai_server.chunks = ["primeira ", "resposta"]
    first = cli("chat", *M, "--cache", input="olá\n")
    assert first.exit_code == 0, first.stderr
    openai_server.chunks = ["outra"]
    second = cli("chat", *M, "--cache", input="olá\n")
    assert second.exit_code == 0, second.stderr
    assert "primeira resposta" in second.stdout and calls(openai_server) == 1
    assert [r["cached"] for r in rows()] == [0, 1]


def test_compare_answers_cached_cells_and_asks_the_rest(cli, openai_server, groq_server):
    args = ["compare", "oi", "-m", "openai:gpt-4o-mini", "-m", "groq:openai/gpt-oss-20b",
            "--cache", "--jsonl"]
    assert cli(*args).exit_code == 0
    assert calls(openai_server) == 1 and calls(groq_server) == 1
    # a third model joins: the two known cells come from the log, only the new one is asked
    res = cli(*args, "-m", "openai:gpt-4o")
    assert res.exit_code == 0, res.stderr
    assert calls(openai_server) == 2 and calls(groq_server) == 1
    recs = [json.loads(line) for line in res.stdout.splitlines()]
    assert [r.get("cached", False) for r in recs] == [True, True, False]
    assert all(r["log_id"] for r in recs)
