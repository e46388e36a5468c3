"""`llmcli explore` full screen, driven through a pseudo-terminal on the real model.

pexpect runs the command in a pty of a given size; pyte plays the terminal, so the assertions
read the screen a user would see: next, pick a candidate that is not the top one, undo,
branch, compare side by side, quit; at 80x20 and at 50x160, in English and Portuguese.
"""

from __future__ import annotations

import copy
import os
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pexpect
import pyte
import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
PROMPT = "The capital of France is"


class AltScreen(pyte.Screen):
    """pyte with the alternate screen (private mode 1049, as xterm and tmux have it): what a
    full-screen program draws there is gone when it leaves, and the screen it found comes back.
    Plain pyte ignores the mode, so a full screen's last frame would seem to stay."""

    ALT = 1049

    def set_mode(self, *modes: int, **kwargs: Any) -> None:
        if kwargs.get("private") and self.ALT in modes:
            self._saved = (copy.deepcopy(self.buffer), copy.copy(self.cursor))
            self.erase_in_display(2)
            modes = tuple(m for m in modes if m != self.ALT)
        super().set_mode(*modes, **kwargs)

    def reset_mode(self, *modes: int, **kwargs: Any) -> None:
        if kwargs.get("private") and self.ALT in modes and getattr(self, "_saved", None):
            buffer, self.cursor = self._saved
            self.buffer.clear()
            self.buffer.update(buffer)
            self.dirty.update(range(self.lines))
            self._saved = None
            modes = tuple(m for m in modes if m != self.ALT)
        super().reset_mode(*modes, **kwargs)


class Screen:
    def __init__(self, *args: str, rows: int, cols: int, lang: str = "en_US.UTF-8"):
        env = dict(os.environ, TERM="xterm-256color", LANG=lang, LC_ALL=lang)
        self.screen = AltScreen(cols, rows)
        self.stream = pyte.Stream(self.screen)
        self.child = pexpect.spawn(sys.executable, ["-m", "llmcli", "explore", *args], env=env,
                                   cwd=str(ROOT), dimensions=(rows, cols), encoding="utf-8",
                                   codec_errors="replace", timeout=60)
        self.screen.write_process_input = lambda data: self.child.send(data)

    def pump(self, wait: float = 0.05) -> bool:
        try:
            self.stream.feed(self.child.read_nonblocking(65536, timeout=wait))
        except pexpect.TIMEOUT:
            return True
        except pexpect.EOF:
            return False
        return True

    def text(self) -> str:
        return "\n".join(line.rstrip() for line in self.screen.display)

    def wait(self, check: Callable[[str], bool], what: str, timeout: float = 90) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.text()
            if check(screen):
                self.settle()
                return self.text()
            if time.monotonic() > deadline or not self.pump():
                raise AssertionError(f"no {what} on screen:\n{screen}")

    def settle(self) -> None:
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < 0.3:
            before = self.text()
            if not self.pump(0.1):
                return
            if self.text() != before:
                quiet_since = time.monotonic()

    def press(self, keys: str) -> None:
        self.child.send(keys)

    def close(self) -> int:
        self.child.expect(pexpect.EOF, timeout=30)
        self.child.close()
        return self.child.exitstatus if self.child.exitstatus is not None else -1


def candidates(screen: str) -> dict[int, str]:
    """Candidate number -> its piece, as drawn."""
    return {int(m[1]): m[2] for m in re.finditer(r"^\s*(\d+)\s{2}(\S+)\s", screen, re.M)}


def message(screen: str, start: str) -> str:
    return next((line for line in screen.splitlines() if line.startswith(start)), "")


