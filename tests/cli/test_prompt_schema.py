"""`llmcli prompt --schema` end to end: the real SDKs over HTTP to the loopback stubs, which
check each provider's structured-output field; valid, invalid and non-JSON replies."""

from __future__ import annotations

import json
import sqlite3

import pytest

from llmcli.config import Paths

PERSON = {"type": "object", "properties": {"name": {"type": "string"},
                                           "age": {"type": "integer"}},
          "required": ["name", "age"], "additionalProperties": False}


def last_row() -> dict:
    conn = sqlite3.connect(Paths.from_env().logs_db)
    conn.row_factory = sqlite3.Row
    row = dict(conn.execute("SELECT * FROM exchanges ORDER BY id DESC LIMIT 1").fetchone())
    conn.close()
    return row


def test_openai_gets_response_format_and_prints_the_document(cli, openai_server):
    openai_server.reply_text = '{"name": "Maria", "age": 34}'
    res = cli("prompt", "Maria tem 34 anos", "-m", "openai:gpt-4o-mini",
              "--schema", "name, age int")
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout) == {"name": "Maria", "age": 34}
    rf = openai_server.requests_for("chat")[-1].body["response_format"]
    assert rf == {"type": "json_schema",
                  "json_schema": {"name": "reply", "schema": PERSON, "strict": True}}
    assert json.loads(last_row()["schema"]) == PERSON


def test_schema_from_a_file_and_not_strict_when_a_field_is_optional(cli, openai_server, tmp_path):
    schema = {"type": "object", "properties": {"cidade": {"type": "string"},
                                               "país": {"type": "string"}},
              "required": ["cidade"]}
    path = tmp_path / "s.json"
    path.write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")
    openai_server.reply_text = '{"cidade": "Recife 🌴"}'
    res = cli("prompt", "onde?", "-m", "openai:gpt-4o-mini", "--schema", str(path),
              "--no-stream")
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout) == {"cidade": "Recife 🌴"}
    spec = openai_server.requests_for("chat")[-1].body["response_format"]["json_schema"]
    assert spec["strict"] is False and spec["schema"] == schema


def test_reply_that_does_not_validate(cli, openai_server):
    openai_server.reply_text = '{"name": "Maria", "age": "trinta"}'
    res = cli("prompt", "x", "-m", "openai:gpt-4o-mini", "--schema", "name, age int")
    assert res.exit_code == 15
    assert "at age: type rule: 'trinta' is not of type 'integer'" in res.stderr
    assert '{"name": "Maria", "age": "trinta"}' in res.stderr
    assert res.stdout == ""
    row = last_row()
    assert row["status"] == "error" and "does not match the schema" in row["error"]
    assert row["reply"] == '{"name": "Maria", "age": "trinta"}'
    assert json.loads(row["schema"])["required"] == ["name", "age"]


def test_reply_that_is_not_json(cli, openai_server):
    openai_server.reply_text = "Maria, 34 anos."
    res = cli("prompt", "x", "-m", "openai:gpt-4o-mini", "--schema", "name, age int")
    assert res.exit_code == 15
    lines = res.stderr.strip().splitlines()
    assert any("the reply is not JSON" in line for line in lines)
    assert "Maria, 34 anos." in lines


def test_schema_multi_wraps_items(cli, openai_server):
    openai_server.reply_text = '{"items": [{"capital": "Lisboa"}, {"capital": "Roma"}]}'
    res = cli("prompt", "Duas capitais", "-m", "openai:gpt-4o-mini",
              "--schema-multi", "capital: a European capital")
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["items"][1] == {"capital": "Roma"}
    schema = openai_server.requests_for("chat")[-1].body["response_format"]["json_schema"]
    items = schema["schema"]["properties"]["items"]
    assert items["items"]["properties"]["capital"]["description"] == "a European capital"


def test_groq_strict_on_gpt_oss(cli, groq_server):
    groq_server.reply_text = '{"name": "Ana", "age": 7}'
    res = cli("prompt", "x", "-m", "groq:openai/gpt-oss-20b", "--schema", "name, age int")
    assert res.exit_code == 0, res.stderr
    rf = groq_server.requests_for("chat")[-1].body["response_format"]
    assert rf["type"] == "json_schema" and rf["json_schema"]["strict"] is True


