"""`llmcli batch --schema`: every request carries the provider's schema field (the real SDKs over
HTTP to the loopback stubs), each record carries the parsed document as `data`, a reply that
does not validate is a failed record with the one-line reason, and the log keeps the schema."""

from __future__ import annotations

import json
import sqlite3

from llmcli.config import Paths
from tests.cli.test_batch import prompts_file, records

CAPITAL = {"type": "object", "properties": {"capital": {"type": "string"},
                                            "país": {"type": "string"}},
           "required": ["capital", "país"], "additionalProperties": False}
GOOD = '{"capital": "Lisboa", "país": "Portugal 🇵🇹"}'
WRONG = '{"capital": "Roma", "país": 39}'


def rows() -> list[dict]:
    conn = sqlite3.connect(Paths.from_env().logs_db)
    conn.row_factory = sqlite3.Row
    out = [dict(r) for r in conn.execute("SELECT * FROM exchanges ORDER BY id")]
    conn.close()
    return out


def test_records_carry_the_document_and_a_mismatch_fails_its_record(cli, openai_server,
                                                                     tmp_path):
    openai_server.echo = True  # each reply is its prompt: one valid, one wrong, one not JSON
    src = prompts_file(tmp_path, [GOOD, WRONG, "Lisboa, Portugal"], ids=True)
    res = cli("batch", str(src), "-m", "openai:gpt-4o-mini", "--schema", "capital, país",
              "--ordered")
    assert res.exit_code == 15, res.stderr
    assert "2 of 3 requests failed" in res.stderr
    good, wrong, prose = records(res.stdout)
    assert good["status"] == "ok" and good["data"] == json.loads(GOOD)
    assert good["reply"] == GOOD and good["error"] is None
    assert wrong["status"] == "error" and wrong["data"] is None
    assert wrong["error"] == ("the reply does not match the schema at país: type rule: 39 is "
                              "not of type 'string'")
    assert wrong["reply"] == WRONG  # the raw reply stays in the record
    assert prose["status"] == "error" and prose["error"].startswith("the reply is not JSON")
    bodies = [r.body for r in openai_server.requests_for("chat")]
    assert len(bodies) == 3  # a mismatch is not retried: the model would answer the same
    for body in bodies:
        assert body["response_format"] == {"type": "json_schema", "json_schema": {
            "name": "reply", "schema": CAPITAL, "strict": True}}
        assert not body.get("stream")  # checked whole, as prompt --schema does
    logged = rows()
    assert sorted(r["status"] for r in logged) == ["complete", "error", "error"]
    assert all(json.loads(r["schema"]) == CAPITAL for r in logged)
    assert [r["error"] for r in logged if r["reply"] == WRONG] == [wrong["error"]]


def test_saved_schema_and_schema_multi(cli, openai_server, tmp_path):
    assert cli("schemas", "save", "cap", "capital, país").exit_code == 0
    openai_server.reply_text = GOOD
    src = prompts_file(tmp_path, ["Uma capital"])
    res = cli("batch", str(src), "-m", "openai:gpt-4o-mini", "--schema", "cap")
    assert res.exit_code == 0, res.stderr
    assert records(res.stdout)[0]["data"] == json.loads(GOOD)
    openai_server.reply_text = '{"items": [' + GOOD + "]}"
    res = cli("batch", str(src), "-m", "openai:gpt-4o-mini", "--schema-multi", "cap")
    assert res.exit_code == 0, res.stderr
    assert records(res.stdout)[0]["data"]["items"] == [json.loads(GOOD)]
    schema = openai_server.requests_for("chat")[-1].body["response_format"]["json_schema"]
    assert schema["schema"]["properties"]["items"]["items"] == CAPITAL


def test_without_schema_records_have_no_data_field(cli, openai_server, tmp_path):
    res = cli("batch", str(prompts_file(tmp_path, ["Olá"])), "-m", "openai:gpt-4o-mini")
    assert res.exit_code == 0, res.stderr
    assert "data" not in records(res.stdout)[0]
    assert "response_format" not in openai_server.requests_for("chat")[0].body


def test_gemini_and_groq_get_their_native_fields(cli, gemini_server, groq_server, tmp_path):
    gemini_server.reply_text = GOOD
    groq_server.reply_text = GOOD
    src = prompts_file(tmp_path, ["Uma capital"])
    res = cli("batch", str(src), "-m", "gemini:gemini-2.5-flash-lite",
              "-m", "groq:openai/gpt-oss-20b", "--schema", "capital, país")
    assert res.exit_code == 0, res.stderr
    assert [r["data"] for r in records(res.stdout)] == [json.loads(GOOD)] * 2
    config = gemini_server.requests_for("chat")[-1].body["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert config["responseJsonSchema"] == CAPITAL
    assert groq_server.requests_for("chat")[-1].body["response_format"]["json_schema"][
        "schema"] == CAPITAL


def test_a_model_without_native_mode_is_told_once_and_instructed(cli, groq_server, tmp_path):
    groq_server.reply_text = GOOD
    src = prompts_file(tmp_path, ["a", "b", "c"])
    res = cli("batch", str(src), "-m", "groq:stub-model", "--schema", "capital, país")
    assert res.exit_code == 0, res.stderr
    assert res.stderr.count("has no native structured output") == 1
    bodies = [r.body for r in groq_server.requests_for("chat")]
    assert all("response_format" not in b for b in bodies)
    assert all("JSON Schema" in b["messages"][0]["content"] for b in bodies)


def test_a_bad_schema_is_one_line_and_nothing_is_sent(cli, openai_server, tmp_path):
    src = prompts_file(tmp_path, ["Olá"])
    res = cli("batch", str(src), "-m", "openai:gpt-4o-mini", "--schema", '{"type": 3}')
    assert res.exit_code == 2 and "not valid JSON Schema" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert openai_server.requests_for("chat") == []


def test_a_template_that_declares_a_schema(cli, openai_server, tmp_path):
    tpl = tmp_path / "pessoa.yaml"
    tpl.write_text("name: pessoa\nprompt: 'Extraia: {{ input }}'\n"
                   "schema: 'nome, idade int'\n", encoding="utf-8")
    openai_server.reply_text = '{"nome": "Rui", "idade": 9}'
    src = prompts_file(tmp_path, ["Rui tem 9 anos"])
    res = cli("batch", str(src), "-m", "openai:gpt-4o-mini", "-t", str(tpl))
    assert res.exit_code == 0, res.stderr
    assert records(res.stdout)[0]["data"] == {"nome": "Rui", "idade": 9}
    body = openai_server.requests_for("chat")[-1].body
    assert body["messages"][-1]["content"] == "Extraia: Rui tem 9 anos"
    assert body["response_format"]["json_schema"]["schema"]["required"] == ["nome", "idade"]
    res = cli("batch", str(src), "-m", "openai:gpt-4o-mini", "-t", str(tpl), "--schema", "a")
    assert res.exit_code == 2 and "declare 'schema:' in the template" in res.stderr
