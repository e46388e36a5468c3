"""Writers for a streaming reply: plain text for pipes, live Markdown for terminals."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from rich.console import Console
    from rich.live import Live

    from llmcli.environment import Environment


class ReplyWriter(Protocol):
    def start(self) -> None: ...
    def write(self, piece: str) -> None: ...
    def finish(self, interrupted: bool = False) -> None: ...


class PlainWriter:
    """Writes each piece as it arrives, nothing else on stdout; ends with one newline."""

    def __init__(self, env: Environment):
        self.out = env.stdout
        self.last = ""

    def start(self) -> None:
        pass

    def write(self, piece: str) -> None:
        self.out.write(piece)
        self.out.flush()
        self.last = piece

    def finish(self, interrupted: bool = False) -> None:
        if self.last and not self.last.endswith("\n"):
            self.out.write("\n")
        self.out.flush()


class NullWriter:
    """Shows nothing (for --json and --no-stream, which print at the end)."""

    def start(self) -> None:
        pass

    def write(self, piece: str) -> None:
        pass

    def finish(self, interrupted: bool = False) -> None:
        pass


_FENCE = re.compile(r"^\s*(```|~~~)", re.MULTILINE)


class MarkdownWriter:
    """Live Markdown in a terminal without the '...' of an overflowing Live region.

    Finished blocks (text before the last blank line outside a code fence) are printed once,
    permanently, above the live region; only the block still being written is re-rendered. So
    a reply taller than the screen scrolls like normal output, and each refresh costs only the
    size of the open block.
    """

    refresh_interval = 0.06

    def __init__(self, console: Console, code_theme: str = "monokai"):
        self.console = console
        self.code_theme = code_theme
        self.text = ""
        self.committed = 0
        self.live: Live | None = None
        self._last_refresh = 0.0

    def start(self) -> None:
        from rich.live import Live

        self.live = Live(
            console=self.console,
            auto_refresh=False,
            vertical_overflow="visible",
            transient=False,
        )
        self.live.start()

    def write(self, piece: str) -> None:
        self.text += piece
        now = time.monotonic()
        if now - self._last_refresh >= self.refresh_interval:
            self._last_refresh = now
            self._commit_finished_blocks()
            self._refresh()

    def finish(self, interrupted: bool = False) -> None:
        if self.live is None:
            return
        self._commit_finished_blocks()
        tail = self.text[self.committed :]
        self.live.update(self._markdown(tail) if tail.strip() else "", refresh=True)
        self.live.stop()
        self.live = None

    def _commit_finished_blocks(self) -> None:
        cut = self._safe_cut()
        if cut > self.committed and self.live is not None:
            block = self.text[self.committed : cut]
            self.committed = cut
            self.live.update("", refresh=False)
            if block.strip():
                self.live.console.print(self._markdown(block))

    def _safe_cut(self) -> int:
        """End of the last paragraph break that is not inside a fenced code block."""
        pos = self.text.rfind("\n\n", self.committed)
        while pos != -1:
            fences = len(_FENCE.findall(self.text, 0, pos))
            if fences % 2 == 0:
                return pos + 2
            pos = self.text.rfind("\n\n", self.committed, pos)
        return self.committed

    def _refresh(self) -> None:
        if self.live is not None:
            tail = self.text[self.committed :]
            self.live.update(self._markdown(tail), refresh=True)

    def _markdown(self, text: str):
        from rich.markdown import Markdown

        return Markdown(text, code_theme=self.code_theme)


def reply_writer(env: Environment, *, markdown: bool) -> ReplyWriter:
    """Markdown in a terminal (unless asked otherwise), plain text in a pipe."""
    if markdown and env.stdout_isatty:
        from llmcli.ui.console import stdout_console

        return MarkdownWriter(stdout_console(env))
    return PlainWriter(env)
