"""`llmcli chat` end to end: the real REPL in a pseudo-terminal, talking to the loopback
OpenAI-compatible stub through the real SDK, with state in an isolated LLMCLI_HOME."""

from __future__ import annotations

import json
import signal
import stat
import sys

import pytest

from llmcli.config import Paths
from llmcli.store.logs import LogStore
from tests.chat.term import CTRL_C, CTRL_D, ENTER, ESC_ENTER, F2, TAB, UP, Term, paste

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")

MODEL = ["-m", "openai:gpt-4o-mini"]


def chat_bodies(stub) -> list[dict]:
    return [r.body for r in stub.requests_for("chat")]


def sent(stub, i: int = -1) -> list[tuple[str, str]]:
    return [(m["role"], m["content"]) for m in chat_bodies(stub)[i]["messages"]]


def log_rows() -> list[dict]:
    store = LogStore(Paths.from_env().logs_db)
    try:
        return list(store.iter_all())
    finally:
        store.close()


@pytest.fixture
def term():
    made: list[Term] = []

    def _start(*args: str, **kw) -> Term:
        t = Term(*args, **kw)
        made.append(t)
        return t

    yield _start
    for t in made:
        t.close()


def test_a_conversation_with_slash_commands_and_the_status_line(openai_server, term):
    openai_server.reply_text = "Hello **there**, friend."
    t = term(*MODEL)
    t.expect_prompt()
    assert "openai:gpt-4o-mini" in t.lines()[-1]  # the status line at the bottom
    t.line("hi")
    t.expect_prompt()
    assert "Hello there, friend." in t.text()  # Markdown rendered: no asterisks
    # The status line is redrawn just after the prompt: wait for it rather than race it.
    t.wait(lambda: "ttft" in t.lines()[-1], "the status line's figures")
    status = t.lines()[-1]
    assert "ttft" in status and "tok/s" in status and "128k tokens" in status
    t.line("/system Answer briefly.")
    t.expect_prompt()
    t.line("/set temperature 0.3")
    t.expect_prompt()
    t.line("and again")
    t.expect_prompt()
    body = chat_bodies(openai_server)[-1]
    assert body["temperature"] == 0.3
    assert sent(openai_server) == [
        ("system", "Answer briefly."), ("user", "hi"), ("assistant", "Hello **there**, friend."),
        ("user", "and again"),
    ]
    t.line("/tokens")
    t.expect_prompt()
    # the figure the provider reported for the last exchange, the same as the status line's
    assert "128,000 tokens" in t.text() and "reported by the provider" in t.text()
    t.line("/bogus")
    t.expect_prompt()
    assert "unknown command '/bogus'" in t.text()
    t.line("/exit")
    assert t.exit_code() == 0
    rows = log_rows()
    assert [r["prompt"] for r in rows] == ["hi", "and again"]
    assert len({r["conversation_id"] for r in rows}) == 1


def test_switching_model_carries_the_history(openai_server, term):
    t = term(*MODEL)
    t.expect_prompt()
    t.line("first")
    t.expect_prompt()
    t.line("/model openai:gpt-4o")
    t.expect_prompt()
    assert "switched from openai:gpt-4o-mini to openai:gpt-4o" in t.text()
    t.line("second")
    t.expect_prompt()
    body = chat_bodies(openai_server)[-1]
    assert body["model"] == "gpt-4o"
    assert [c for _, c in sent(openai_server)] == ["first", "Hello from the stub.", "second"]
    assert "openai:gpt-4o |" in t.lines()[-1]
    t.send(CTRL_D)
    assert t.exit_code() == 0


def test_input_history_persists_across_runs(openai_server, term):
    t = term(*MODEL)
    t.expect_prompt()
    t.line("a line worth remembering")
    t.expect_prompt()
    t.send(CTRL_D)
    assert t.exit_code() == 0
    t2 = term(*MODEL)
    t2.expect_prompt()
    t2.send(UP)
    t2.expect("> a line worth remembering")
    t2.send(ENTER)
    t2.expect_prompt()
    assert sent(openai_server)[-1] == ("user", "a line worth remembering")
    assert len(chat_bodies(openai_server)) == 2
    t2.send(CTRL_D)
    assert t2.exit_code() == 0


