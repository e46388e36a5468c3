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
