"""What `llmcli batch` shows on stderr: a live progress line in a terminal, errors only otherwise,
and the summary at the end. Stats objects are read by attribute (duck-typed), so this module
needs nothing from the batch package."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from llmcli.core.numbers import usd
from llmcli.ui.console import error_line, warn_line

if TYPE_CHECKING:
    from llmcli.environment import Environment

REFRESH_S = 0.2


def _where(rec: dict[str, Any]) -> str:
    line, ident = rec.get("line"), rec.get("id")
    where = f"line {line}"
    if ident is not None and str(ident) != str(line):
        where += f" (id {ident})"
    return f"{where}, {rec['model']}"


class PlainReporter:
    """Stderr is not a terminal: only errors, one line each."""

    def __init__(self, env: Environment, *, strict: bool = False):
        self.env = env
        self.strict = strict

    def tick(self, stats: Any) -> None:
        pass

    def bad_line(self, line: int, reason: str) -> None:
        if self.strict:
            error_line(self.env, f"line {line}: {reason}; stopping (--strict)")
        else:
            error_line(self.env, f"line {line}: {reason}; skipped")

    def failed(self, rec: dict[str, Any]) -> None:
        error_line(self.env, f"{_where(rec)}: {rec.get('error')}")

    def notice(self, text: str) -> None:
        warn_line(self.env, text)

    def close(self) -> None:
        pass


class TerminalProgress(PlainReporter):
    """A one-line live display: bar, done/total, failed, rate, ETA, tokens, cost."""

    def __init__(self, env: Environment, *, strict: bool = False):
        super().__init__(env, strict=strict)
        from rich.live import Live

        from llmcli.ui.console import stderr_console

        self.console = stderr_console(env)
        self._live = Live(console=self.console, auto_refresh=False, transient=True)
        self._live.start()
        self._last = 0.0

    def _print(self, text: str, style: str) -> None:
        from rich.text import Text

        self.console.print(Text(text, style=style))

    def bad_line(self, line: int, reason: str) -> None:
        what = "stopping (--strict)" if self.strict else "skipped"
        self._print(f"line {line}: {reason}; {what}", "red" if self.strict else "yellow")

    def failed(self, rec: dict[str, Any]) -> None:
        self._print(f"{_where(rec)}: {rec.get('error')}", "red")

    def notice(self, text: str) -> None:
        self._print(text, "yellow")

    def tick(self, stats: Any) -> None:
        now = time.monotonic()
        if now - self._last < REFRESH_S and stats.ended is None:
            return
        self._last = now
        self._live.update(_progress_line(stats), refresh=True)

    def close(self) -> None:
        self._live.stop()


def _progress_line(stats: Any) -> Any:
    from rich.progress_bar import ProgressBar
    from rich.table import Table

    total = stats.total - stats.skipped if stats.total is not None else None
    done = stats.done
    grid = Table.grid(padding=(0, 1))
    parts = [f"{done:,}" + (f"/{total:,}" if total else "")]
    if stats.failed:
        parts.append(f"[red]{stats.failed:,} failed[/red]")
    if stats.skipped:
        parts.append(f"{stats.skipped:,} already done")
    parts.append(f"{stats.rate:.1f}/s")
    eta = stats.eta
    if eta is not None and done:
        parts.append(f"ETA {_duration(eta)}")
    parts.append(f"{stats.input_tokens + stats.output_tokens:,} tok")
    if stats.cost:
        parts.append(usd(stats.cost))
    if stats.in_flight:
        parts.append(f"[dim]{stats.in_flight} in flight[/dim]")
    if total:
        grid.add_column(width=20)
        grid.add_column()
        grid.add_row(ProgressBar(total=max(total, 1), completed=min(done, total), width=20),
                     " · ".join(parts))
    else:
        grid.add_column()
        grid.add_row(" · ".join(parts))
    return grid


def _duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def reporter(env: Environment, *, strict: bool = False) -> PlainReporter:
    """A live display when stderr is a terminal; errors only when it is not."""
    if env.stderr_isatty:
        return TerminalProgress(env, strict=strict)
    return PlainReporter(env, strict=strict)


def summary_lines(s: dict[str, Any]) -> list[str]:
    """The end-of-run summary as plain lines (from BatchStats.as_dict())."""
    head = (
        f"batch {s['batch']}: {s['ok']:,} answered, {s['failed']:,} failed"
        + (f", {s['skipped']:,} already done" if s["skipped"] else "")
        + (f", {s['retried']:,} retried" if s["retried"] else "")
        + f" in {s['elapsed']:.2f} s"
    )
    lines = [head]
    if s["bad_lines"]:
        nums = ", ".join(str(n) for n in s["bad_line_numbers"])
        more = "…" if s["bad_lines"] > len(s["bad_line_numbers"]) else ""
        what = "malformed line" if s["bad_lines"] == 1 else "malformed lines"
        lines.append(f"{s['bad_lines']:,} {what} skipped: {nums}{more}")
    for model, m in s["models"].items():
        lat = f"{m['mean_latency']:.3f} s" if m["mean_latency"] is not None else "-"
        ttft = f"{m['mean_ttft']:.3f} s" if m["mean_ttft"] is not None else "-"
        cost = usd(m["cost"]) if m["cost"] is not None else "cost unknown"
        tokens = f"{m['input_tokens']:,} in / {m['output_tokens']:,} out"
        lines.append(
            f"  {model}: {m['ok']:,} ok, {m['failed']:,} failed, mean latency {lat}, "
            f"mean ttft {ttft}, tokens {tokens}, {cost}"
        )
    a = s.get("agreement")
    if a:
        lines.append(
            f"agreement of {'answers' if a['of'] == 'answer' else 'replies'} across models: "
            f"{a['rate']:.0%} "
            f"({a['agreed']:,} of {a['compared']:,} inputs)"
        )
    if s["stopped"]:
        lines.append(f"stopped: {s['stopped']}")
    return lines


def print_summary(env: Environment, summary: dict[str, Any]) -> None:
    lines = summary_lines(summary)
    if env.stderr_isatty:
        from rich.text import Text

        from llmcli.ui.console import stderr_console

        console = stderr_console(env)
        console.print(Text(lines[0], style="bold"))
        for line in lines[1:]:
            console.print(Text(line))
        return
    for line in lines:
        env.stderr.write(line + "\n")
    env.stderr.flush()


def print_dry_run(env: Environment, stats: Any, n_models: int) -> None:
    """What a real run would send (stats from BatchRunner.dry_run)."""
    skipped = f", {stats.skipped:,} already done" if stats.skipped else ""
    env.stderr.write(
        f"dry run: {stats.read:,} inputs read, {stats.bad_lines:,} malformed{skipped}; "
        f"{stats.submitted:,} requests to {n_models} model(s), about "
        f"{stats.estimated_tokens:,} input tokens; nothing was sent\n"
    )
    env.stderr.flush()
