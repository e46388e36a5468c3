"""The full-screen tour in a real pseudo-terminal (pexpect), read through a terminal emulator
(pyte): next/back/scroll keys at 80x20, a resize to a large terminal, and quitting."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

import pexpect
import pyte
import pytest

from llmcli.learn.texts_en import STEPS as EN
from llmcli.learn.texts_pt import STEPS as PT
from tests.conftest import ROOT
from tests.learn.conftest import SENTENCE

RIGHT, LEFT, DOWN = "\x1b[C", "\x1b[D", "\x1b[B"


class Screen:
    def __init__(self, *args: str, rows: int, cols: int, lang: str = "en"):
        env = dict(os.environ, TERM="xterm-256color", LANG="pt_BR.UTF-8" if lang == "pt"
                   else "en_US.UTF-8")
        env.pop("LC_ALL", None)
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.child = pexpect.spawn(sys.executable, ["-m", "llmcli", "learn", *args], env=env,
                                   cwd=str(ROOT), dimensions=(rows, cols), timeout=120)
        self.screen.write_process_input = lambda data: self.child.send(data)

    def pump(self) -> bool:
        try:
            self.stream.feed(self.child.read_nonblocking(65536, timeout=0.1))
        except pexpect.TIMEOUT:
            pass
        except pexpect.EOF:
            return False
        return True

    def text(self) -> str:
        return "\n".join(self.screen.display)

    def wait(self, ok: Callable[[str], bool], what: str, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            alive = self.pump()
            if ok(self.text()):
                return self.text()
            if not alive:
                break
        raise AssertionError(f"never saw {what}; screen:\n{self.text()}")

    def key(self, data: str) -> None:
        self.child.send(data)

    def resize(self, rows: int, cols: int) -> None:
        self.screen.resize(rows, cols)
        self.child.setwinsize(rows, cols)


def title(texts: dict, name: str) -> str:
    return texts[name]["title"].split("{")[0].strip()


@pytest.fixture
def tour_screen():
    screens: list[Screen] = []

    def start(*args: str, **kw) -> Screen:
        s = Screen(*args, **kw)
        screens.append(s)
        return s

    yield start
    for s in screens:
        s.child.close(force=True)


def test_next_back_scroll_and_quit_at_80x20(tour_screen):
    s = tour_screen(SENTENCE, rows=20, cols=80)
    screen = s.wait(lambda t: title(EN, "tokens") in t, "the first step")
    lines = screen.split("\n")
    assert len(lines) == 20 and all(len(line) <= 80 for line in lines)
    assert "step 1 of 13" in lines[-1] and "→/n next" in lines[-1]
    s.key(RIGHT)
    s.wait(lambda t: title(EN, "embedding") in t and "step 2 of 13" in t, "step 2")
    s.key("n")
    s.wait(lambda t: title(EN, "rope") in t, "step 3")
    s.key(LEFT)
    s.wait(lambda t: title(EN, "embedding") in t, "back to step 2")
    # Scrolling moves the text up by one line per key, within the step.
    before = s.text().split("\n")
    s.key(DOWN)
    s.wait(lambda t: t.split("\n")[0] == before[1], "one line scrolled")
    s.key("q")
    s.child.expect(pexpect.EOF, timeout=30)
    s.child.close()
    assert s.child.exitstatus == 0


def test_resize_to_a_large_terminal_redraws_wider(tour_screen):
    s = tour_screen(SENTENCE, "--step", "attention", rows=20, cols=80, lang="pt")
    s.wait(lambda t: title(PT, "attention") in t and "passo 4 de 13" in t, "the attention step")
    s.resize(50, 160)
    s.key("k")  # any key: the redraw after the resize is what we look at
    screen = s.wait(lambda t: any(len(line.rstrip()) > 100 for line in t.split("\n"))
                    and "passo 4 de 13" in t.split("\n")[49],
                    "wide lines and the status bar at the bottom after the resize")
    assert "Scores da consulta escolhida" in screen  # the table fits on the tall screen
    s.key("g")
    s.wait(lambda t: "codificação posicional" in t, "the glossary")
    s.key("q")
    s.child.expect(pexpect.EOF, timeout=30)
