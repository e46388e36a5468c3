"""Reasoning on a real terminal (a pty read through pyte): dimmed while it streams, the answer
on its own line below it; at 80x20 and at a large size; in chat too."""

from __future__ import annotations

import os
import sys

import pexpect
import pyte
import pytest

from tests.chat.term import Term
from tests.conftest import ROOT

THOUGHT = ["Vejamos: 17 × 20 = 340, ", "17 × 3 = 51; somando dá 391 🤔"]


def screen_of(args: list[str], rows: int, cols: int) -> tuple[list[str], str]:
    env = dict(os.environ, TERM="xterm-256color")
    child = pexpect.spawn(sys.executable, ["-m", "llmcli", *args], env=env, cwd=str(ROOT),
                          dimensions=(rows, cols), encoding="utf-8", timeout=30)
    raw = child.read()  # to the end of output
    child.close()
    assert child.exitstatus == 0, raw
    screen = pyte.Screen(cols, rows)
    pyte.Stream(screen).feed(raw)
    return [line.rstrip() for line in screen.display], raw


@pytest.mark.parametrize(("rows", "cols"), [(20, 80), (50, 200)])
def test_reasoning_is_dim_and_the_answer_starts_below_it(groq_server, rows, cols):
    groq_server.reasoning = THOUGHT
    groq_server.chunks = ["A resposta é ", "**391**."]
    lines, raw = screen_of(["prompt", "17 × 23?", "-m", "groq:openai/gpt-oss-20b"], rows, cols)
    text = [ln for ln in lines if ln]
    thought = "".join(THOUGHT)
    joined = "".join(text)
    assert thought.replace(" ", "") in joined.replace(" ", "")  # wrapped at 80 columns
    assert text[-1] == "A resposta é 391."  # Markdown rendered, on its own line, last
    assert "\x1b[2m" + THOUGHT[0] in raw  # dim


def test_hide_reasoning_on_a_terminal(groq_server):
    groq_server.reasoning = THOUGHT
    groq_server.chunks = ["só a resposta"]
    lines, _ = screen_of(["prompt", "q", "-m", "groq:openai/gpt-oss-20b", "--hide-reasoning"],
                         20, 80)
    assert [ln for ln in lines if ln] == ["só a resposta"]


def test_chat_shows_reasoning_before_the_reply(groq_server):
    groq_server.reasoning = THOUGHT
    groq_server.chunks = ["São 391."]
    t = Term("-m", "groq:openai/gpt-oss-20b", rows=20, cols=80)
    try:
        t.expect_prompt()
        t.line("17 × 23?")
        t.expect_prompt()
        screen = t.text()
        assert "17 × 3 = 51; somando dá 391" in screen
        assert screen.index("somando dá 391") < screen.index("São 391.")
        assert "\x1b[2m" in t.raw
    finally:
        t.close()
