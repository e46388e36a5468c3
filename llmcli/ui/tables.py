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
) -> None:
    """A rich table in a terminal; tab-separated lines with a header row in a pipe."""
    rows = list(rows)
    if not env.stdout_isatty:
        env.stdout.write("\t".join(columns) + "\n")
        for row in rows:
            env.stdout.write("\t".join(_plain(c) for c in row) + "\n")
        env.stdout.flush()
        return
    from rich.table import Table

    from llmcli.ui.console import stdout_console

    table = Table(title=title, header_style="bold", expand=False)
    for col in columns:
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*(_plain(c) for c in row))
    stdout_console(env).print(table)


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
