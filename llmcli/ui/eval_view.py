"""What `llmcli eval` shows: a live progress line on stderr (in a terminal), the matrix of
pass rates with their Wilson intervals, the paired comparisons, the failures, the list of
runs and a diff of two runs."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llmcli.environment import Environment

REFRESH_S = 0.2
FAILURES_SHOWN = 10
COMPARISONS_SHOWN = 12  # beyond this the terminal lists the significant ones only
_NEWLINES = re.compile(r"\s*\n\s*")
_HANG = re.compile(r" *(?:[*+\-] )? *")  # an item's indent and its mark: continuations align


class Progress:
    """done/total, passed, failed, cached, elapsed: one live line on a terminal's stderr."""

    def __init__(self, env: Environment, total: int, *, clock: Any = time.monotonic):
        self.env = env
        self.total = total
        self.done = self.passed = self.errors = self.cached = 0
        self.clock = clock
        self.start = clock()
        self._last = 0.0
        self._live: Any = None
        if env.stderr_isatty:
            from rich.live import Live

            from llmcli.ui.console import stderr_console

            self._live = Live(console=stderr_console(env), auto_refresh=False, transient=True)
            self._live.start()

    def add(self, rec: dict[str, Any]) -> None:
        self.done += 1
        self.passed += bool(rec.get("passed"))
        self.errors += bool(rec.get("error"))
        self.cached += bool(rec.get("cached"))

    def tick(self, force: bool = False) -> None:
        if self._live is None:
            return
        now = self.clock()
        if not force and now - self._last < REFRESH_S:
            return
        self._last = now
        self._live.update(self._line(), refresh=True)

    def _line(self) -> Any:
        from rich.progress_bar import ProgressBar
        from rich.table import Table

        failed = self.done - self.passed
        parts = [f"{self.done:,}/{self.total:,}", f"[green]{self.passed:,} passed[/green]"]
        if failed:
            parts.append(f"[red]{failed:,} failed[/red]")
        if self.errors:
            parts.append(f"{self.errors:,} errors")
        if self.cached:
            parts.append(f"[dim]{self.cached:,} cached[/dim]")
        parts.append(f"{self.clock() - self.start:.0f}s")
        grid = Table.grid(padding=(0, 1))
        grid.add_column(width=20)
        grid.add_column()
        grid.add_row(ProgressBar(total=max(self.total, 1), completed=min(self.done, self.total),
                                 width=20), " · ".join(parts))
        return grid

    def close(self) -> None:
        if self._live is not None:
            self.tick(force=True)  # the last frame counts every cell, however fast they came
            self._live.stop()
            self._live = None


def print_report(env: Environment, run: dict[str, Any], records: list[dict[str, Any]], *,
                 note: str | None = None) -> None:
    """The matrix, the comparisons that can be made, the first failures."""
    from rich.table import Table

    from llmcli.eval import report
    from llmcli.ui.console import stdout_console

    console = stdout_console(env)
    prompts = [p for p in run["prompts"] if any(r["prompt"] == p for r in records)]
    models = [m for m in run["models"] if any(r["model"] == m for r in records)]
    arms = {(a.prompt, a.model): a for a in report.matrix(records, prompts, models)}
    title = f"eval {run['id']} · {run['suite']}"
    if note:
        title += f" · {note}"
    # The title names the suite's path: one unwrapped line, so a pipe reads it whole.
    console.print(_escape(title), soft_wrap=True, style="bold" if env.stdout_isatty else None)
    table = Table()
    table.add_column("prompt", overflow="fold")
    for m in models:
        table.add_column(m, overflow="fold")
    for p in prompts:
        table.add_row(p, *(_arm(arms[(p, m)]) for m in models))
    console.print(table)
    # its own line, not the table's caption: Rich pads a caption to the table's width
    console.print("pass rate [Wilson 95% interval] passed/total", markup=False, highlight=False,
                  style="dim" if env.stdout_isatty else None)
    say = _say(env, console)
    comps = report.comparisons(records, prompts, models)
    if comps:
        say(f"\nPaired differences on the same cases (McNemar's exact test; "
            f"* marks p < {report.ALPHA:g}):")
        shown = comps if len(comps) <= COMPARISONS_SHOWN else [
            c for c in comps if c.test.significant]
        for c in shown:
            mark = "[bold]*[/bold] " if c.test.significant else "  "
            say(mark + _escape(report.comparison_text(c)))
        if len(shown) < len(comps):
            say(f"  {len(comps) - len(shown):,} other pairs could be noise "
                f"(each in --json or --markdown)")
    order = {(p, m): i for i, (p, m) in enumerate((p, m) for p in prompts for m in models)}
    failed = sorted(report.failures(records), key=lambda r: (
        order.get((r["prompt"], r["model"]), 0), r["case_index"], r["repeat"]))
    if failed:
        say(f"\nFailures ({len(failed):,}):")
        for r in failed[:FAILURES_SHOWN]:
            rep = f" #{r['repeat'] + 1}" if run.get("repeat", 1) > 1 else ""
            say(_escape(f"  {r['prompt']} · {r['model']} · {r['case_title']}{rep}: "
                        f"{report.why(r)}"))
        if len(failed) > FAILURES_SHOWN:
            say(f"  … and {len(failed) - FAILURES_SHOWN:,} more "
                f"(llmcli eval show {run['id']} --json)")


