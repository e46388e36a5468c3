"""`llmcli schemas save|list|show` and saved schemas used by name with --schema."""

from __future__ import annotations

import json


def test_save_list_show_and_use_by_name(cli, openai_server):
    assert cli("schemas", "list").stdout == "no saved schemas (llmcli schemas save NAME SCHEMA)\n"
    res = cli("schemas", "save", "pessoa", "nome, idade int: em anos")
    assert res.exit_code == 0 and res.stdout == "saved schema 'pessoa'\n"
    shown = json.loads(cli("schemas", "show", "pessoa").stdout)
    assert shown["properties"]["idade"] == {"type": "integer", "description": "em anos"}
    openai_server.reply_text = '{"nome": "Ana", "idade": 7}'
    res = cli("prompt", "Ana tem 7 anos", "-m", "openai:gpt-4o-mini", "--schema", "pessoa")
    assert res.exit_code == 0, res.stderr
    sent = openai_server.requests_for("chat")[-1].body["response_format"]["json_schema"]
    assert sent["schema"] == shown
    assert cli("schemas", "list").stdout == "pessoa\tnome, idade\t1 uses\n"
    assert cli("logs", "data", "--schema", "pessoa").stdout == '{"nome": "Ana", "idade": 7}\n'


def test_a_file_wins_over_a_saved_name(cli, openai_server, tmp_path, monkeypatch):
    assert cli("schemas", "save", "s", "a").exit_code == 0
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s").write_text('{"type": "object", "properties": {"b": {"type": "integer"}}}')
    openai_server.reply_text = '{"b": 1}'
    res = cli("prompt", "x", "-m", "openai:gpt-4o-mini", "--schema", "s")
    assert res.exit_code == 0, res.stderr
    body = openai_server.requests_for("chat")[-1].body
    assert "b" in body["response_format"]["json_schema"]["schema"]["properties"]


def test_bad_names_and_unknown_schema(cli):
    res = cli("schemas", "save", "a b", "x")
    assert res.exit_code == 2 and "bad schema name" in res.stderr
    res = cli("schemas", "show", "nada")
    assert res.exit_code == 2 and "no saved schema 'nada'" in res.stderr


def test_logs_list_by_schema_name_or_form(cli, openai_server):
    m = ["-m", "openai:gpt-4o-mini"]
    assert cli("schemas", "save", "pessoa", "nome").exit_code == 0
    openai_server.reply_text = '{"nome": "Ana"}'
    assert cli("prompt", "um", *m, "--schema", "pessoa").exit_code == 0
    openai_server.reply_text = '{"cor": "azul"}'
    assert cli("prompt", "dois", *m, "--schema", "cor").exit_code == 0
    assert cli("prompt", "três", *m).exit_code == 0
    rows = json.loads(cli("logs", "list", "--schema", "pessoa", "--json").stdout)
    assert [r["prompt"] for r in rows] == ["um"]
    rows = json.loads(cli("logs", "list", "--schema", "cor", "--json").stdout)
    assert [r["prompt"] for r in rows] == ["dois"]
    assert len(json.loads(cli("logs", "list", "--json").stdout)) == 3
