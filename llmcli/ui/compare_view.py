"""Rendering a comparison: live side-by-side columns (stacked panels on a narrow terminal),
and the full replies (the measurements are in `compare_table.py`).

Works on the cells' live buffers (`CellState`: text, status, response, waited) and labels
only; it knows nothing about providers.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.live import Live

    from llmcli.compare.comparison import CellState
    from llmcli.environment import Environment

MIN_COLUMN = 28  # narrower than this, panels are stacked instead of side by side
WAIT_NOTICE_S = 0.05


class Grid:
    """Where each cell goes: rows are prompt variants, columns are models (or blind labels)."""

    def __init__(self, states: Sequence[CellState], row_labels: Sequence[str],
                 column_labels: Sequence[str], *, blind: bool = False):
        self.states = list(states)
        self.row_labels = list(row_labels)
        self.column_labels = list(column_labels)
        # A blind grid shows no figure that could tell the models apart (time, tokens, cost)
        self.blind = blind

    def current(self, row: int, column: int) -> CellState | None:
        """The run to show for a pair: the first one not finished, else the last."""
        runs = [s for s in self.states if s.cell.row == row and s.cell.column == column]
        if not runs:
            return None
        return next((s for s in runs if not s.done and s.status != "queued"),
                    next((s for s in runs if not s.done), runs[-1]))

    def first_run(self, row: int, column: int) -> CellState | None:
        return next((s for s in self.states
                     if s.cell.row == row and s.cell.column == column and s.cell.run == 0), None)

    def title(self, state: CellState) -> str:
        parts = [self.column_labels[state.cell.column]]
        if len(self.row_labels) > 1:
            parts.append(self.row_labels[state.cell.row])
        runs = len({s.cell.run for s in self.states})
        if runs > 1:
            parts.append(f"run {state.cell.run + 1}/{runs}")
        return " · ".join(parts)

    def side_by_side(self, width: int) -> bool:
        n = len(self.column_labels)
        return n > 1 and (width - (n - 1)) // n >= MIN_COLUMN


def status_line(state: CellState, blind: bool = False) -> str:
    """What a panel's subtitle says about its cell (blind: only whether it is done)."""
    r = state.response
    if blind:
        if r is None:
            return "queued" if state.status == "queued" else "writing"
        return "done" if r.status == "complete" else r.status
    if r is None:
        if state.status == "queued":
            return "queued"
        if state.status == "retrying":
            return state.note or "retrying"
        call = f"{state.note} · " if state.status == "running" and state.note else ""
        if not state.pieces:  # a multi-call cell's note says which call is running
            return call + "waiting for the first token"
        return call + f"{len(state.text.split())} words"
    if r.status == "error":
        return "error"
    bits = [r.status] if r.status != "complete" else []
    bits.append(f"{r.timings.total:.2f} s")
    if r.usage.output_tokens is not None:
        bits.append(f"{r.usage.output_tokens} tok")
    if state.waited >= WAIT_NOTICE_S:
        bits.append(f"waited {state.waited:.1f} s")
    return " · ".join(bits)


