"""`compare -T`: per model, which tools it called with which arguments, and in how many
requests; each provider's own wire (OpenAI, Gemini) in one comparison."""

from __future__ import annotations

import json

from tests.stubs.tool_calls import dumps, gemini_calls, openai_calls


def test_compare_shows_the_calls_per_model(cli, openai_server, gemini_server) -> None:
    openai_server.script("chat", openai_calls(openai_server, [
        ("a", "calculate", dumps({"expression": "17*23"}))]))
    gemini_server.script("chat", gemini_calls(gemini_server, [
        ("calculate", {"expression": "17 * 23"}), ("calculate", {"expression": "391+0"})]))
    args = ["compare", "17 x 23?", "-m", "openai:gpt-4o-mini", "-m", "gemini", "-T", "calculate"]
    r = cli(*args, "--jsonl")
    assert r.exit_code == 0, r.stderr
    cells = {c["provider"]: c for c in map(json.loads, r.stdout.splitlines())}
    assert cells["openai"]["text"] == "Tool said: 391"
    assert cells["openai"]["round_trips"] == 2
    assert [c["arguments"] for c in cells["gemini"]["tool_calls"]] == [
        {"expression": "17 * 23"}, {"expression": "391+0"}]
    assert cells["gemini"]["text"] == "Tool said: 391 | 391"
    logged = json.loads(cli("logs", "list", "--json").stdout)
    assert sorted(row["round_trips"] for row in logged) == [2, 2]

    openai_server.script("chat", openai_calls(openai_server, [
        ("a", "calculate", dumps({"expression": "17*23"}))]))
    table = cli(*args, "--no-log")
    assert table.exit_code == 0, table.stderr
    assert "tool calls" in table.stdout
    assert 'calculate(expression="17*23")' in table.stdout
    assert "17 * 23" not in table.stdout  # gemini answered without calls this time


def test_compare_refuses_a_model_without_tools(cli, openai_server) -> None:
    r = cli("compare", "oi", "-m", "openai:gpt-4o-mini", "-m", "local", "-T", "now")
    assert r.exit_code == 13
    assert "local cannot call tools" in r.stderr
    assert openai_server.requests_for("chat") == []


def test_compare_cache_answers_a_tool_cell_asked_again(cli, openai_server) -> None:
    openai_server.script("chat", openai_calls(openai_server, [
        ("a", "calculate", dumps({"expression": "17*23"}))]))
    args = ["compare", "17 x 23?", "-m", "openai:gpt-4o-mini", "-T", "calculate", "--cache",
            "--jsonl"]
    assert cli(*args).exit_code == 0
    sent = len(openai_server.requests_for("chat"))
    again = cli(*args)
    assert again.exit_code == 0, again.stderr
    assert len(openai_server.requests_for("chat")) == sent
    cell = json.loads(again.stdout.splitlines()[0])
    assert (cell["text"], cell["cached"]) == ("Tool said: 391", True)