def test_groq_model_without_structured_outputs_falls_back(cli, groq_server):
    groq_server.reply_text = '{"name": "Ana", "age": 7}'
    res = cli("prompt", "x", "-m", "groq:stub-model", "--schema", "name, age int")
    assert res.exit_code == 0, res.stderr
    assert res.stderr.count("no native structured output") == 1
    body = groq_server.requests_for("chat")[-1].body
    assert "response_format" not in body
    assert body["messages"][0]["role"] == "system"
    assert '"required": ["name", "age"]' in body["messages"][0]["content"]


def test_gemini_gets_response_json_schema(cli, gemini_server):
    gemini_server.reply_text = '{"name": "João", "age": 40}'
    res = cli("prompt", "x", "-m", "gemini:gemini-2.5-flash-lite", "--schema", "name, age int")
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout) == {"name": "João", "age": 40}
    config = gemini_server.requests_for("chat")[-1].body["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert config["responseJsonSchema"] == PERSON


def test_gemini_invalid_reply(cli, gemini_server):
    gemini_server.reply_text = '{"name": "João"}'
    res = cli("prompt", "x", "-m", "gemini:gemini-2.5-flash-lite", "--schema", "name, age int")
    assert res.exit_code == 15
    assert "required rule: 'age' is a required property" in res.stderr


@pytest.mark.parametrize("schema, message", [
    ("name, age integer", "cannot read the schema field 'age integer'"),
    ('{"type": "object",', "the schema is not valid JSON"),
    ('{"type": "objeto"}', "not valid JSON Schema"),
    ("{" + '"a":{' * 40 + "}" * 41, "nests deeper than"),
    (",,", "the schema has no fields"),
])
def test_bad_schemas_are_one_line_exit_2(cli, openai_server, schema, message):
    res = cli("prompt", "x", "-m", "openai:gpt-4o-mini", "--schema", schema)
    assert res.exit_code == 2
    assert message in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert openai_server.requests_for("chat") == []


def test_huge_schema_file_is_refused_without_reading_it_all(cli, openai_server, tmp_path):
    path = tmp_path / "big.json"
    path.write_text('{"enum": [' + ",".join(["1"] * 200_000) + "]}")
    res = cli("prompt", "x", "-m", "openai:gpt-4o-mini", "--schema", str(path))
    assert res.exit_code == 2 and "characters, over" in res.stderr


@pytest.mark.slow
def test_local_model_obeys_the_schema_by_construction(cli):
    schema = json.dumps({"type": "object", "properties": {
        "cidades": {"type": "array", "items": {"type": "string", "maxLength": 20},
                    "minItems": 3, "maxItems": 3},
        "continente": {"enum": ["Europa", "Ásia"]}},
        "required": ["cidades", "continente"], "additionalProperties": False},
        ensure_ascii=False)
    res = cli("prompt", "Três capitais da Europa", "-m", "local", "--schema", schema,
              "-o", "max_tokens=80")
    assert res.exit_code == 0, res.stderr
    assert "no native structured output" not in res.stderr
    doc = json.loads(res.stdout)
    assert len(doc["cidades"]) == 3 and doc["continente"] in ("Europa", "Ásia")
    assert json.loads(last_row()["schema"])["required"] == ["cidades", "continente"]


@pytest.mark.slow
def test_local_reply_cut_by_max_tokens_is_a_schema_mismatch(cli):
    res = cli("prompt", "Um poema longo", "-m", "local", "--schema", "poema: a long poem",
              "-o", "max_tokens=4")
    assert res.exit_code == 15
    raw, error = res.stderr.strip().splitlines()
    assert raw.startswith('{"poema":')
    assert error.startswith("llmcli: error: the reply was cut at max_tokens before it was "
                            "complete (the reply is not JSON")
    assert error.endswith("(raise -o max_tokens; the raw reply is on stderr)")


def test_regex_and_choice_are_refused_by_cloud_providers(cli, openai_server):
    res = cli("prompt", "x", "-m", "openai:gpt-4o-mini", "--choice", "sim,não")
    assert res.exit_code == 13 and "use -m local" in res.stderr
    assert openai_server.requests_for("chat") == []


@pytest.mark.slow
def test_local_choice_and_regex(cli):
    res = cli("prompt", "O céu é azul? Responda.", "-m", "local", "--choice", "sim,não,🌍")
    assert res.exit_code == 0, res.stderr
    assert res.stdout.strip() in ("sim", "não", "🌍")
    res = cli("prompt", "Uma data:", "-m", "local", "--regex", r"\d{4}-\d{2}-\d{2}")
    assert res.exit_code == 0, res.stderr
    import re

    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", res.stdout.strip())


def test_logs_data_prints_past_documents_as_json_lines(cli, openai_server):
    m = ["-m", "openai:gpt-4o-mini"]
    openai_server.reply_text = '{"items": [{"capital": "Lisboa"}, {"capital": "Roma"}]}'
    assert cli("prompt", "a", *m, "--schema-multi", "capital").exit_code == 0
    openai_server.reply_text = '{"nome": "Zé 🌍"}'
    assert cli("prompt", "b", *m, "--schema", "nome").exit_code == 0
    openai_server.reply_text = '{"nome": 3}'
    assert cli("prompt", "c", *m, "--schema", "nome").exit_code == 15  # not a document
    openai_server.reply_text = "texto livre"
    assert cli("prompt", "d", *m).exit_code == 0  # no schema: not data
    res = cli("logs", "data")
    assert res.exit_code == 0, res.stderr
    assert res.stdout.splitlines() == [
        '{"items": [{"capital": "Lisboa"}, {"capital": "Roma"}]}', '{"nome": "Zé 🌍"}']
    res = cli("logs", "data", "--schema-multi", "capital", "--data-key", "items")
    assert res.stdout.splitlines() == ['{"capital": "Lisboa"}', '{"capital": "Roma"}']
    assert cli("logs", "data", "--schema", "nome", "-n", "1").stdout == '{"nome": "Zé 🌍"}\n'
    assert cli("logs", "data", "-m", "openai:other").stdout == ""


def test_json_output_carries_the_document_and_plain_json_is_unchanged(cli, openai_server):
    openai_server.reply_text = '{"n": 2}'
    out = json.loads(cli("prompt", "x", "-m", "openai:gpt-4o-mini", "--schema", "n int",
                         "--json").stdout)
    assert out["data"] == {"n": 2} and out["text"] == '{"n": 2}' and out["status"] == "complete"
    plain = json.loads(cli("prompt", "x", "-m", "openai:gpt-4o-mini", "--json").stdout)
    assert "data" not in plain


def test_a_template_can_declare_a_schema(cli, openai_server, tmp_path):
    path = tmp_path / "pessoa.yaml"
    path.write_text("name: pessoa\nprompt: 'Extraia: {{ input }}'\n"
                    "schema: 'nome, idade int'\n", encoding="utf-8")
    openai_server.reply_text = '{"nome": "Rui", "idade": 9}'
    res = cli("prompt", "-t", str(path), "Rui tem 9 anos", "-m", "openai:gpt-4o-mini")
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout) == {"nome": "Rui", "idade": 9}
    body = openai_server.requests_for("chat")[-1].body
    assert body["messages"][-1]["content"] == "Extraia: Rui tem 9 anos"
    assert body["response_format"]["json_schema"]["schema"]["required"] == ["nome", "idade"]
    row = last_row()
    assert row["template"] == "pessoa" and json.loads(row["schema"])["required"]
    openai_server.reply_text = '{"nome": "Rui"}'
    res = cli("prompt", "-t", str(path), "x", "-m", "openai:gpt-4o-mini", "--json")
    assert res.exit_code == 15 and '{"nome": "Rui"}' in res.stderr
    res = cli("prompt", "-t", str(path), "x", "-m", "openai:gpt-4o-mini", "--samples", "3")
    assert res.exit_code == 2 and "declares a schema" in res.stderr


def test_structured_requests_are_not_streamed(cli, groq_server):
    groq_server.reply_text = '{"a": "b"}'
    assert cli("prompt", "x", "-m", "groq", "--schema", "a").exit_code == 0
    assert "stream" not in groq_server.requests_for("chat")[-1].body
