"""After a comparison: statistics over repeated runs, a word diff, the blind reveal, and the
Elo leaderboard. Rich in a terminal, plain text in a pipe."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from llmcli.core.numbers import seconds_bare, usd_bare
from llmcli.ui.compare_table import fmt_cost

if TYPE_CHECKING:
    from llmcli.compare.diff import Chunk
    from llmcli.compare.elo import Standing
    from llmcli.compare.stats import PairStats, Spread
    from llmcli.environment import Environment


def spread_text(s: Spread | None, unit: str = " s", digits: int = 2) -> str:
    """'1.02 s (0.98–1.10)': the median, then the range over runs."""
    if s is None:
        return "-"
    text = f"{s.median:.{digits}f}{unit}"
    if s.n > 1:
        text += f" ({s.low:.{digits}f}–{s.high:.{digits}f})"
    return text


def agreement_text(p: PairStats, limit: int | None = 18) -> str:
    a = p.agreement
    if not a.total:
        return "-"
    top = a.top or ""
    shown = top if limit is None or len(top) <= limit else top[: limit - 1] + "…"
    text = f"{a.counts[0][1]}/{a.total} {shown!r}"
    if len(a.counts) > 1:
        text += f" +{len(a.counts) - 1} other" + ("s" if len(a.counts) > 2 else "")
    return text


def print_stats(env: Environment, stats: Sequence[PairStats], *, show_prompt: bool) -> None:
    """Each (prompt, model) pair over its runs. In a terminal the columns of the one-run table
    (`ttft`, `total`, `tok/s`, `cost`), each figure a median with its range; in a pipe the
    one-run table's bare numbers and names, the median then `_min` and `_max` columns."""
    pipe = not env.stdout_isatty
    schema = any(p.valid is not None for p in stats)
    if pipe:
        spreads = [f"{name}{end}" for name in ("ttft_s", "total_s", "tok_s")
                   for end in ("", "_min", "_max")]
        cols = ["model"] + (["prompt"] if show_prompt else []) + [
            "runs", *spreads, "cost_usd", "answers_agree", "waited"]
    else:
        cols = ["model"] + (["prompt"] if show_prompt else []) + [
            "runs", "ttft", "total", "tok/s", "cost", "answers agree", "waited"]
    if schema:
        cols.append("valid")
    rows = []
    for p in stats:
        ok = f"{p.runs - p.failed}/{p.runs}"
        if pipe:
            figures = [*_bare_spread(p.ttft, seconds_bare), *_bare_spread(p.total, seconds_bare),
                       *_bare_spread(p.tokens_per_second, lambda v: f"{v:.1f}"),
                       usd_bare(p.cost)]
        else:
            figures = [spread_text(p.ttft), spread_text(p.total),
                       spread_text(p.tokens_per_second, unit="", digits=1), fmt_cost(p.cost)]
        row = [p.model] + ([p.prompt_label] if show_prompt else []) + [
            ok, *figures, agreement_text(p, None if pipe else 18), _waited(p)]
        if schema:  # adherence to --schema: valid replies / runs
            row.append(f"{p.valid}/{p.runs} ({p.adherence:.0%})" if p.valid is not None else "-")
        rows.append(row)
    if pipe:
        from llmcli.ui.tables import print_table

        print_table(env, cols, rows)
        return
    from llmcli.ui.compare_table import dropped_note, print_fitted
    from llmcli.ui.console import stdout_console

    console = stdout_console(env)  # one row per model where the one-run table has one
    dropped = print_fitted(console, cols, [[str(v) for v in r] for r in rows],
                           title="over runs: median (min–max)")
    if dropped:
        console.print(dropped_note(console, dropped), style="dim", markup=False,
                      highlight=False)
    for p in stats:
        if len(p.agreement.counts) > 1:
            counts = ", ".join(f"{a!r} ×{n}" for a, n in p.agreement.counts[:6])
            _line(env, f"[dim]{p.model} {p.prompt_label}: {counts}[/dim]")


