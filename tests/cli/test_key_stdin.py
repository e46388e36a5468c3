"""`--key -` reads the key from stdin (an argument shows in `ps`), on every command with --key."""

from __future__ import annotations

M = ["-m", "openai:gpt-4o-mini"]


def test_prompt_reads_the_key_from_the_first_line_of_stdin(cli, openai_server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-not-this-one-000000")
    key = openai_server.expected_key
    res = cli("prompt", "resuma", *M, "--key", "-", input=f"{key}\nTexto em português 🌍\n")
    assert res.exit_code == 0, res.stderr
    req = openai_server.requests_for("chat")[-1]
    assert req.headers["Authorization"] == f"Bearer {key}"
    sent = req.body["messages"][-1]["content"]
    assert sent == "Texto em português 🌍\n\nresuma"  # the key line is not part of the input
    assert key not in res.stdout + res.stderr


def test_chat_reads_the_key_from_stdin_then_the_lines(cli, openai_server, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY")
    key = openai_server.expected_key
    res = cli("chat", *M, "--key", "-", input=f"{key}\nolá\n")
    assert res.exit_code == 0, res.stderr
    req = openai_server.requests_for("chat")[-1]
    assert req.headers["Authorization"] == f"Bearer {key}"
    assert req.body["messages"][-1]["content"] == "olá"


def test_an_empty_key_line_is_a_one_line_error(cli, openai_server):
    res = cli("prompt", "oi", *M, "--key", "-", input="\n")
    assert res.exit_code == 2
    assert "--key -: no key on the first line of stdin" in res.stderr
    assert openai_server.requests_for("chat") == []
