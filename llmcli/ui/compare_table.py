"""A comparison's measurements: one row per cell (a table that keeps one row per model in a
narrow terminal, cards only as a last resort), TSV in a pipe, and the Markdown report.

Works on the cells' live buffers and labels of `compare_view.Grid`; knows nothing about
providers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from llmcli.core.numbers import seconds_bare, usd, usd_bare
from llmcli.ui.compare_view import WAIT_NOTICE_S, Grid

if TYPE_CHECKING:
    from rich.console import Console

    from llmcli.compare.comparison import CellState
    from llmcli.environment import Environment


COLUMNS = ["model", "prompt", "ttft", "total", "in", "out", "tok/s", "cost", "finish", "waited"]


def fmt_s(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f} s"


def fmt_cost(v: float | None) -> str:
    return usd(v)


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
    # Neither a limit nor a retry: the time was the pool's own start-up, not worth a mark.
    return ", ".join(why) or "-"


PLAIN_COLUMNS = ["model", "prompt", "ttft_s", "total_s", "in", "out", "tok_s", "cost_usd",
                 "finish", "waited"]


def has_reasoning(grid: Grid) -> bool:
    """Whether any cell reported reasoning tokens: only then is there a `reason` column."""
    return any(s.response is not None and s.response.usage.reasoning_tokens is not None
               for s in grid.states)


def columns(grid: Grid, *, plain: bool = False) -> list[str]:
    """The measurement columns for this grid (`reason`: reasoning tokens, part of `out`)."""
    cols = list(PLAIN_COLUMNS if plain else COLUMNS)
    if has_reasoning(grid):
        cols.insert(cols.index("out") + 1, "reason")
    if has_schema(grid):
        cols.append("valid")
    return cols


def has_schema(grid: Grid) -> bool:
    """--schema was given: the table gets a 'valid' column."""
    return any(s.request is not None and s.request.json_schema is not None for s in grid.states)


def measurement_rows(grid: Grid, *, plain: bool = False) -> list[list[str]]:
    """One row per cell; `plain` gives bare numbers (seconds, USD) for a pipe. A cell
    answered from the log (--cache) says so in its finish column."""
    secs = seconds_bare if plain else fmt_s
    cost = usd_bare if plain else fmt_cost
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
            if r.cached:
                finish += " (cached)"
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
        if has_reasoning(grid):
            rows[-1].insert(6, fmt_num(r.usage.reasoning_tokens if r else None))
        if has_schema(grid):
            rows[-1].append("-" if s.valid is None else ("yes" if s.valid else "no"))
    return rows


def _runs(grid: Grid) -> int:
    return len({s.cell.run for s in grid.states})


def print_measurements(env: Environment, grid: Grid, *, title: str | None = None) -> None:
    """One row per cell (a card per cell on a narrow terminal); TSV with bare numbers in a
    pipe."""
    plain = not env.stdout_isatty
    rows = measurement_rows(grid, plain=plain)
    cols = columns(grid, plain=plain)
    if len(grid.row_labels) == 1 and _runs(grid) == 1:
        cols.remove("prompt")
        rows = [r[:1] + r[2:] for r in rows]
    if not env.stdout_isatty:
        from llmcli.ui.tables import print_table

        print_table(env, cols, rows)
        return
    from llmcli.ui.console import stdout_console

    console = stdout_console(env)
    dropped = print_fitted(console, cols, rows, title=title)
    notes = []
    if "waited" in cols and any(s.held >= WAIT_NOTICE_S for s in grid.states):
        notes.append("queued: held back by the per-provider concurrency limit (-j/--jobs or "
                     "[providers.X] concurrency)")
    if "waited" in cols and any(s.backoff >= WAIT_NOTICE_S for s in grid.states):
        notes.append("waited: backing off before a retry (its cause: rate limit, server "
                     "error, timeout)")
    if dropped:
        notes.append(dropped_note(console, dropped))
    for note in notes:
        console.print(note, style="dim", markup=False, highlight=False)


def print_fitted(console: Console, cols: Sequence[str], rows: Sequence[Sequence[str]], *,
                 title: str | None = None) -> list[str]:
    """The table one row per model as `fit_columns` makes it (cards if it still does not
    fit); returns the names of the columns left out."""
    cols, rows, dropped = fit_columns(console, cols, rows)
    print_rows(console, cols, rows, title=title)
    return dropped


def dropped_note(console: Console, dropped: Sequence[str]) -> str:
    return (f"left out to fit {console.width} columns: {', '.join(dropped)} "
            "(--json has every figure)")


# Which columns go first when the table is wider than the terminal (after the model names are
# shortened): the least needed to compare replies side by side.
DROP_ORDER = ("waited", "finish", "in", "ttft", "tok/s", "answers agree")  # the last: --runs
MODEL_MAX = 22  # a model name longer than this is cut in the middle when the table is too wide


def fit_columns(console: Console, cols: Sequence[str], rows: Sequence[Sequence[str]]
                ) -> tuple[list[str], list[list[str]], list[str]]:
    """The table one row per model, as wide as the terminal allows: model names shortened
    (provider dropped when the names stay distinct, then cut in the middle), then columns left
    out in DROP_ORDER. Returns the columns, rows and the names of the columns left out."""
    cols, rows = list(cols), [list(r) for r in rows]
    if _natural(console, cols, rows) <= console.width:
        return cols, rows, []
    short = _short_models([r[0] for r in rows])
    rows = [[name, *r[1:]] for name, r in zip(short, rows, strict=True)]
    dropped: list[str] = []
    for name in DROP_ORDER:
        if _natural(console, cols, rows) <= console.width or name not in cols:
            continue
        i = cols.index(name)
        cols.pop(i)
        rows = [r[:i] + r[i + 1:] for r in rows]
        dropped.append(name)
    return cols, rows, dropped


def _short_models(names: list[str]) -> list[str]:
    bare = [n.split(":", 1)[-1] for n in names]
    out = bare if len(set(bare)) == len(set(names)) else list(names)
    return [n if len(n) <= MODEL_MAX else n[: MODEL_MAX // 2 - 1] + "…" + n[-(MODEL_MAX // 2):]
            for n in out]


def _natural(console: Console, cols: Sequence[str], rows: Sequence[Sequence[str]]) -> int:
    from rich.measure import Measurement

    table = _table(cols, rows, None)
    return Measurement.get(console, console.options.update_width(10_000), table).maximum


def _table(cols: Sequence[str], rows: Sequence[Sequence[str]], title: str | None) -> Any:
    from rich.table import Table

    table = Table(title=title, header_style="bold", expand=False)
    for name in cols:
        table.add_column(name, justify="right" if name in NUMERIC else "left", no_wrap=True)
    for row in rows:
        table.add_row(*(_styled(n, v) for n, v in zip(cols, row, strict=True)))
    return table


NUMERIC = ("ttft", "total", "in", "out", "reason", "tok/s", "cost", "runs", "#", "elo", "votes",
           "wins", "ties", "losses")


def print_rows(console: Console, cols: Sequence[str], rows: Sequence[Sequence[str]], *,
               title: str | None = None) -> None:
    """A table when it fits the terminal without folding; else one card per row, titled by
    its first column."""
    from rich.panel import Panel
    from rich.table import Table

    table = _table(cols, rows, title)
    if _natural(console, cols, rows) <= console.width:
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


def markdown_report(grid: Grid, prompts: Sequence[str] = ()) -> str:
    """A Markdown table of measurements, then each reply under its own heading. With several
    prompts, `prompts` (their texts, in row order) become a legend of the labels p1, p2..."""
    rows = measurement_rows(grid)
    cols = columns(grid)
    if len(grid.row_labels) == 1 and _runs(grid) == 1:
        cols.remove("prompt")
        rows = [r[:1] + r[2:] for r in rows]

    def cell(v: str) -> str:
        return v.replace("|", "\\|").replace("\n", " ")

    numeric = ("ttft", "total", "in", "out", "reason", "tok/s", "cost")
    lines = ["| " + " | ".join(cols) + " |",
             "|" + "|".join("---:" if c in numeric else "---" for c in cols) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    if len(grid.row_labels) > 1 and prompts:
        lines += ["", "Prompts:", ""]
        lines += [f"- **{label}**: {' '.join(text.split())}"
                  for label, text in zip(grid.row_labels, prompts, strict=False)]
    for s in grid.states:
        text = s.response.text if s.response else s.text
        lines += ["", f"### {grid.title(s)}", "", text.strip() or "_(no reply)_"]
    return "\n".join(lines) + "\n"