@pytest.mark.parametrize(("rows", "cols"), [(20, 80), (50, 160)])
def test_next_pick_undo_branch_compare(rows: int, cols: int) -> None:
    term = Screen(PROMPT, "--seed", "3", "-n", "6", rows=rows, cols=cols)
    try:
        first = term.wait(lambda s: "entropy" in s and "q quit" in s, "first step")
        lines = [line.rstrip() for line in term.screen.display]
        assert len(lines) == rows and all(len(line) <= cols for line in lines)
        assert "llmcli explore" in lines[0] and "seed 3" in lines[0]
        assert PROMPT in first
        assert len(candidates(first)) >= (4 if rows == 20 else 6)

        term.press("n")
        after_next = term.wait(lambda s: "(sampled" in s, "the sampled token")
        taken = message(after_next, "+ ").split(" (")[0][2:]
        assert taken.lstrip("▁") in after_next.split("\n", 3)[1] + after_next  # in the text

        shown = candidates(after_next)
        term.press("3")
        picked = term.wait(lambda s: "(picked" in s, "the picked token")
        line = message(picked, "+ ")
        assert line.startswith(f"+ {shown[3]} (picked") and "rank 3)" in line

        term.press("u")
        undone = term.wait(lambda s: "undone:" in s, "undo")
        assert message(undone, "undone:") == f"undone: {shown[3]}"
        assert candidates(undone) == shown  # back at the same distribution

        term.press("b")
        term.wait(lambda s: "branch name:" in s, "the branch prompt")
        term.press("alpha\r")
        term.wait(lambda s: "saved branch 'alpha' (1 tokens)" in s, "the first branch")
        term.press("2")
        term.wait(lambda s: "(picked" in s, "a second pick")
        term.press("b")
        term.wait(lambda s: "branch name:" in s, "the branch prompt")
        term.press("beta\r")
        term.wait(lambda s: "saved branch 'beta' (2 tokens)" in s, "the second branch")

        term.press("c")
        compared = term.wait(lambda s: "branches side by side" in s, "the comparison")
        header = next(line for line in compared.splitlines() if line.startswith("alpha"))
        assert "│" in header and "beta (current)" in header  # side by side
        assert "differs from token 2" in compared
        assert "any key: back" in compared
        term.press("x")
        back = term.wait(lambda s: "entropy" in s, "the candidates again")
        assert "branches side by side" not in back

        term.press("q")
        assert term.close() == 0
    finally:
        if term.child.isalive():
            term.child.terminate(force=True)


def test_portuguese_from_the_locale_and_typed_text() -> None:
    term = Screen("O gato subiu no", "--seed", "1", rows=20, cols=80, lang="pt_BR.UTF-8")
    try:
        first = term.wait(lambda s: "entropia" in s, "the first step in Portuguese")
        assert "q sair" in first and "próximo token" in first
        term.press("t")
        term.wait(lambda s: "texto a acrescentar:" in s, "the text prompt")
        term.press(" telhado 🐱\r")
        typed = term.wait(lambda s: "(digitado" in s, "typed tokens")
        assert "O gato subiu no telhado 🐱" in typed.replace("\n", "")
        term.press("\x03")
        assert term.close() == 130
    finally:
        if term.child.isalive():
            term.child.terminate(force=True)


@pytest.mark.parametrize(("rows", "cols"), [(20, 80), (45, 160)])
def test_quitting_leaves_the_text_and_the_last_candidates(rows: int, cols: int) -> None:
    """The full screen goes with the alternate screen; what stays is the same at any size."""
    term = Screen(PROMPT, "--seed", "3", "-n", "6", rows=rows, cols=cols)
    try:
        term.wait(lambda s: "entropy" in s and "q quit" in s, "first step")
        term.press("n")
        drawn = term.wait(lambda s: "(sampled" in s, "the sampled token")
        shown = candidates(drawn)
        term.press("q")
        deadline = time.monotonic() + 30
        while term.pump(0.2) and time.monotonic() < deadline:  # everything up to the exit
            pass
        assert term.close() == 0
        left = term.text()
        lines = [line for line in left.splitlines() if line]
        assert lines, "quitting left nothing in the terminal"
        assert lines[0] == "llmcli explore · local:gemma-3-270m · temperature 1, no filters " \
            "· seed 3"
        text = lines[1]
        assert text.startswith(PROMPT) and len(text) > len(PROMPT)  # the generated token too
        assert lines[2].startswith("next token · entropy")
        assert candidates(left) == shown  # the last step's table, as it was drawn
        assert "← sampled" in left
        assert "q quit" not in left and "(sampled" not in left  # nothing of the full screen
        assert len(lines) == 3 + len(shown) + ("→" in left)
    finally:
        if term.child.isalive():
            term.child.terminate(force=True)