class CompareView:
    """The live region while cells stream; does nothing when stdout is not a terminal."""

    refresh_interval = 0.1

    def __init__(self, env: Environment, grid: Grid):
        self.env = env
        self.grid = grid
        self.live: Live | None = None
        self._seen = -1
        self._last = 0.0
        self._quiet: Any = None
        self._begun = False

    def start(self) -> None:
        self._begun = True
        if not self.env.stdout_isatty:
            return
        from contextlib import ExitStack

        from rich.live import Live

        from llmcli.ui.terminal import echo

        # keys typed while the replies stream would be echoed into the live region
        self._quiet = ExitStack()
        if self.env.stdin_isatty:
            self._quiet.enter_context(echo(False, self.env.stdin))  # type: ignore[arg-type]

        from llmcli.ui.console import stdout_console

        console = stdout_console(self.env)
        self.live = Live(console=console, auto_refresh=False, transient=True,
                         vertical_overflow="crop")
        self.live.start()
        self.refresh(force=True)

    def refresh(self, force: bool = False) -> None:
        if self.live is None and not self._begun:
            # Drawn from the first tick, once every model is warmed up: the local model's
            # first-use bar has the terminal to itself before that.
            self._begun = True
            self.start()
        if self.live is None:
            return
        version = sum(s.version for s in self.grid.states)
        now = time.monotonic()
        if not force and (version == self._seen or now - self._last < self.refresh_interval):
            return
        self._seen, self._last = version, now
        self.live.update(live_renderable(self.live.console, self.grid), refresh=True)

    def stop(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None
        if self._quiet is not None:
            self._quiet.close()
            self._quiet = None


def live_renderable(console: Console, grid: Grid) -> RenderableType:
    """Every pair's panel, showing only the last lines of its reply so the region fits."""
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    width = console.width
    height = max(8, console.height - 1)
    rows, cols = len(grid.row_labels), len(grid.column_labels)
    side = grid.side_by_side(width)
    panels_high = rows if side else rows * cols
    lines = max(1, height // max(1, panels_high) - 2)
    inner = ((width - (cols - 1)) // cols if side else width) - 4

    def wrapped(state: CellState | None) -> list[Text]:
        if state is None:
            return []
        body = Text(state.text or "…", style="" if state.pieces else "dim")
        if state.response is not None and state.response.status == "error":
            body = Text(state.response.error or "error", style="red")
        return list(body.wrap(console, max(8, inner), overflow="fold"))[-lines:]

    # Panels grow with their text up to the share of the screen they have; a row of side-by-side
    # panels is as tall as its tallest.
    texts = {(r, c): wrapped(grid.current(r, c)) for r in range(rows) for c in range(cols)}

    def panel(row: int, col: int) -> RenderableType:
        state = grid.current(row, col)
        if state is None:
            return Text("")
        tall = max(len(texts[(row, c)]) for c in range(cols)) if side else len(texts[(row, col)])
        body = Text("\n").join(texts[(row, col)])
        return Panel(body, title=grid.title(state), title_align="left",
                     subtitle=status_line(state, grid.blind), subtitle_align="right",
                     height=max(1, tall) + 2,
                     border_style=_border(state))

    if side:
        table = Table.grid(expand=True, padding=(0, 1, 0, 0))
        for _ in range(cols):
            table.add_column(ratio=1)
        for r in range(rows):
            table.add_row(*(panel(r, c) for c in range(cols)))
        return table
    from rich.console import Group

    return Group(*(panel(r, c) for r in range(rows) for c in range(cols)))


def _border(state: CellState) -> str:
    r = state.response
    if r is None:
        return "yellow" if state.status in ("queued", "retrying") else "blue"
    return {"complete": "green", "error": "red"}.get(r.status, "magenta")


def print_replies(env: Environment, grid: Grid) -> None:
    """The whole replies, once: side by side when they fit, else one after another.
    In a pipe: a '=== title ===' header before each reply."""
    states = [s for s in (grid.first_run(r, c) for r in range(len(grid.row_labels))
                          for c in range(len(grid.column_labels))) if s is not None]
    if not env.stdout_isatty:
        out = env.stdout
        for s in states:
            out.write(f"=== {grid.title(s)} ===\n")
            r = s.response
            text = r.text if r else s.text
            if text:
                out.write(text.rstrip("\n") + "\n")
            if r is not None and r.status != "complete":
                out.write(f"[{r.status}: {r.error}]\n" if r.error else f"[{r.status}]\n")
            out.write("\n")
        out.flush()
        return
    from rich.markdown import Markdown
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    from llmcli.ui.console import stdout_console

    console = stdout_console(env)

    def panel(s: CellState) -> Panel:
        r = s.response
        parts: list[Any] = []
        text = r.text if r else s.text
        if text:
            parts.append(Markdown(text))
        if r is not None and r.status != "complete":
            style = "red" if r.status == "error" else "magenta"
            parts.append(Text(r.error or r.status, style=style))
        from rich.console import Group

        return Panel(Group(*parts), title=grid.title(s), title_align="left",
                     subtitle=status_line(s, grid.blind), subtitle_align="right",
                     border_style=_border(s))

    cols = len(grid.column_labels)
    if grid.side_by_side(console.width):
        for r in range(len(grid.row_labels)):
            table = Table.grid(expand=True, padding=(0, 1, 0, 0))
            for _ in range(cols):
                table.add_column(ratio=1)
            row = [grid.first_run(r, c) for c in range(cols)]
            table.add_row(*(panel(s) if s else Text("") for s in row))
            console.print(table)
    else:
        for s in states:
            console.print(panel(s))
