"""Chain-of-thought in a terminal: the reasoning dimmed, the final answer printed once (bold),
not also inside the reasoning. Read from a pty through pyte, against the OpenAI stub."""

from __future__ import annotations

import pytest

from tests.chat.term import Term

REPLY = "12 pens are 4 groups of 3.\nEach costs $2, so 4 x 2 = 8 dollars.\n**Answer:** $8"


def _pieces(text: str, size: int = 3) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)]  # markers split across pieces


@pytest.mark.parametrize("extra", [[], ["--no-stream"]])
def test_the_answer_is_on_the_screen_once(openai_server, home, extra):
    openai_server.chunks = _pieces(REPLY)
    t = Term("-t", "chain-of-thought", "-m", "openai", *extra, "How much do 12 pens cost?",
             command="prompt")
    try:
        assert t.exit_code() == 0, t.text()
        screen = t.text()
        assert screen.count("$8") == 1, screen
        assert "Answer: $8" in screen
        assert "Each costs $2, so 4 x 2 = 8 dollars." in screen  # the reasoning is shown
    finally:
        t.close()


def test_a_pipe_still_gets_the_whole_reply(cli, openai_server):
    openai_server.chunks = _pieces(REPLY)
    res = cli("prompt", "-t", "chain-of-thought", "-m", "openai", "How much?")
    assert res.exit_code == 0 and res.stdout == REPLY + "\n"


def test_a_marker_line_without_an_answer_is_not_lost(openai_server, home):
    # the marker ends its line and nothing follows: no answer, so the held line is shown
    openai_server.chunks = _pieces("I cannot tell.\nAnswer:")
    t = Term("-t", "chain-of-thought", "-m", "openai", "?", command="prompt")
    try:
        t.exit_code()
        assert "I cannot tell." in t.text() and "Answer:" in t.text()
    finally:
        t.close()