def test_ctrl_c_stops_only_the_reply(openai_server, term):
    words = [f"word{i} " for i in range(40)]
    openai_server.chunks = words
    openai_server.script("chat", openai_server.stream(chunk_delay=0.15))
    t = term(*MODEL)
    t.expect_prompt()
    t.line("tell me a long story")
    t.expect("word3")
    t.send(CTRL_C)
    t.expect_prompt()
    screen = t.text()
    assert screen.count("word0 word1 word2 word3") == 1  # the partial reply stays, once
    assert "word39" not in screen and "interrupted" in screen
    assert t.child.isalive()
    openai_server.chunks = None
    t.line("are you still there?")
    t.expect_prompt()
    assert "Hello from the stub." in t.text()
    history = sent(openai_server)
    assert history[0] == ("user", "tell me a long story")
    assert history[1][0] == "assistant" and history[1][1].startswith("word0 word1 word2 word3")
    rows = log_rows()
    assert rows[0]["status"] == "interrupted" and rows[0]["reply"].startswith("word0 word1")
    assert rows[1]["status"] == "complete"
    t.send(CTRL_D)
    assert t.exit_code() == 0


def test_ctrl_c_clears_a_typed_line_and_leaves_at_an_empty_prompt(openai_server, term):
    t = term(*MODEL)
    t.expect_prompt()
    t.send("half a thought")
    t.expect("half a thought")
    t.send(CTRL_C)
    t.settle()
    assert t.child.isalive() and "half a thought" not in t.lines()[t.screen.cursor.y]
    t.send(CTRL_C)
    assert t.exit_code() == 0
    assert chat_bodies(openai_server) == []


def test_a_provider_error_is_one_line_and_the_chat_goes_on(openai_server, term):
    openai_server.script("chat", openai_server.error(400, "Invalid 'messages': bad stuff."))
    t = term(*MODEL)
    t.expect_prompt()
    t.line("hello")
    t.expect_prompt()
    lines = t.plain().splitlines()
    errors = [i for i, line in enumerate(lines) if "llmcli: error:" in line]
    assert len(errors) == 1
    # one error, broken between words to fit the screen (its continuation lines indented)
    whole = lines[errors[0]].rstrip()
    for line in lines[errors[0] + 1:]:
        if not line.startswith("  "):
            break
        whole += " " + line.strip()
    assert "HTTP 400" in whole and whole.endswith("send it again)"), whole
    t.line("/retry")
    t.expect_prompt()
    assert "Hello from the stub." in t.text()
    assert [c for _, c in sent(openai_server)] == ["hello"]
    t.send(CTRL_D)
    assert t.exit_code() == 0


def test_continue_the_last_conversation_in_a_new_process(openai_server, term):
    openai_server.echo = True
    t = term(*MODEL, "-s", "Be nice.")
    t.expect_prompt()
    t.line("my name is Ana")
    t.expect_prompt()
    t.send(CTRL_D)
    assert t.exit_code() == 0
    t2 = term("-c")
    t2.expect_prompt()
    assert "continuing conversation" in t2.text() and "1 turn\n" in t2.text()
    t2.line("what is my name?")
    t2.expect_prompt()
    assert sent(openai_server) == [
        ("system", "Be nice."), ("user", "my name is Ana"), ("assistant", "my name is Ana"),
        ("user", "what is my name?"),
    ]
    t2.send(CTRL_D)
    assert t2.exit_code() == 0
    rows = log_rows()
    assert rows[0]["conversation_id"] == rows[1]["conversation_id"]
    # --cid picks a conversation by id
    t3 = term("--cid", rows[0]["conversation_id"])
    t3.expect_prompt()
    t3.line("/history")
    t3.expect_prompt()
    assert "you: what is my name?" in t3.text()
    t3.send(CTRL_D)
    assert t3.exit_code() == 0


def test_piped_stdin_answers_each_line_and_prints_only_replies(openai_server, cli_proc):
    openai_server.echo = True
    res = cli_proc("chat", *MODEL, input="hi\nmore\n")
    assert res.exit_code == 0 and res.stdout == "hi\nmore\n"
    assert [c for _, c in sent(openai_server)] == ["hi", "hi", "more"]
    res = cli_proc("chat", "-c", input="again\n")
    assert res.stdout == "again\n" and len(sent(openai_server)) == 5


