"""A streamed reply taller than the terminal ends up in the scrollback exactly once.

The CLI runs on a pty read through pyte's HistoryScreen, against the loopback OpenAI stub, at
80x20 (the reply does not fit) and 80x45 (it does)."""

from __future__ import annotations

import pytest

from tests.chat.term import Term

WORDS = [f"w{i:03d}" for i in range(400)]


def _reply(paragraphs: int) -> str:
    per = len(WORDS) // paragraphs
    return "\n\n".join(" ".join(WORDS[i * per : (i + 1) * per]) for i in range(paragraphs))


def _pieces(text: str) -> list[str]:
    # word by word, as a provider streams
    out, word = [], ""
    for ch in text:
        word += ch
        if ch == " ":
            out.append(word)
            word = ""
    return [*out, word] if word else out


def _count(lines: list[str]) -> dict[str, int]:
    seen: dict[str, int] = {}
    for line in lines:
        for w in line.split():
            seen[w] = seen.get(w, 0) + 1
    return seen


@pytest.fixture
def screen_of(openai_server, home):
    made: list[Term] = []

    def run(args: list[str], rows: int, text: str) -> Term:
        openai_server.chunks = _pieces(text)
        openai_server.script("chat", openai_server.stream(chunk_delay=0.002))
        t = Term(*args, rows=rows, cols=80, command="prompt")
        made.append(t)
        assert t.exit_code() == 0, t.text()
        return t

    yield run
    for t in made:
        t.close()


@pytest.mark.parametrize("rows", [20, 45])
@pytest.mark.parametrize("paragraphs", [1, 4])
def test_a_tall_reply_is_in_the_scrollback_once(screen_of, rows, paragraphs):
    text = _reply(paragraphs)
    t = screen_of(["-m", "openai", "hi"], rows, text)
    seen = _count(t.lines())
    assert [w for w in WORDS if seen.get(w) != 1] == []
    # and in order: the words read back as the reply
    words = [w for line in t.lines() for w in line.split() if w.startswith("w")]
    assert words == WORDS
    assert "more lines above" not in t.text()  # the live region's marker is gone


@pytest.mark.parametrize("rows", [20, 45])
def test_a_tall_chat_reply_is_in_the_scrollback_once(openai_server, home, rows):
    openai_server.chunks = _pieces(_reply(1))
    openai_server.script("chat", openai_server.stream(chunk_delay=0.002))
    t = Term("-m", "openai", rows=rows, cols=80)
    try:
        t.expect_prompt()
        t.line("hi")
        t.expect_prompt()
        seen = _count(t.lines())
        assert [w for w in WORDS if seen.get(w) != 1] == []
        assert "more lines above" not in t.text()
    finally:
        t.close()
