"""Drive `python -m llmcli chat` in a pseudo-terminal and read the screen it draws.

pexpect gives the pty; pyte emulates the terminal on the other side, so tests assert on what
a user would see (wrapped lines, the status line, partial replies) and the REPL's cursor
position requests get real answers, as from a real terminal.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pexpect
import pyte

ROOT = Path(__file__).resolve().parents[2]
PROMPT_START = "\x1b[?2004h"  # prompt_toolkit turns bracketed paste on as each prompt starts
_ANSI = re.compile(r"\x1b(\[[0-9;?]*[ -/]*[@-~]|\][^\x07]*\x07|[()][0-9A-Za-z]|[=>NOPM78c])")

ENTER = "\r"
CTRL_C = "\x03"
CTRL_D = "\x04"
ESC_ENTER = "\x1b\r"
F2 = "\x1bOQ"
UP = "\x1b[A"
TAB = "\t"


def paste(text: str) -> str:
    """Text as a terminal delivers a paste when bracketed-paste mode is on."""
    return f"\x1b[200~{text}\x1b[201~"


class Term:
    def __init__(
        self, *args: str, env: dict[str, str] | None = None, rows: int = 24, cols: int = 80,
        timeout: float = 20.0, command: str = "chat",
    ):
        environ = dict(os.environ)
        environ.update(env or {})
        environ.setdefault("TERM", "xterm-256color")
        environ.pop("PROMPT_TOOLKIT_NO_CPR", None)
        self.timeout = timeout
        self.screen = pyte.HistoryScreen(cols, rows, history=5000)
        self.stream = pyte.Stream(self.screen)
        self.raw = ""
        self.prompts = 0  # prompts seen so far
        self._waited_prompts = 0
        self.child = pexpect.spawn(
            sys.executable, ["-m", "llmcli", *command.split(), *args], env=environ, cwd=str(ROOT),
            dimensions=(rows, cols), encoding="utf-8", codec_errors="replace", timeout=timeout,
        )
        self.screen.write_process_input = self._answer  # cursor position reports and the like

    def _answer(self, data: str) -> None:
        if self.child.isalive():
            self.child.send(data)

    # -- reading ------------------------------------------------------------------------------
    def pump(self, wait: float = 0.05) -> bool:
        """Read whatever the child wrote (up to `wait` s); False at end of file."""
        try:
            data = self.child.read_nonblocking(65536, timeout=wait)
        except pexpect.TIMEOUT:
            return True
        except pexpect.EOF:
            return False
        self.raw += data
        self.prompts += data.count(PROMPT_START)
        self.stream.feed(data)
        return True

    def wait(self, predicate: Callable[[], bool], what: str, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (timeout or self.timeout)
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}\n--- screen ---\n{self.text()}")
            if not self.pump() and not predicate():
                raise AssertionError(f"the chat exited while waiting for {what}\n{self.text()}")

    def expect_prompt(self, timeout: float | None = None) -> None:
        """Wait for the next prompt to be drawn (and the screen to settle)."""
        target = self._waited_prompts + 1
        self.wait(lambda: self.prompts >= target, "the prompt", timeout)
        self._waited_prompts = self.prompts
        self.settle()

    def expect(self, text: str, timeout: float | None = None) -> None:
        """Wait until `text` is on the screen (or in its scrollback)."""
        self.wait(lambda: text in self.text(), repr(text), timeout)

    def settle(self, quiet: float = 0.15) -> None:
        """Read until the child has been silent for `quiet` seconds."""
        while True:
            before = len(self.raw)
            if not self.pump(quiet) or len(self.raw) == before:
                return

    def lines(self) -> list[str]:
        history = ["".join(ch.data for ch in line.values()).rstrip() if isinstance(line, dict)
                   else "".join(line[x].data for x in sorted(line)).rstrip()
                   for line in self.screen.history.top]
        return history + [line.rstrip() for line in self.screen.display]

    def unwrapped(self) -> str:
        """The screen with soft-wrapped rows joined back and runs of spaces collapsed."""
        cols = self.screen.columns
        rows = ["".join(line[x].data for x in range(cols)) for line in self.screen.history.top]
        rows += [line.ljust(cols) for line in self.screen.display]
        return " ".join("".join(rows).split())

    def text(self) -> str:
        return "\n".join(self.lines())

    def plain(self) -> str:
        """Everything the child wrote, escape sequences removed."""
        return _ANSI.sub("", self.raw)

    # -- writing ------------------------------------------------------------------------------
    def send(self, keys: str) -> None:
        self.child.send(keys)

    def line(self, text: str) -> None:
        """Type a line and press Enter."""
        self.child.send(text)
        self.child.send(ENTER)

    def resize(self, rows: int, cols: int) -> None:
        self.screen.resize(rows, cols)
        self.child.setwinsize(rows, cols)

    def exit_code(self, timeout: float | None = None) -> int:
        deadline = time.monotonic() + (timeout or self.timeout)
        while self.child.isalive() and time.monotonic() < deadline:
            self.pump(0.1)
        while self.pump(0.05):
            pass
        self.child.close()
        if self.child.exitstatus is not None:
            return self.child.exitstatus
        return -(self.child.signalstatus or 0)

    def close(self) -> None:
        if self.child.isalive():
            self.child.terminate(force=True)
        self.child.close()