def test_a_terminal_narrower_than_a_long_line(openai_server, term):
    openai_server.echo = True
    long_line = " ".join(f"w{i:03d}" for i in range(40))  # 159 characters
    t = term(*MODEL, "--plain", cols=30, rows=20)
    t.expect_prompt()
    t.line(long_line)
    t.expect_prompt()
    assert sent(openai_server)[-1] == ("user", long_line)  # the wrapped input arrives whole
    rows = t.lines()
    start = next(i for i, r in enumerate(rows) if r.startswith("> w000"))
    end = next(i for i, r in enumerate(rows) if r.startswith("w000"))
    typed = "".join(r[2:].ljust(28) for r in rows[start:end])  # rows indented under the '> '
    assert " ".join(typed.split()) == long_line
    assert all(len(r) <= 30 for r in rows)
    assert long_line in t.unwrapped()  # the echoed reply, wrapped by the terminal
    t.resize(20, 24)
    t.line("/tokens")
    t.expect_prompt()
    assert "tokens" in t.text()
    t.send(CTRL_D)
    assert t.exit_code() == 0


def test_history_outgrowing_the_window_offers_to_drop_old_turns(openai_server, term):
    openai_server.echo = True
    # each message is ~27 tokens (90 chars / 4, plus 4 for the role) and the echo as many:
    # two turns and a message fit 150 tokens (135), three turns and a message (189) do not
    t = term(*MODEL, "--context-window", "150")
    t.expect_prompt()
    for i in range(3):
        t.line(f"message {i} " + "padding " * 10)
        t.expect_prompt()
    t.line("message 3 " + "padding " * 10)
    t.expect_prompt()  # the question is a prompt of its own
    assert "Drop the oldest" in t.text() and "estimated, chars/4" in t.text()
    t.line("n")
    t.expect_prompt()
    assert "not sent" in t.text() and len(chat_bodies(openai_server)) == 3
    t.line("/retry")
    t.expect_prompt()
    t.line("y")
    t.expect_prompt()
    assert len(chat_bodies(openai_server)) == 4
    contents = [c for _, c in sent(openai_server)]
    assert not any(c.startswith("message 0") for c in contents)
    assert contents[-1].startswith("message 3")
    t.send(CTRL_D)
    assert t.exit_code() == 0


def test_multiline_mode_and_bracketed_paste(openai_server, term):
    t = term(*MODEL)
    t.expect_prompt()
    t.send(paste("pasted line one\npasted line two"))
    t.settle()
    assert chat_bodies(openai_server) == []  # a paste does not send itself
    t.send(ENTER)
    t.expect_prompt()
    assert sent(openai_server)[-1] == ("user", "pasted line one\npasted line two")
    t.send(F2)
    t.settle()
    assert "multi-line" in t.lines()[-1]
    t.send("first line" + ENTER + "second line")
    t.settle()
    assert len(chat_bodies(openai_server)) == 1  # Enter added a line, it did not send
    t.send(ESC_ENTER)
    t.expect_prompt()
    assert sent(openai_server)[-1] == ("user", "first line\nsecond line")
    t.send(CTRL_D)
    assert t.exit_code() == 0


def test_tab_completes_commands_and_model_names(openai_server, term):
    t = term(*MODEL)
    t.expect_prompt()
    t.send("/mod" + TAB)
    t.expect("> /model")
    t.send(" openai:gpt-4.1-mi" + TAB)
    t.expect("> /model openai:gpt-4.1-mini")
    t.send(ENTER)
    t.expect_prompt()
    assert "switched from openai:gpt-4o-mini to openai:gpt-4.1-mini" in t.text()
    t.send(CTRL_D)
    assert t.exit_code() == 0


def test_edit_opens_the_editor(openai_server, term, tmp_path):
    editor = tmp_path / "fake-editor"
    editor.write_text('#!/bin/sh\nprintf "written in the editor\\nsecond line" > "$1"\n',
                      encoding="utf-8")
    editor.chmod(editor.stat().st_mode | stat.S_IXUSR)
    t = term(*MODEL, env={"EDITOR": str(editor), "VISUAL": ""})
    t.expect_prompt()
    t.line("/edit")
    t.expect_prompt()
    assert sent(openai_server)[-1] == ("user", "written in the editor\nsecond line")
    t.send("\x18\x05")  # Ctrl-X Ctrl-E: edit the line in the editor, then send it
    t.expect_prompt()
    assert len(chat_bodies(openai_server)) == 2
    assert sent(openai_server)[-1] == ("user", "written in the editor\nsecond line")
    t.send(CTRL_D)
    assert t.exit_code() == 0


