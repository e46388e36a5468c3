"""Slash commands through `dispatch`, with the real ChatView writing to captured streams."""

from __future__ import annotations

import stat

from llmcli.chat import commands
from llmcli.chat.clipboard import copy, osc52
from llmcli.chat.commands import CommandContext, dispatch
from llmcli.chat.repl import ChatFrontend
from llmcli.ui.chat_view import ChatView, toolbar_text
from tests.chat.conftest import make_app, new_session


def setup(scripted, *, tty=False, spec="script:big"):
    app = make_app(tty=tty)
    session = new_session(app, spec)
    view = ChatView(app.env, info_to_stderr=not tty, plain=True)
    ui = ChatFrontend(view, spinner=False, ask=lambda q: True)
    ctx = CommandContext(session, ui)
    return app, session, ctx


def out(app) -> str:
    return app.env.stdout.getvalue()


def err(app) -> str:
    return app.env.stderr.getvalue()


def test_help_lists_every_command(scripted):
    app, _, ctx = setup(scripted, tty=True)
    dispatch("/help", ctx)
    for name in ("/model", "/system", "/set", "/options", "/template", "/retry", "/undo", "/clear",
                 "/history", "/tokens", "/save", "/copy", "/multi", "/edit", "/exit"):
        assert name in out(app), name
    assert "Ctrl-X Ctrl-E" in out(app)


def test_unknown_command_suggests_and_slash_escape(scripted):
    app, _, ctx = setup(scripted)
    assert dispatch("/hisotry", ctx).exit is False
    assert "unknown command '/hisotry'" in err(app) and "/history" in err(app)
    assert commands.is_command("/undo") and not commands.is_command("//etc/hosts is a file")
    assert commands.unescape("//etc/hosts") == "/etc/hosts"


def test_model_switch_and_show(scripted):
    app, s, ctx = setup(scripted)
    dispatch("/model script:small", ctx)
    assert str(s.ref) == "script:small" and "switched from script:big to script:small" in err(app)
    dispatch("/model", ctx)
    assert "100 tokens" in err(app)  # the small model's window
    dispatch("/model nonsense:x", ctx)
    assert str(s.ref) == "script:small" and "unknown" in err(app)


def test_system_set_options_and_history(scripted):
    app, s, ctx = setup(scripted)
    dispatch("/system You answer in haiku", ctx)
    assert s.system == "You answer in haiku"
    dispatch("/set temperature 0.4", ctx)
    dispatch("/set max_tokens=12", ctx)
    assert s.options.set_values() == {"temperature": 0.4, "max_tokens": 12}
    dispatch("/set temperature 9", ctx)
    assert "llmcli: error: invalid value for option 'temperature'" in err(app)
    dispatch("/options", ctx)
    assert "0.4" in err(app) and "top_k" in err(app)
    s.send("hello", ctx.ui)
    dispatch("/history", ctx)
    assert "you: hello" in err(app) and "script:big: reply 1" in err(app)
    assert "system: You answer in haiku" in err(app)
    dispatch("/system off", ctx)
    assert s.system is None


def test_undo_retry_clear_tokens(scripted):
    app, s, ctx = setup(scripted)
    dispatch("/retry", ctx)
    assert "nothing to retry" in err(app)
    s.send("one", ctx.ui)
    dispatch("/retry", ctx)
    assert [t.reply for t in s.turns] == ["reply 2"]
    dispatch("/tokens", ctx)
    assert "reported by the provider" in err(app) and "100,000 tokens" in err(app)
    dispatch("/undo", ctx)
    assert s.turns == [] and "dropped: one" in err(app)
    s.send("two", ctx.ui)
    cid = s.conversation_id
    dispatch("/clear", ctx)
    assert s.turns == [] and s.conversation_id != cid


def test_save_command(scripted, tmp_path):
    app, s, ctx = setup(scripted)
    s.send("hi", ctx.ui)
    dispatch(f"/save {tmp_path / 'c.md'}", ctx)
    assert (tmp_path / "c.md").read_text(encoding="utf-8").count("## User") == 1
    dispatch("/save", ctx)
    assert "save where?" in err(app)


def test_exit_and_terminal_only_commands(scripted):
    app, _, ctx = setup(scripted)
    assert dispatch("/exit", ctx).exit and dispatch("/quit", ctx).exit
    dispatch("/multi", ctx)  # piped: no terminal to toggle
    assert "/multi needs a terminal" in err(app)