def _arm(arm: Any) -> str:
    from llmcli.eval.report import arm_text

    text = arm_text(arm)
    if arm.errors:
        text += f" ({arm.errors} errors)"
    return _escape(text)


def _say(env: Environment, console: Any) -> Any:
    """`console.print` for one line of the report (a failure, a comparison): its own
    newlines become spaces; in a pipe it is never hard-wrapped (one failure per line, for
    grep and cut), in a terminal it wraps between words."""
    from rich.text import Text

    soft = not env.stdout_isatty

    def say(text: str) -> None:
        head, body = text[: len(text) - len(text.lstrip("\n"))], text.lstrip("\n")
        body = _NEWLINES.sub(" ", body)
        line = Text.from_markup(body)
        hang = len(_HANG.match(line.plain).group(0))  # type: ignore[union-attr]
        if soft or hang == 0 or hang * 3 > console.width:
            console.print(head + body, highlight=False, soft_wrap=soft)
            return
        # An indented item wraps two columns further in (a hanging indent), never back at
        # column 0, so where the next item starts stays visible.
        for _ in head:
            console.print()
        rows = line[hang:].wrap(console, console.width - hang - 2)
        for i, row in enumerate(rows):
            lead = line[:hang] if i == 0 else Text(" " * (hang + 2))
            console.print(Text.assemble(lead, row), soft_wrap=True)

    return say


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def print_runs(env: Environment, runs: list[dict[str, Any]]) -> None:
    from llmcli.ui.tables import print_table

    rows = []
    for r in runs:
        done = r.get("done") or 0
        status = r["status"] if done >= r["cells"] or r["status"] != "running" else "incomplete"
        rows.append([r["id"], r["created"][:19].replace("T", " "), r["suite"],
                     f"{r.get('passed') or 0:,}/{done:,}" + (f" of {r['cells']:,}"
                                                             if done < r["cells"] else ""),
                     status])
    print_table(env, ["run", "created (UTC)", "suite", "passed", "status"], rows)


def print_diff(env: Environment, a: dict[str, Any], b: dict[str, Any], diffs: list[Any]) -> None:
    from llmcli.eval.report import ALPHA
    from llmcli.ui.console import stdout_console

    say = _say(env, stdout_console(env))
    say(f"eval diff {a['id']} → {b['id']} (cases both runs have; McNemar's exact "
        f"test, * p < {ALPHA:g})")
    if not diffs:
        say("no prompt x model in common")
    for d in diffs:
        t = d.test
        mark = "*" if t.significant else " "
        say(_escape(
            f"{mark} {d.prompt} · {d.model}: {t.a_passed}/{t.n} → {t.b_passed}/{t.n} "
            f"({len(d.fixed)} fixed, {len(d.broken)} broken, p = {t.p_value:.3g})"))
        for r in d.fixed[:FAILURES_SHOWN]:
            say(_escape(f"    + {r['case_title']}"))
        for r in d.broken[:FAILURES_SHOWN]:
            from llmcli.eval.report import why

            say(_escape(f"    - {r['case_title']}: {why(r)}"))
