"""Rendering a comparison: live side-by-side columns (stacked panels on a narrow terminal),
the full replies, and the table of measurements with a marker where a cell waited.

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
                 column_labels: Sequence[str]):
        self.states = list(states)
        self.row_labels = list(row_labels)
        self.column_labels = list(column_labels)

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


def status_line(state: CellState) -> str:
    """What a panel's subtitle says about its cell."""
    r = state.response
    if r is None:
        if state.status == "queued":
            return "queued"
        if state.status == "retrying":
            return state.note or "retrying"
        if not state.pieces:
            return "waiting for the first token"
        return f"{len(state.text.split())} words"
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

    def start(self) -> None:
        if not self.env.stdout_isatty:
            return
        from rich.live import Live

        from llmcli.ui.console import stdout_console

        console = stdout_console(self.env)
        self.live = Live(console=console, auto_refresh=False, transient=True,
                         vertical_overflow="crop")
        self.live.start()
        self.refresh(force=True)

    def refresh(self, force: bool = False) -> None:
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
                     subtitle=status_line(state), subtitle_align="right", height=max(1, tall) + 2,
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
                     subtitle=status_line(s), subtitle_align="right", border_style=_border(s))

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


# -- measurements -----------------------------------------------------------------------------

COLUMNS = ["model", "prompt", "ttft", "total", "in", "out", "tok/s", "cost", "finish", "waited"]


def fmt_s(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f} s"


def fmt_cost(v: float | None) -> str:
    if v is None:
        return "-"
    return "$0" if v == 0 else f"${v:.6f}"


def fmt_num(v: float | int | None, digits: int = 1) -> str:
    if v is None:
        return "-"
    return str(v) if isinstance(v, int) else f"{v:.{digits}f}"


def waited_text(state: CellState) -> str:
    """'-' when the cell went straight through; else how long, and why."""
    if state.waited < WAIT_NOTICE_S:
        return "-"
    why = []
    if state.held >= WAIT_NOTICE_S:
        why.append(f"queued {state.held:.1f} s")
    if state.backoff >= WAIT_NOTICE_S:
        why.append(f"{state.backoff_cause or 'retry'} {state.backoff:.1f} s")
    return ", ".join(why) or f"{state.waited:.1f} s"


PLAIN_COLUMNS = ["model", "prompt", "ttft_s", "total_s", "in", "out", "tok_s", "cost_usd",
                 "finish", "waited"]


def measurement_rows(grid: Grid, *, plain: bool = False) -> list[list[str]]:
    """One row per cell; `plain` gives bare numbers (seconds, USD) for a pipe."""
    secs = (lambda v: "-" if v is None else f"{v:.3f}") if plain else fmt_s
    cost = (lambda v: "-" if v is None else f"{v:.8f}") if plain else fmt_cost
    rows = []
    for s in grid.states:
        r = s.response
        finish = "-"
        if r is not None:
            finish = r.finish_reason or "-"
            if r.status == "error":
                finish = f"error: {r.error}"
            elif r.status == "interrupted":
                finish = "interrupted"
        title = grid.column_labels[s.cell.column]
        prompt = grid.row_labels[s.cell.row] + (f" #{s.cell.run + 1}" if _runs(grid) > 1 else "")
        rows.append([
            title, prompt,
            secs(r.timings.ttft if r else None), secs(r.timings.total if r else None),
            fmt_num(r.usage.input_tokens if r else None),
            fmt_num(r.usage.output_tokens if r else None),
            fmt_num(s.tokens_per_second), cost(r.cost if r else None),
            finish, waited_text(s),
        ])
        if _schema(grid):
            rows[-1].append("-" if s.valid is None else ("yes" if s.valid else "no"))
    return rows


def _schema(grid: Grid) -> bool:
    """--schema was given: the table gets a 'valid' column."""
    return any(s.request is not None and s.request.json_schema is not None for s in grid.states)


def _columns(grid: Grid, base: Sequence[str]) -> list[str]:
    return [*base, "valid"] if _schema(grid) else list(base)


def _runs(grid: Grid) -> int:
    return len({s.cell.run for s in grid.states})


def print_measurements(env: Environment, grid: Grid, *, title: str | None = None) -> None:
    """One row per cell (a card per cell on a narrow terminal); TSV with bare numbers in a
    pipe."""
    plain = not env.stdout_isatty
    rows = measurement_rows(grid, plain=plain)
    cols = _columns(grid, PLAIN_COLUMNS if plain else COLUMNS)
    if len(grid.row_labels) == 1 and _runs(grid) == 1:
        cols.remove("prompt")
        rows = [r[:1] + r[2:] for r in rows]
    if not env.stdout_isatty:
        from llmcli.ui.tables import print_table

        print_table(env, cols, rows)
        return
    from llmcli.ui.console import stdout_console

    console = stdout_console(env)
    print_rows(console, cols, rows, title=title)
    if any(s.waited >= WAIT_NOTICE_S for s in grid.states):
        console.print("[dim]waited: held back by the per-provider concurrency limit (queued) "
                      "or backing off before a retry (its cause: rate limit, server error, "
                      "timeout)[/dim]")


NUMERIC = ("ttft", "total", "in", "out", "tok/s", "cost", "runs", "ttft s", "total s", "#", "elo",
           "votes", "wins", "ties", "losses")


def print_rows(console: Console, cols: Sequence[str], rows: Sequence[Sequence[str]], *,
               title: str | None = None) -> None:
    """A table when it fits the terminal without folding; else one card per row, titled by
    its first column."""
    from rich.panel import Panel
    from rich.table import Table

    table = Table(title=title, header_style="bold", expand=False)
    for name in cols:
        table.add_column(name, justify="right" if name in NUMERIC else "left", no_wrap=True)
    for row in rows:
        table.add_row(*(_styled(n, v) for n, v in zip(cols, row, strict=True)))
    from rich.measure import Measurement

    natural = Measurement.get(console, console.options.update_width(10_000), table).maximum
    if natural <= console.width:
        console.print(table)
        return
    if title:
        console.print(f"[italic]{title}[/italic]")
    for row in rows:
        card = Table.grid(padding=(0, 1))
        card.add_column(style="bold", no_wrap=True)
        card.add_column(overflow="fold")
        for name, value in zip(cols[1:], row[1:], strict=True):
            card.add_row(name, _styled(name, value))
        console.print(Panel(card, title=row[0], title_align="left", expand=False))


def _styled(name: str, value: str) -> Any:
    from rich.text import Text

    if name == "finish" and value.startswith("error"):
        return Text(value, style="red")
    if name == "finish" and value == "interrupted":
        return Text(value, style="magenta")
    if name == "waited" and value != "-":
        return Text("⏳ " + value, style="yellow")
    return value


def markdown_report(grid: Grid) -> str:
    """A Markdown table of measurements, then each reply under its own heading."""
    rows = measurement_rows(grid)
    cols = _columns(grid, COLUMNS)
    if len(grid.row_labels) == 1 and _runs(grid) == 1:
        cols.remove("prompt")
        rows = [r[:1] + r[2:] for r in rows]

    def cell(v: str) -> str:
        return v.replace("|", "\\|").replace("\n", " ")

    numeric = ("ttft", "total", "in", "out", "tok/s", "cost")
    lines = ["| " + " | ".join(cols) + " |",
             "|" + "|".join("---:" if c in numeric else "---" for c in cols) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    for s in grid.states:
        text = s.response.text if s.response else s.text
        lines += ["", f"### {grid.title(s)}", "", text.strip() or "_(no reply)_"]
    return "\n".join(lines) + "\n"