def test_template_command(scripted):
    app, s, ctx = setup(scripted)
    dispatch("/template", ctx)
    assert "chain-of-thought" in err(app) and "zero-shot" in err(app)
    dispatch("/template zero-shot task='Answer in one word.'", ctx)
    assert s.next_template is not None
    assert s.next_template.variables == {"task": "Answer in one word."}
    dispatch("/template off", ctx)
    assert s.next_template is None
    dispatch("/template least-to-most", ctx)
    assert "several calls" in err(app) and s.next_template is None


def _fake_tool(folder, name, sink):
    path = folder / name
    path.write_text(f"#!/bin/sh\ncat > '{sink}'\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def test_copy_uses_a_clipboard_tool_when_there_is_one(tmp_path):
    sink = tmp_path / "clip.txt"
    _fake_tool(tmp_path, "xclip", sink)
    said = copy("naïve ☕ text", environ={"PATH": str(tmp_path), "DISPLAY": ":0"})
    assert "with xclip" in said and sink.read_text(encoding="utf-8") == "naïve ☕ text"
    # without DISPLAY an X11 tool is not tried
    said = copy("x", environ={"PATH": str(tmp_path)})
    assert "no clipboard tool" in said


def test_copy_falls_back_to_osc52_on_a_terminal(scripted, tmp_path):
    app, s, ctx = setup(scripted, tty=True)
    s.send("hi", ctx.ui)
    env = dict(app.env.environ)
    env["PATH"] = str(tmp_path)  # no tools
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    app.env.environ = env
    dispatch("/copy", ctx)
    assert osc52("reply 1") in out(app) and "OSC 52" in out(app)


def test_toolbar_text():
    line = toolbar_text("local:gemma", "~1,234", 32768, 0.123, 45.6, tps_estimated=True,
                        multiline=True)
    assert line == ("local:gemma | ~1,234 / 32k tokens | ttft 0.12 s | ~46 tok/s"
                    " | multi-line: Esc Enter sends")
    assert toolbar_text("m", None, None, None, None) == "m"
    assert "128k" in toolbar_text("m", "1", 128_000, None, None)
    assert "1M" in toolbar_text("m", "1", 1_048_576, None, None)


def test_piped_chat_prints_only_replies(cli, scripted):
    res = cli("chat", "-m", "script:big", input="hi\n\nmore\n")
    assert res.exit_code == 0
    assert res.stdout == "reply 1\nreply 2\n"
    assert [m.content for m in scripted.requests[1].messages] == ["hi", "reply 1", "more"]


def test_piped_chat_commands_errors_and_continue(cli, scripted):
    from llmcli.core.errors import AuthError

    scripted.script = ["first", AuthError("refused"), "third"]
    res = cli("chat", "-m", "script:big", input="/system be kind\na\nb\nc\n/tokens\n")
    # Command output and errors stay off stdout; a failed message leaves its placeholder line.
    assert res.stdout == "first\n[no reply]\nthird\n"
    assert res.exit_code == 4  # the first failure's code; the chat went on after it
    assert "refused" in res.stderr and "Tokens" in res.stderr
    assert scripted.requests[0].messages[0].content == "be kind"
    res = cli("chat", "-c", input="d\n")
    assert res.exit_code == 0 and res.stdout == "reply 4\n"
    sent = [m.content for m in scripted.requests[-1].messages]
    assert sent == ["be kind", "a", "first", "c", "third", "d"]


def test_piped_invalid_utf8_line_is_reported_and_skipped(cli, scripted):
    res = cli("chat", "-m", "script:big", input=b"ok\ncaf\xe9\nfine\n")
    assert res.stdout == "reply 1\nreply 2\n" and res.exit_code == 2
    assert "stdin line 2 is not valid UTF-8" in res.stderr


def test_chat_option_errors_fail_before_starting(cli, scripted):
    res = cli("chat", "-m", "script:big", "-o", "temperature=5", input="hi\n")
    assert res.exit_code == 2 and res.stdout == "" and scripted.requests == []
    res = cli("chat", "--cid", "nope", input="hi\n")
    assert res.exit_code == 2 and "no conversation with id 'nope'" in res.stderr
    res = cli("chat", "-m", "openai", input="hi\n")
    assert res.exit_code == 3 and "OPENAI_API_KEY" in res.stderr


def test_no_log_writes_nothing(cli, scripted, home):
    res = cli("chat", "-m", "script:big", "--no-log", input="hi\n")
    assert res.exit_code == 0 and res.stdout == "reply 1\n"
    assert not (home / "data" / "logs.db").exists() or "hi" not in cli("logs", "list").stdout