def test_save_writes_the_conversation(openai_server, term, tmp_path):
    t = term(*MODEL)
    t.expect_prompt()
    t.line("olá ☕")
    t.expect_prompt()
    target = tmp_path / "chat.json"
    t.line(f"/save {target}")
    t.expect_prompt()
    doc = json.loads(target.read_text(encoding="utf-8"))
    assert doc["messages"][0] == {"role": "user", "content": "olá ☕"}
    t.send(CTRL_D)
    assert t.exit_code() == 0


@pytest.mark.slow
def test_a_short_chat_with_the_local_model(term):
    pytest.importorskip("llmcli.providers.local", reason="the local provider has not landed")
    t = term("-m", "local", "-o", "max_tokens=6", "-o", "seed=1", timeout=600)
    t.expect_prompt()
    t.line("The capital of France is")
    t.expect_prompt()
    t.line("/tokens")
    t.expect_prompt()
    # counted, not estimated: the provider's own figure for the exchange
    assert "reported by the provider" in t.text() and "~" not in t.lines()[-1]
    t.send(CTRL_D)
    assert t.exit_code() == 0
    rows = log_rows()
    assert len(rows) == 1 and rows[0]["provider"] == "local" and rows[0]["status"] == "complete"
    assert rows[0]["reply"].strip() and 1 <= (rows[0]["output_tokens"] or 0) <= 6
    messages = json.loads(rows[0]["messages"])
    assert messages[-1] == {"role": "user", "content": "The capital of France is"}


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_sigterm_or_sighup_mid_reply_logs_the_partial_reply_and_ends(openai_server, term,
                                                                     signum, code):
    """#16 item 8, on a real terminal: unlike Ctrl-C the chat ends, and the reply is kept."""
    openai_server.chunks = [f"word{i} " for i in range(40)]
    openai_server.script("chat", openai_server.stream(chunk_delay=0.15))
    t = term(*MODEL)
    t.expect_prompt()
    t.line("tell me a long story")
    t.expect("word3")
    t.child.kill(signum)
    assert t.exit_code() == code
    (row,) = log_rows()
    assert row["status"] == "interrupted" and row["reply"].startswith("word0 word1 word2 word3")


def _status_tokens(t) -> str:
    import re

    t.wait(lambda: re.search(r"(~?[\d,]+) / 128k tokens", t.lines()[-1]) is not None,
           "the status line's token count")
    return re.search(r"(~?[\d,]+) / 128k tokens", t.lines()[-1]).group(1)


def _tokens_command(t) -> str:
    import re

    t.line("/tokens")
    t.expect_prompt()
    found = re.findall(r"history\s+(~?[\d,]+) tokens", t.text())
    return found[-1]


def test_status_line_and_tokens_agree_and_a_system_prompt_never_lowers_the_count(
        openai_server, term):
    openai_server.prompt_tokens = 500  # the provider's figure is far above chars/4
    t = term(*MODEL)
    t.expect_prompt()
    t.line("hi")
    t.expect_prompt()
    assert _status_tokens(t) == "502"  # 500 in + 2 out, as reported
    assert _tokens_command(t) == "502"
    t.line("/system Answer briefly and in Portuguese, please.")
    t.expect_prompt()
    after = _status_tokens(t)
    assert after.startswith("~") and int(after[1:].replace(",", "")) > 502  # marked, not lower
    assert _tokens_command(t) == after == _status_tokens(t)
    t.send(CTRL_D)
    assert t.exit_code() == 0


def test_multi_toggles_off_and_leaving_says_how_to_resume_which_shows_the_last_turns(
        openai_server, term):
    t = term(*MODEL)
    t.expect_prompt()
    t.line("/multi")
    t.expect_prompt()
    assert "multi-line mode on" in t.text()
    t.line("/multi")  # Enter runs a command line even in multi-line mode
    t.expect_prompt()
    assert "multi-line mode off" in t.text()
    t.line("remember the number 42")
    t.expect_prompt()
    t.send(CTRL_D)
    assert t.exit_code() == 0
    assert "resume with: llmcli chat -c" in t.text()
    t2 = term("-c")
    t2.expect_prompt()
    screen = t2.text()
    assert "continuing conversation" in screen
    assert "you: remember the number 42" in screen and "Hello from the stub." in screen
    t2.send(CTRL_D)
    assert t2.exit_code() == 0
