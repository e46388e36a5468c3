"""Tables for listings: models, keys, log entries."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llmcli.environment import Environment


def print_table(
    env: Environment,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    title: str | None = None,
    cut: Sequence[str] = (),
) -> None:
    """A rich table in a terminal; tab-separated lines with a header row in a pipe.
    Columns named in `cut` stay on one line in a terminal, cut to fit with '…'; the others
    fold."""
    rows = list(rows)
    if not env.stdout_isatty:
        env.stdout.write("\t".join(columns) + "\n")
        for row in rows:
            env.stdout.write("\t".join(_plain(c) for c in row) + "\n")
        env.stdout.flush()
        return
    from rich.table import Table

    from llmcli.ui.console import stdout_console

    console = stdout_console(env)
    cells = [[_plain(c) for c in row] for row in rows]
    room = _room_for_cut(console.width, columns, cells, cut)
    table = Table(title=title, header_style="bold", expand=False)
    for col in columns:
        if col in cut:
            table.add_column(col, overflow="ellipsis", no_wrap=True, max_width=room)
        else:
            table.add_column(col, overflow="fold")
    for row in cells:
        table.add_row(*row)
    console.print(table)


def _room_for_cut(width: int, columns: Sequence[str], cells: list[list[str]],
                  cut: Sequence[str]) -> int | None:
    """The width each `cut` column gets: what the other columns (at their natural width)
    leave of the terminal, shared; at least 8."""
    if not cut:
        return None
    from rich.cells import cell_len

    others = sum(max([cell_len(col)] + [cell_len(r[i]) for r in cells])
                 for i, col in enumerate(columns) if col not in cut)
    frame = 3 * len(columns) + 1  # a border and two spaces of padding per column
    n = sum(1 for col in columns if col in cut)
    return max(8, (width - others - frame) // n)


def _plain(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value).replace("\t", " ").replace("\n", " ")


def print_json(env: Environment, data: Any) -> None:
    """JSON on stdout, UTF-8 as is (no \\u escapes), one object."""
    from llmcli.core.numbers import dumps

    env.stdout.write(dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
    env.stdout.flush()


def print_jsonl(env: Environment, records: Iterable[Any]) -> None:
    from llmcli.core.numbers import dumps

    for rec in records:
        env.stdout.write(dumps(rec, ensure_ascii=False, default=str) + "\n")
    env.stdout.flush()
