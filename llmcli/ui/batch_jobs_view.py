"""Provider batch jobs on screen: the jobs table, one job's status, the progress while waiting."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from llmcli.core.numbers import usd, usd_bare

if TYPE_CHECKING:
    from llmcli.environment import Environment
    from llmcli.store.batch_jobs import Job


_NARROW = 140  # below this many columns: the short table


def _when(stamp: int | None) -> str:
    if not stamp:
        return "—"
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d %H:%M")


def _cost(job: Job) -> str:
    """The results' cost, or `~$x in` for the input-only estimate made at submission."""
    if job.cost is None:
        return "—"
    return usd(job.cost) if job.cost_known else f"~{usd(job.cost)} in"


def _done(job: Job) -> str:
    failed = f" ({job.failed:,} failed)" if job.failed else ""
    return f"{job.completed:,}/{job.requests:,}{failed}"


def counts(job: Job) -> str:
    return f"{job.completed:,}/{job.requests:,} done, {job.failed:,} failed"


def print_jobs(env: Environment, jobs: list[Job]) -> None:
    """The table of `llmcli batch jobs`; in a pipe tab-separated lines with bare numbers, as
    every pipe table has them (`cost_usd` a plain decimal, `cost_basis` saying whether it is
    the results' cost or the input-only estimate, both at the batch price)."""
    if not env.stdout_isatty:
        headers = ["id", "provider", "model", "status", "done", "failed", "requests", "parts",
                   "created", "expires", "cost_usd", "cost_basis"]
        env.stdout.write("\t".join(headers) + "\n")
        for j in jobs:
            basis = "-" if j.cost is None else ("results" if j.cost_known else "input-estimate")
            row = [j.id, j.provider, j.model, j.status, str(j.completed), str(j.failed),
                   str(j.requests), str(len(j.parts)), j.created[:16].replace("T", " "),
                   _when(j.expires_at), usd_bare(j.cost), basis]
            env.stdout.write("\t".join(row) + "\n")
        env.stdout.flush()
        return
    from rich.table import Table

    from llmcli.ui.console import stdout_console

    headers = ["id", "provider", "model", "status", "done", "failed", "requests", "parts",
               "created", "expires", "cost (batch price)"]
    rows = [[j.id, j.provider, j.model, j.status, f"{j.completed:,}", f"{j.failed:,}",
             f"{j.requests:,}", str(len(j.parts)), j.created[:16].replace("T", " "),
             _when(j.expires_at), _cost(j)] for j in jobs]
    console = stdout_console(env)  # its width is the terminal's (env.width only in tests)
    table = Table(box=None, pad_edge=False)
    if console.width < _NARROW:  # one column per fact would fold every cell at 80
        headers = ["id", "model", "status", "done", "created", "cost"]
        rows = [[j.id, f"{j.provider}:{j.model}", j.status, _done(j),
                 j.created[5:16].replace("T", " "), _cost(j)] for j in jobs]
    for h in headers:
        table.add_column(h, overflow="fold")
    for r in rows:
        table.add_row(*r)
    console.print(table)


def print_status(env: Environment, job: Job) -> None:
    """`llmcli batch status JOB`: the job, then one line per provider job."""
    w = env.stdout.write
    w(f"job {job.id}  {job.provider}:{job.model}  {job.status}\n")
    w(_fitted(env, f"requests: {counts(job)}; created {job.created[:19].replace('T', ' ')} UTC, "
                   f"expires {_when(job.expires_at)} UTC; cost {_cost(job)} (batch price)") + "\n")
    for p in job.parts:
        w(f"  part {p.part}: {p.remote_id}  {p.status}  {p.completed:,}/{p.requests:,} done, "
          f"{p.failed:,} failed\n")


def _fitted(env: Environment, line: str) -> str:
    """In a terminal, a line wider than the screen breaks between words (the terminal would cut
    `~$0.0000012` in two); in a pipe it stays one line, for grep."""
    if not env.stdout_isatty:
        return line
    import shutil

    from llmcli.ui.console import between_words

    return between_words(line, env.width or shutil.get_terminal_size().columns)


def progress_line(env: Environment, job: Job) -> None:
    """One line on stderr per poll while `--wait`ing."""
    env.stderr.write(f"llmcli: batch job {job.id}: {job.status}, {counts(job)}\n")
    env.stderr.flush()
