"""ChatSession against a scripted provider, with the real registry, runner and SQLite log."""

from __future__ import annotations

import pytest

from llmcli.core.errors import AuthError, InvalidInput, ProviderError
from tests.chat.conftest import ExtraOptionProvider, ScriptedProvider, new_session


def roles(request) -> list[tuple[str, str]]:
    return [(m.role, m.content) for m in request.messages]


def test_turns_accumulate_and_every_turn_is_logged_with_the_conversation(app, ui, scripted):
    s = new_session(app, system="be brief")
    scripted.script = ["Hello there", "Fine thanks"]
    assert s.send("hi", ui).status == "complete"
    assert s.send("how are you?", ui).status == "complete"
    assert ui.writers[0].text == "Hello there" and ui.writers[1].text == "Fine thanks"
    assert roles(scripted.requests[1]) == [
        ("system", "be brief"), ("user", "hi"), ("assistant", "Hello there"),
        ("user", "how are you?"),
    ]
    rows = app.logs.list(conversation_id=s.conversation_id)
    assert [(r["prompt"], r["reply"], r["status"]) for r in reversed(rows)] == [
        ("hi", "Hello there", "complete"), ("how are you?", "Fine thanks", "complete"),
    ]
    # usage reported by the provider becomes the exact count on the status line
    assert s.used is not None and s.used.exact and s.used.tokens == 8 + 2  # words in, words out


def test_ctrl_c_mid_reply_keeps_the_partial_text_marked_interrupted(app, ui, scripted):
    s = new_session(app)
    scripted.script = [["Once ", "upon ", KeyboardInterrupt()], "the end"]
    out = s.send("tell a story", ui)
    assert out.status == "interrupted" and out.error.exit_code == 130
    assert ui.interruptions == 1 and ui.writers[0].finished is True
    assert [(t.reply, t.status) for t in s.turns] == [("Once upon ", "interrupted")]
    row = app.logs.list(conversation_id=s.conversation_id)[0]
    assert (row["reply"], row["status"]) == ("Once upon ", "interrupted")
    # the chat goes on, and the partial reply is part of what the model sees next
    assert s.send("go on", ui).status == "complete"
    assert ("assistant", "Once upon ") in roles(scripted.requests[1])


def test_ctrl_c_before_any_text_leaves_the_message_for_retry(app, ui, scripted):
    s = new_session(app)
    scripted.script = [KeyboardInterrupt()]
    assert s.send("first", ui).status == "interrupted"
    assert s.turns == [] and s.pending is not None and s.pending.text == "first"
    assert s.retry(ui).status == "complete"
    assert [t.user for t in s.turns] == ["first"] and s.pending is None


def test_provider_error_is_one_line_and_the_chat_goes_on(app, ui, scripted):
    s = new_session(app)
    scripted.script = [AuthError("the provider refused the key", hint="check it")]
    out = s.send("hi", ui)
    assert out.status == "error" and out.error.exit_code == 4
    assert len(ui.errors) == 1 and "\n" not in ui.errors[0] and "/retry" in ui.errors[0]
    assert s.turns == []
    assert s.retry(ui).status == "complete"  # /retry sends the unanswered message
    assert roles(scripted.requests[-1]) == [("user", "hi")]


def test_stream_broken_after_text_keeps_what_arrived(app, ui, scripted):
    s = new_session(app)
    scripted.script = [["partial ", ProviderError("stream ended early")]]
    out = s.send("hi", ui)
    assert out.status == "error"
    assert [(t.reply, t.status) for t in s.turns] == [("partial ", "interrupted")]


def test_retry_regenerates_the_last_reply(app, ui, scripted):
    s = new_session(app)
    scripted.script = ["one", "two", "three"]
    s.send("a", ui)
    s.send("b", ui)
    s.retry(ui)
    assert [(t.user, t.reply) for t in s.turns] == [("a", "one"), ("b", "three")]
    assert roles(scripted.requests[2]) == roles(scripted.requests[1])


