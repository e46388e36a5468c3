"""The `llmcli models` table: model names kept whole, compact numbers, and a narrow layout
(capabilities one per line, no box, "env" without the variable's name) so it still reads at
80 columns. In a pipe: tab-separated
lines with a header, as every listing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llmcli.environment import Environment

COLUMNS = ["model", "context", "$/M in", "$/M out", "capabilities", "retires", "key"]
_SHORT = ["model", "ctx", "$in/M", "$out/M", "can", "retires", "key"]
_NARROW = 120  # below this many columns: no box, short headers, capabilities stacked


def print_models(env: Environment, rows: list[dict[str, Any]]) -> None:
    """One line per model with context window, prices, capabilities, retirement and key."""
    from llmcli.ui.tables import print_table

    if not env.stdout_isatty:
        print_table(env, COLUMNS, [_cells(r, compact=False) for r in rows])
        return
    from rich import box
    from rich.table import Table

    from llmcli.ui.console import stdout_console

    console = stdout_console(env)
    narrow = console.width < _NARROW
    table = Table(
        box=box.SIMPLE_HEAD if narrow else box.HEAVY_HEAD,
        header_style="bold",
        show_edge=not narrow,
        padding=(0, 0) if narrow else (0, 1),
    )
    for k, name in enumerate(_SHORT if narrow else COLUMNS):
        table.add_column(
            name,
            no_wrap=k == 0,
            justify="right" if k in (1, 2, 3) else "left",
            overflow="fold",
            min_width={4: 12, 5: 10}.get(k) if narrow else None,
        )
    for r in rows:
        cells = _cells(r, compact=True)
        if narrow:
            cells[4] = cells[4].replace(", ", "\n")
            cells[5] = cells[5].replace(" (", "\n(")
            cells[6] = cells[6].split(" ")[0] if cells[6].startswith("env ") else cells[6]
        style = "dim" if r["retires"].startswith("retired") else None
        table.add_row(*cells, style=style)
    console.print(table)


def _cells(r: dict[str, Any], *, compact: bool) -> list[str]:
    return [
        f"{r['provider']}:{r['id']}",
        _count(r["context_window"], compact),
        _price(r["price_in"]),
        _price(r["price_out"]),
        ", ".join(r["capabilities"]),
        r["retires"],
        r["key"],
    ]


def _count(n: int | None, compact: bool) -> str:
    if n is None:
        return "-"
    if not compact:
        return str(n)
    if n >= 1_000_000:
        return f"{n / 1_000_000:.2f}M".replace(".00M", "M")
    if n >= 10_000:
        return f"{n / 1000:.0f}k"
    return str(n)


def _price(p: float | None) -> str:
    return "-" if p is None else f"{p:.3g}"
