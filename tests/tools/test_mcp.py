"""MCP through the official SDK: `llmcli mcp add|list|tools|remove` and `-T mcp:NAME` against a
real server (stdio and streamable HTTP) while the model is the OpenAI loopback stub."""

from __future__ import annotations

import json

from tests.stubs.tool_calls import dumps, openai_calls


def test_add_list_tools_remove(cli, mcp_stdio: str) -> None:
    listed = cli("mcp", "list", "--json")
    assert json.loads(listed.stdout)[0]["name"] == "tiny"
    tools = cli("mcp", "tools", "tiny", "--json")
    assert tools.exit_code == 0, tools.stderr
    specs = {t["name"]: t for t in json.loads(tools.stdout)}
    assert set(specs) == {"add", "shout", "fail", "sleep"}
    assert specs["add"]["parameters"]["properties"]["a"]["type"] == "integer"
    assert cli("mcp", "remove", "tiny").exit_code == 0
    gone = cli("mcp", "tools", "tiny")
    assert gone.exit_code == 18
    assert "no MCP server named 'tiny'" in gone.stderr


def test_stdio_tools_in_a_prompt(cli, openai_server, mcp_stdio: str) -> None:
    openai_server.script("chat", openai_calls(openai_server, [
        ("c1", "add", dumps({"a": 17, "b": 25})),
        ("c2", "shout", dumps({"text": "olá, mundo"})),
        ("c3", "fail", dumps({"reason": "sem rede"})),
    ]))
    r = cli("prompt", "use as ferramentas", "-m", "openai:gpt-4o-mini", "-T", "mcp:tiny",
            "--json")
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["text"] == "Tool said: 42 | OLÁ, MUNDO 📣 | error: " + \
        out["tool_calls"][2]["result"].removeprefix("error: ")
    assert "falhou: sem rede" in out["tool_calls"][2]["result"]
    assert out["tool_calls"][2]["is_error"] is True
    sent = [t["function"]["name"] for t in openai_server.requests_for("chat")[0].body["tools"]]
    assert sent == ["add", "shout", "fail", "sleep"]


def test_one_tool_of_a_server(cli, openai_server, mcp_stdio: str) -> None:
    r = cli("prompt", "oi", "-m", "openai:gpt-4o-mini", "-T", "mcp:tiny/shout")
    assert r.exit_code == 0, r.stderr
    sent = openai_server.requests_for("chat")[0].body["tools"]
    assert [t["function"]["name"] for t in sent] == ["shout"]
    missing = cli("prompt", "oi", "-m", "openai:gpt-4o-mini", "-T", "mcp:tiny/nope")
    assert missing.exit_code == 18
    assert "has no tool 'nope'" in missing.stderr and "shout" in missing.stderr


def test_streamable_http(cli, openai_server, mcp_http_url: str) -> None:
    assert cli("mcp", "add", "web", mcp_http_url).exit_code == 0
    openai_server.script("chat", openai_calls(openai_server, [("c1", "add", dumps({"a": 2,
                                                                                 "b": 3}))]))
    r = cli("prompt", "2+3?", "-m", "openai:gpt-4o-mini", "-T", "mcp:web", "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["text"] == "Tool said: 5"


def test_a_hanging_mcp_tool_times_out(cli, openai_server, mcp_stdio: str) -> None:
    openai_server.script("chat", openai_calls(openai_server, [
        ("c1", "sleep", dumps({"seconds": 600}))]))
    r = cli("prompt", "durma", "-m", "openai:gpt-4o-mini", "-T", "mcp:tiny/sleep",
            "--tools-timeout", "0.5", "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["text"] == "Tool said: error: timed out after 0.5 s"


def test_an_unreachable_server_is_exit_18(cli, openai_server, closed_port: int) -> None:
    assert cli("mcp", "add", "off", f"http://127.0.0.1:{closed_port}/mcp").exit_code == 0
    r = cli("prompt", "oi", "-m", "openai:gpt-4o-mini", "-T", "mcp:off")
    assert r.exit_code == 18
    assert "MCP server 'off' could not be reached" in r.stderr
    assert openai_server.requests_for("chat") == []


def test_a_server_added_by_a_relative_path_starts_from_any_folder(cli, monkeypatch,
                                                                  tmp_path) -> None:
    import sys

    from tests.tools.conftest import SERVER

    monkeypatch.chdir(SERVER.parent)
    added = cli("mcp", "add", "near", "--", sys.executable, SERVER.name)
    assert added.exit_code == 0, added.stderr
    monkeypatch.chdir(tmp_path)  # elsewhere: the relative path alone would not be found
    tools = cli("mcp", "tools", "near", "--json")
    assert tools.exit_code == 0, tools.stderr
    assert "shout" in {t["name"] for t in json.loads(tools.stdout)}