def _bare_spread(s: Spread | None, fmt: Callable[[float], str]) -> list[str]:
    """median, min, max as bare numbers (`-` each when nothing was measured)."""
    if s is None:
        return ["-"] * 3
    return [fmt(s.median), fmt(s.low), fmt(s.high)]


def _waited(p: PairStats) -> str:
    if not p.waited_runs:
        return "-"
    runs = "run" if p.waited_runs == 1 else "runs"
    return f"{p.waited_runs} {runs} ≤{p.waited_max:.1f} s"


def print_diff(env: Environment, left: str, right: str, chunks: Sequence[Chunk],
               similarity: float) -> None:
    """Removed words struck through in red, added ones in green; git's word-diff marks in a pipe."""
    header = f"diff {left} → {right} ({similarity:.0%} of words in common)"
    if not env.stdout_isatty or not env.color:  # without colour, the marks carry the meaning
        env.stdout.write(f"--- {header}\n{word_diff_marks(chunks)}\n")
        env.stdout.flush()
        return
    from rich.panel import Panel
    from rich.text import Text

    from llmcli.ui.console import stdout_console

    text = Text()
    for c in chunks:
        style = {"equal": "", "delete": "red strike", "insert": "green underline"}[c.op]
        text.append(c.text, style=style)
    stdout_console(env).print(Panel(text, title=header, title_align="left"))


def word_diff_marks(chunks: Sequence[Chunk]) -> str:
    """The diff as text, marked the way `git diff --word-diff` does: [-removed-]{+added+}."""
    marks = {"equal": "{}", "delete": "[-{}-]", "insert": "{{+{}+}}"}
    return "".join(marks[c.op].format(c.text) for c in chunks)


def print_reveal(env: Environment, labels: dict[str, str], choice: str | None) -> None:
    """After a blind vote: which model was behind each label."""
    for label, model in labels.items():
        mark = "  ← your pick" if choice == label else ""
        env.stdout.write(f"{label} = {model}{mark}\n")
    if choice == "tie":
        env.stdout.write("recorded a tie\n")
    env.stdout.flush()


def print_leaderboard(env: Environment, standings: Sequence[Standing]) -> None:
    cols = ["#", "model", "elo", "votes", "wins", "ties", "losses"]
    rows = [[i + 1, s.model, f"{s.rating:.0f}", s.votes, s.wins, s.ties, s.losses]
            for i, s in enumerate(standings)]
    _table(env, cols, rows, title="blind votes, Elo (start 1000, K=32)")


def print_tool_calls(env: Environment, cells: Sequence[Any], titles: dict[int, str]) -> None:
    """Per cell: how many requests its tool loop took and each call with its arguments."""
    from llmcli.core.tools import ToolCall, call_text

    rows = []
    for s in cells:
        r = s.response
        if r is None or not r.tool_calls:
            continue
        calls = "; ".join(
            call_text(ToolCall(id=t.id, name=t.name, arguments=t.arguments), 60)
            + ("" if t.result is not None else " (not run)") + (" [error]" if t.is_error else "")
            for t in r.tool_calls)
        rows.append([titles[s.cell.index], r.round_trips, len(r.tool_calls), calls])
    if rows:
        _table(env, ["cell", "requests", "calls", "tool calls"], rows, title="tool calls")


def _table(env: Environment, cols: list[str], rows: list[list[Any]], *, title: str) -> None:
    if not env.stdout_isatty:
        from llmcli.ui.tables import print_table

        print_table(env, cols, rows)
        return
    from llmcli.ui.compare_table import print_rows
    from llmcli.ui.console import stdout_console

    print_rows(stdout_console(env), cols, [[str(v) for v in row] for row in rows], title=title)


def _line(env: Environment, markup: str) -> None:
    from llmcli.ui.console import stdout_console

    stdout_console(env).print(markup)
