"""`llmcli logs rerun ID [-m ...]`: the logged messages, options and schema asked again, on
the same model or others (several -m run as a compare), through the real SDKs to the stubs."""

from __future__ import annotations

import json
import sqlite3

from llmcli.config import Paths


def rows() -> list[dict]:
    conn = sqlite3.connect(Paths.from_env().logs_db)
    conn.row_factory = sqlite3.Row
    out = [dict(r) for r in conn.execute("SELECT * FROM exchanges ORDER BY id")]
    conn.close()
    return out


def test_rerun_on_the_same_model_sends_the_same_request(cli, openai_server):
    first = cli("prompt", "Olá, tudo bem? 🌍", "-m", "openai:gpt-4o-mini", "-s", "seja breve",
                "-o", "temperature=0.3", "-o", "reasoning_effort=low")
    assert first.exit_code == 0, first.stderr
    openai_server.chunks = ["de ", "novo"]
    res = cli("logs", "rerun", str(rows()[-1]["id"]))
    assert res.exit_code == 0, res.stderr
    assert res.stdout == "de novo\n"
    a, b = (r.body for r in openai_server.requests_for("chat"))
    assert a == b  # messages, options, stream settings: the very same request
    logged = rows()
    assert len(logged) == 2 and logged[1]["options"] == logged[0]["options"]


def test_rerun_on_another_model_leaves_out_options_it_does_not_take(cli, openai_server,
                                                                    gemini_server):
    cli("prompt", "oi", "-m", "openai:gpt-4o-mini", "-o", "reasoning_effort=high",
        "-o", "temperature=0.5")
    res = cli("logs", "rerun", "1", "-m", "gemini:gemini-2.5-flash-lite", "--json")
    assert res.exit_code == 0, res.stderr
    assert "does not take the option(s) reasoning_effort" in res.stderr
    body = gemini_server.requests[-1].body
    assert body["generationConfig"] == {"temperature": 0.5}
    assert json.loads(res.stdout)["provider"] == "gemini"


def test_rerun_with_several_models_runs_a_compare(cli, openai_server, groq_server):
    cli("prompt", "compare-me", "-m", "openai:gpt-4o-mini", "-o", "service_tier=flex")
    res = cli("logs", "rerun", "1", "-m", "openai:gpt-4o", "-m", "groq:openai/gpt-oss-20b",
              "--json")
    assert res.exit_code == 0, res.stderr
    doc = json.loads(res.stdout)
    cells = doc["cells"]
    assert [c["model"] for c in cells] == ["openai:gpt-4o", "groq:openai/gpt-oss-20b"]
    assert all(c["status"] == "complete" for c in cells)
    assert openai_server.requests_for("chat")[-1].body["service_tier"] == "flex"
    assert groq_server.requests_for("chat")[-1].body["messages"] == [
        {"role": "user", "content": "compare-me"}]
    logged = rows()
    assert len(logged) == 3 and logged[1]["comparison_id"] == logged[2]["comparison_id"]


def test_rerun_keeps_the_schema_without_doubling_its_instruction(cli, openai_server,
                                                                  groq_server):
    groq_server.reply_text = '{"name": "Ana"}'
    res = cli("prompt", "invente", "-m", "groq:stub-model", "--schema", "name")
    assert res.exit_code == 0, res.stderr
    first = groq_server.requests_for("chat")[-1].body["messages"]
    assert first[0]["role"] == "system"  # not native on this model: instructed in the prompt
    again = cli("logs", "rerun", "1")
    assert again.exit_code == 0, again.stderr
    assert json.loads(again.stdout) == {"name": "Ana"}
    assert groq_server.requests_for("chat")[-1].body["messages"] == first
    openai_server.reply_text = '{"name": "Bia"}'
    native = cli("logs", "rerun", "1", "-m", "openai:gpt-4o-mini")
    assert native.exit_code == 0, native.stderr
    body = openai_server.requests_for("chat")[-1].body
    assert body["messages"] == [{"role": "user", "content": "invente"}]
    assert body["response_format"]["type"] == "json_schema"


def test_rerun_with_cache_answers_from_the_log(cli, openai_server):
    cli("prompt", "oi", "-m", "openai:gpt-4o-mini")
    res = cli("logs", "rerun", "1", "--cache", "--json")
    assert json.loads(res.stdout)["cached"] is True
    assert len(openai_server.requests_for("chat")) == 1


def test_unknown_id_is_a_one_line_error(cli):
    res = cli("logs", "rerun", "99")
    assert res.exit_code == 2 and "no exchange with id 99" in res.stderr
    assert "Traceback" not in res.stderr
