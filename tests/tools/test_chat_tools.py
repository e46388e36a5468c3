"""`chat -T`: tools in a conversation, `/tools` lists them and switches them on and off."""

from __future__ import annotations

from tests.stubs.tool_calls import dumps, openai_calls


def test_tools_in_chat_and_the_tools_command(cli, openai_server) -> None:
    openai_server.script("chat", openai_calls(openai_server, [
        ("a", "calculate", dumps({"expression": "2**10"}))]))
    lines = "quanto é 2 elevado a 10?\n/tools\n/tools calculate\noutra\n/tools on\n/tools\n"
    r = cli("chat", "-m", "openai:gpt-4o-mini", "-T", "calculate", "-T", "now", input=lines)
    assert r.exit_code == 0, r.stderr
    assert "Tool said: 1024" in r.stdout
    assert "tools: calculate (on), now (on)" in r.stderr
    assert "tools: calculate (off), now (on)" in r.stderr
    assert r.stderr.count("tools: calculate (on), now (on)") == 3  # listed, switched back, listed
    first, second, third = openai_server.requests_for("chat")
    assert [t["function"]["name"] for t in first.body["tools"]] == ["calculate", "now"]
    assert [m["role"] for m in second.body["messages"]] == ["user", "assistant", "tool"]
    assert [t["function"]["name"] for t in third.body["tools"]] == ["now"]


def test_tools_command_without_tools(cli, openai_server) -> None:
    r = cli("chat", "-m", "openai:gpt-4o-mini", input="/tools\n")
    assert r.exit_code == 0, r.stderr
    assert "no tools: start the chat with -T NAME" in r.stderr


def test_switching_every_tool_off_sends_none(cli, openai_server) -> None:
    r = cli("chat", "-m", "openai:gpt-4o-mini", "-T", "now", input="/tools off\noi\n")
    assert r.exit_code == 0, r.stderr
    assert "tools" not in openai_server.requests_for("chat")[0].body


def test_approval_in_the_chat_repl(openai_server) -> None:
    from tests.chat.term import Term

    openai_server.script("chat", openai_calls(openai_server, [
        ("a", "calculate", dumps({"expression": "17*23"}))]))
    t = Term("-m", "openai:gpt-4o-mini", "-T", "calculate", "--tools-approve", rows=20,
             cols=80, timeout=60)
    t.expect_prompt()
    t.line("Quanto é 17 x 23?")
    t.expect('run tool calculate(expression="17*23")? [y/N]')
    t.line("y")
    t.expect("Tool said: 391")
    t.expect_prompt()
    t.line("/exit")
    assert t.exit_code() == 0
    assert 'run tool calculate(expression="17*23")? [y/N] y' in t.text()


def test_continuing_a_chat_after_a_tool_exchange(cli, openai_server) -> None:
    openai_server.script("chat", openai_calls(openai_server, [
        ("a", "calculate", dumps({"expression": "2**10"}))]))
    first = cli("chat", "-m", "openai:gpt-4o-mini", "-T", "calculate", input="2^10?\n")
    assert first.exit_code == 0, first.stderr
    again = cli("chat", "-c", input="e agora?\n")
    assert again.exit_code == 0, again.stderr
    sent = openai_server.requests_for("chat")[-1].body["messages"]
    assert [(m["role"], m["content"]) for m in sent] == [
        ("user", "2^10?"), ("assistant", "Tool said: 1024"), ("user", "e agora?")]