def test_undo_and_clear(app, ui, scripted):
    s = new_session(app)
    s.send("a", ui)
    s.send("b", ui)
    first_cid = s.conversation_id
    assert s.undo().user == "b"
    s.send("c", ui)
    assert [m.content for m in scripted.requests[-1].messages] == ["a", "reply 1", "c"]
    new_cid = s.clear()
    assert s.turns == [] and new_cid != first_cid
    s.send("d", ui)
    assert [m.content for m in scripted.requests[-1].messages] == ["d"]
    assert app.logs.list(conversation_id=new_cid)[0]["prompt"] == "d"
    assert s.undo() is not None and s.undo() is None


def test_model_switch_keeps_history_and_drops_options_the_new_provider_refuses(app, ui, scripted):
    s = new_session(app, "scriptext:small", option_values={"beam": "4", "temperature": "0.5"})
    s.send("hi", ui)
    dropped = s.set_model("script:big")
    assert dropped == ["beam"] and s.options.set_values() == {"temperature": 0.5}
    s.send("again", ui)
    req = ScriptedProvider.requests[-1]
    assert req.model == "big" and [m.content for m in req.messages][:2] == ["hi", "reply 1"]
    assert ExtraOptionProvider.requests[0].options.set_values() == {"beam": 4, "temperature": 0.5}
    row = app.logs.list(conversation_id=s.conversation_id)[0]
    assert (row["provider"], row["model"]) == ("script", "big")


def test_set_option_validates_and_unsets(app, scripted):
    s = new_session(app)
    s.set_option("temperature", "0.2")
    s.set_option("stop", "###")
    assert s.options.set_values() == {"temperature": 0.2, "stop": ["###"]}
    with pytest.raises(InvalidInput, match="temperature"):
        s.set_option("temperature", "7")
    assert s.options.temperature == 0.2  # a refused value changes nothing
    with pytest.raises(InvalidInput, match="unknown option 'temprature'"):
        s.set_option("temprature", "1")
    s.set_option("temperature", None)
    assert s.options.temperature is None
    with pytest.raises(InvalidInput, match="not set"):
        s.set_option("top_k", None)


def test_unknown_model_switch_changes_nothing(app, scripted):
    from llmcli.core.errors import UnknownModel

    s = new_session(app)
    with pytest.raises(UnknownModel):
        s.set_model("nosuchprovider:x")
    assert str(s.ref) == "script:big"


def test_template_applies_to_the_next_message_only(app, ui, scripted):
    from llmcli.chat.templating import Choice

    s = new_session(app)
    s.next_template = Choice("role", {"role": "a pirate"})
    s.send("where is the treasure?", ui)
    sent = scripted.requests[0].messages
    assert len(sent) == 1 and sent[0].role == "user"
    assert "a pirate" in sent[0].content and "where is the treasure?" in sent[0].content
    assert app.logs.list(conversation_id=s.conversation_id)[0]["template"] == "role"
    s.send("plain", ui)
    assert scripted.requests[1].messages[-1].content == "plain" and s.next_template is None


def test_multi_call_templates_are_refused_for_chat(app):
    from llmcli.chat import templating

    with pytest.raises(InvalidInput, match="several calls"):
        templating.load(templating.parse("least-to-most"), app.paths)
    with pytest.raises(InvalidInput, match="unknown template"):
        templating.load(templating.parse("nope-nope"), app.paths)


def test_a_bug_in_a_provider_is_one_line_and_the_chat_goes_on(app, ui, scripted):
    s = new_session(app)
    scripted.script = [ZeroDivisionError("division by zero"), "fine"]
    out = s.send("hi", ui)
    assert out.status == "error" and out.error.exit_code == 1
    assert ui.errors == ["internal error in script: ZeroDivisionError: division by zero "
                         "(run with --debug for the traceback; /retry to send it again)"]
    assert s.retry(ui).status == "complete"
