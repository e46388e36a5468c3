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


class TrimWriter:
    """Passes pieces on without the reply's leading and trailing whitespace (a completion that
    fills in 'Output:' starts with a space and ends at the next example's newline)."""

    def __init__(self, inner: ReplyWriter):
        self.inner = inner
        self._started = False
        self._held = ""

    def start(self) -> None:
        self.inner.start()

    def write(self, piece: str) -> None:
        if not self._started:
            piece = piece.lstrip()
            self._started = bool(piece)
        text = self._held + piece
        body = text.rstrip()
        self._held = text[len(body):]
        if body:
            self.inner.write(body)

    def finish(self, interrupted: bool = False) -> None:
        self.inner.finish(interrupted)


_FENCE = re.compile(r"^\s*(```|~~~)", re.MULTILINE)


class MarkdownWriter:
    """Live Markdown in a terminal without the '...' of an overflowing Live region.

    Finished blocks (text before the last blank line outside a code fence) are printed once,
    permanently, above the live region; only the block still being written is re-rendered. So
    a reply taller than the screen scrolls like normal output. Refreshes are spaced by at least
    ten times the last render's cost, so a long open block never makes rendering, rather than
    the provider, the limit on a fast stream.

    The live region never grows taller than the terminal: a block taller than the screen is
    shown by its last lines (under a dim marker) and printed whole once it is finished. A live
    region that overflows the screen cannot be erased, and every redraw would leave a partial
    copy of the reply in the scrollback.
    """

    min_interval = 0.06

    def __init__(self, console: Console, code_theme: str = "monokai"):
        self.console = console
        self.code_theme = code_theme
        self._parts: list[str] = []
        self._text = ""
        self.committed = 0
        self._fences_committed = 0  # code fences in the committed text
        self.live: Live | None = None
        self._next_refresh = 0.0

    @property
    def text(self) -> str:
        if self._parts:  # joined lazily: appending to one long str on every piece is quadratic
            self._text += "".join(self._parts)
            self._parts.clear()
        return self._text

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
        self._parts.append(piece)
        now = time.monotonic()
        if now >= self._next_refresh:
            self._commit_finished_blocks()
            self._refresh()
            cost = time.monotonic() - now
            self._next_refresh = time.monotonic() + max(self.min_interval, 10 * cost)

    def finish(self, interrupted: bool = False) -> None:
        if self.live is None:
            return
        self._commit_finished_blocks()
        tail = self.text[self.committed :]
        self.live.update("", refresh=True)
        if tail.strip():
            self.live.console.print(self._markdown(tail))
        self.live.stop()
        self.live = None

    def _commit_finished_blocks(self) -> None:
        cut = self._safe_cut()
        if cut > self.committed and self.live is not None:
            block = self.text[self.committed : cut]
            self._fences_committed += len(_FENCE.findall(block))
            self.committed = cut
            self.live.update("", refresh=False)
            if block.strip():
                self.live.console.print(self._markdown(block))

    def _safe_cut(self) -> int:
        """End of the last paragraph break that is not inside a fenced code block."""
        text = self.text
        pos = text.rfind("\n\n", self.committed)
        while pos != -1:
            fences = self._fences_committed + len(_FENCE.findall(text, self.committed, pos))
            if fences % 2 == 0:
                return pos + 2
            pos = text.rfind("\n\n", self.committed, pos)
        return self.committed

    def _refresh(self) -> None:
        if self.live is not None:
            tail = self.text[self.committed :]
            self.live.update(_Tail(self._markdown(tail)), refresh=True)

    def _markdown(self, text: str):
        from rich.markdown import Markdown

        return Markdown(text, code_theme=self.code_theme)


class _Tail:
    """The last lines of a renderable that fit the terminal (all of it when it fits)."""

    def __init__(self, renderable):
        self.renderable = renderable

    def __rich_console__(self, console, options):
        from rich.segment import Segment
        from rich.text import Text

        room = max(2, console.size.height - 1)  # one row for the cursor below the region
        lines = console.render_lines(self.renderable, options, pad=False, new_lines=False)
        if len(lines) > room:
            hidden = len(lines) - room + 1
            yield Text(f"⋮ {hidden} more lines above", style="dim", no_wrap=True, overflow="crop")
            lines = lines[hidden:]
        for line in lines:
            yield from line
            yield Segment.line()


def reply_writer(env: Environment, *, markdown: bool) -> ReplyWriter:
    """Markdown in a terminal (unless asked otherwise), plain text in a pipe."""
    if markdown and env.stdout_isatty:
        from llmcli.ui.console import stdout_console

        return MarkdownWriter(stdout_console(env))
    return PlainWriter(env)
