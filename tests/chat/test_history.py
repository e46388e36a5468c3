"""Conversations rebuilt from the log (as `chat -c` does in a new process) and /save."""

from __future__ import annotations

import json

import pytest

from llmcli.chat.history import restore, save
from llmcli.core.errors import AuthError, InvalidInput
from tests.chat.conftest import make_app, new_session


def test_restore_rebuilds_what_the_next_request_would_carry(app, ui, scripted):
    s = new_session(app, system="terse", option_values={"temperature": "0.3"})
    scripted.script = ["A1", "A2", "A3", ["partial ", KeyboardInterrupt()]]
    s.send("q1", ui)
    s.send("q2", ui)
    s.undo()  # the log keeps q2, the conversation no longer has it
    s.send("q3", ui)
    s.send("q4", ui)  # interrupted after some text
    expected = s.messages()

    fresh = make_app()  # a new process: nothing shared but the database
    try:
        r = restore(fresh.logs, None)  # -c: the most recent conversation
        assert r.conversation_id == s.conversation_id
        assert r.model == "script:big" and r.system == "terse" and r.options == {"temperature": 0.3}
        assert [(t.user, t.reply, t.status) for t in r.turns] == [
            ("q1", "A1", "complete"), ("q3", "A3", "complete"), ("q4", "partial ", "interrupted"),
        ]
        s2 = new_session(fresh, r.model, system=r.system, conversation_id=r.conversation_id)
        s2.turns = r.turns
        assert s2.messages() == expected
    finally:
        fresh.close()


def test_restore_keeps_an_unanswered_message_for_retry(app, ui, scripted):
    s = new_session(app)
    scripted.script = ["fine", AuthError("refused")]
    s.send("hello", ui)
    s.send("this one failed", ui)
    r = restore(app.logs, s.conversation_id)
    assert [t.user for t in r.turns] == ["hello"]
    assert r.pending is not None and r.pending.text == "this one failed"


def test_restore_a_given_conversation_and_errors(app, ui, scripted):
    with pytest.raises(InvalidInput, match="no conversation to continue"):
        restore(app.logs, None)
    a = new_session(app)
    a.send("in a", ui)
    b = new_session(app)
    b.send("in b", ui)
    assert restore(app.logs, a.conversation_id).turns[0].user == "in a"
    assert restore(app.logs, None).turns[0].user == "in b"
    with pytest.raises(InvalidInput, match="no conversation with id 'nope'"):
        restore(app.logs, "nope")


def test_save_markdown_and_json_in_utf8(app, ui, scripted, tmp_path):
    s = new_session(app, system="réponds en français")
    scripted.script = ["Olá, café ☕", ["meio ", KeyboardInterrupt()]]
    s.send("Bom dia 🌞", ui)
    s.send("e depois?", ui)
    assert save(s, tmp_path / "chat.json") == "json"
    doc = json.loads((tmp_path / "chat.json").read_text(encoding="utf-8"))
    assert doc["conversation_id"] == s.conversation_id and doc["model"] == "script:big"
    roles = [m["role"] for m in doc["messages"]]
    assert roles == ["system", "user", "assistant", "user", "assistant"]
    assert doc["messages"][2]["content"] == "Olá, café ☕"
    assert doc["messages"][4]["status"] == "interrupted"
    assert "☕" in (tmp_path / "chat.json").read_bytes().decode("utf-8")  # not \u escapes
    assert save(s, tmp_path / "chat.md") == "markdown"
    md = (tmp_path / "chat.md").read_text(encoding="utf-8")
    assert "## User\n\nBom dia 🌞" in md and "## Assistant (interrupted)\n\nmeio " in md
    assert "## System\n\nréponds en français" in md
    with pytest.raises(InvalidInput, match="directory"):
        save(s, tmp_path)
    with pytest.raises(InvalidInput, match="cannot write"):
        save(s, tmp_path / "missing-dir" / "x.md")
