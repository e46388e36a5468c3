"""`llmcli logs conversations` and `llmcli logs conversation ID`: chats read back from the log."""

from __future__ import annotations

import json


def test_conversations_are_listed_and_shown_turn_by_turn(cli, scripted):
    scripted.script = ["Paris.", ["It is ", KeyboardInterrupt()], "Lisbon."]
    res = cli("chat", "-m", "script:big", "-s", "geography", input="capital of France?\n")
    assert res.exit_code == 0
    res = cli("chat", "-c", input="and its size?\n")
    assert res.exit_code == 130  # piped: Ctrl-C ends the run, after logging the partial reply
    assert cli("chat", "-m", "script:big", input="capital of Portugal?\n").exit_code == 0

    listed = cli("logs", "conversations")
    lines = listed.stdout.splitlines()
    assert lines[0].split("\t") == ["id", "last", "model", "turns", "title"]
    assert len(lines) == 3
    assert lines[1].endswith("capital of Portugal?") and lines[2].split("\t")[3] == "2"
    old_cid = lines[2].split("\t")[0]

    shown = cli("logs", "conversation", old_cid)
    assert shown.exit_code == 0
    text = shown.stdout
    assert f"# conversation {old_cid}: 2 exchanges" in text and "## system\ngeography" in text
    assert "you: capital of France?\nassistant: Paris." in text
    assert "[interrupted]" in text and "assistant: It is " in text

    latest = cli("logs", "conversation", "--json")
    rows = json.loads(latest.stdout)
    assert [r["prompt"] for r in rows] == ["capital of Portugal?"]
    assert json.loads(cli("logs", "conversations", "--json").stdout)[1]["id"] == old_cid


def test_unknown_conversation_is_a_clear_error(cli, scripted):
    res = cli("logs", "conversation")
    assert res.exit_code == 2 and "no conversations yet" in res.stderr
    res = cli("logs", "conversation", "abc")
    assert res.exit_code == 2 and "no conversation with id 'abc'" in res.stderr
