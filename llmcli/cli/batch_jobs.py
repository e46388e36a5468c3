"""`llmcli batch --provider-batch` and `llmcli batch jobs|status|fetch|cancel`.

`batch` stays one command whose first argument is the input file. When that argument is one
of the job subcommands' names and no file of that name exists, `cli/batch.py` hands the rest
of the line to the `jobs_app` group here (a file called `jobs` in the current folder is still
an input: `./jobs` or the file wins). That keeps `llmcli batch FILE` exactly as it was.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from llmcli.cli.context import TIMEOUT_HELP, app_context
from llmcli.cli.flags import key_option
from llmcli.core.numbers import usd

if TYPE_CHECKING:
    from llmcli.app_context import AppContext
    from llmcli.batch.build import Builder
    from llmcli.batch.config import Target
    from llmcli.store.batch_jobs import Job

JOB_COMMANDS = ("jobs", "status", "fetch", "cancel")
JOB_HELP = "The job id from 'llmcli batch jobs'."

jobs_app = typer.Typer(add_completion=False, no_args_is_help=True,
                       context_settings={"help_option_names": ["-h", "--help"]})


def _timeout() -> float | None:
    """`--timeout`, the same option (and meaning) as on every command that calls a provider."""
    return typer.Option(None, "--timeout", min=0.001, max=3600, help=TIMEOUT_HELP)


# Tests replace this to poll on an injected clock; `--poll 0` also never sleeps.
sleep: Callable[[float], None] = time.sleep


def submit(app_ctx: AppContext, source: str, target: Target, builder: Builder, *,
           in_fmt: str, needs_prompt: bool, strict: bool, dry_run: bool, wait: bool,
           poll: float, output: Path | None, template_spec: str | None,
           no_log: bool = False) -> int:
    """Build the request files, then (unless --dry-run) upload them and create the jobs."""
    from llmcli.batch import inputs, jobs
    from llmcli.batch.jobs_build import Limits, write_request_files
    from llmcli.batch.summary import plural
    from llmcli.core.errors import InvalidInput
    from llmcli.exchange.schema import stored_form
    from llmcli.store.batch_jobs import BatchJobStore, Job
    from llmcli.store.logs import new_id, now_iso
    from llmcli.ui.console import warn_line

    env = app_ctx.env
    service = jobs.service_for(target.provider)
    cfg = app_ctx.settings.provider_config(target.provider_name)
    most_requests, most_bytes = service.limits
    limits = Limits(int(cfg.get("batch_max_requests", most_requests)),
                    int(cfg.get("batch_max_bytes", most_bytes)))
    if "batch_inline_max_bytes" in cfg and hasattr(service, "inline_max_bytes"):
        service.inline_max_bytes = int(cfg["batch_inline_max_bytes"])  # Gemini's file route
    job_id = new_id()
    if output is not None and not dry_run:
        jobs.check_dest(output, job_id)  # before anything is sent, not after the wait
    folder = jobs.job_folder(env.paths.data_dir, ("dry-" if dry_run else "") + job_id)
    stream = env.stdin if source == "-" else _open(source)
    try:
        built = write_request_files(
            inputs.read_items(stream, in_fmt, needs_prompt=needs_prompt),  # type: ignore[arg-type]
            builder, target, service, folder, limits, strict=strict)
    finally:
        if stream is not env.stdin:
            stream.close()
    for bad in built.bad[:5]:
        warn_line(env, f"line {bad.line} skipped: {bad.reason}")
    if len(built.bad) > 5:
        warn_line(env, f"… and {len(built.bad) - 5:,} more malformed lines skipped")
    if not built.files:
        raise InvalidInput("no request to send", hint="the input holds no usable record")
    estimate = jobs.input_estimate(built, target.info)
    if dry_run:
        for f in built.files:
            env.stdout.write(f"{f.path}\t{plural(f.requests, 'request')}\t{f.size:,} bytes\n")
        cost = "" if estimate is None else f"; input cost at the batch price ≈ {usd(estimate)}"
        warn_line(env, f"dry run: {plural(built.requests, 'request')} in "
                       f"{plural(len(built.files), 'file')}, nothing uploaded{cost}")
        return 0
    store = BatchJobStore(app_ctx.logs)
    job = Job(id=job_id, created=now_iso(), provider=target.provider_name, model=target.model,
              source=source, template=_template_ref(template_spec), extracts=builder.extracts,
              requests=built.requests, status="validating", cost=estimate,
              schema=None if target.schema is None else stored_form(target.schema),
              options=json.dumps(target.options.set_values(), ensure_ascii=False))
    store.add(job)
    try:
        jobs.submit(service, store, job, [f.path for f in built.files])
    except BaseException:
        if not job.parts:  # nothing reached the provider: leave no empty job behind
            import shutil

            store.delete(job.id)
            shutil.rmtree(folder, ignore_errors=True)
        raise
    warn_line(env, f"batch job {job.id}: {plural(built.requests, 'request')} in "
                   f"{plural(len(job.parts), 'provider job')} "
                   f"({', '.join(p.remote_id for p in job.parts)})")
    if not wait:
        env.stdout.write(job.id + "\n")
        env.stdout.flush()
        code = 0
    else:
        code = _wait_and_fetch(app_ctx, job, poll=poll, output=output, no_log=no_log)
    if built.bad:  # like a synchronous batch: malformed lines make the exit status 2
        from llmcli.batch.plan import BatchIncomplete

        lines = ", ".join(str(b.line) for b in built.bad[:10])
        raise BatchIncomplete(
            f"{plural(len(built.bad), 'malformed line')} skipped (line {lines}"
            f"{', …' if len(built.bad) > 10 else ''}); the rest went to job {job.id}",
            exit_code=2, hint="fix them and submit those lines again")
    return code


def _template_ref(spec: str | None) -> str | None:
    """What `fetch` loads again to extract answers: a file's absolute path, or the name."""
    if spec is None:
        return None
    path = Path(spec).expanduser()
    return str(path.resolve()) if path.is_file() else spec


def _wait_and_fetch(app_ctx: AppContext, job: Job, *, poll: float, output: Path | None,
                    no_log: bool = False) -> int:
    from llmcli.batch import jobs
    from llmcli.store.batch_jobs import BatchJobStore
    from llmcli.ui.batch_jobs_view import progress_line

    _, service = _service(app_ctx, job)
    store = BatchJobStore(app_ctx.logs)
    jobs.wait(service, store, job, interval=poll, sleep=lambda s: sleep(s) if s else None,
              progress=lambda j: progress_line(app_ctx.env, j))
    return _fetch(app_ctx, job, output, retry_failed=False, no_log=no_log)


def _open(source: str):
    from llmcli.cli.batch import _open_input

    return _open_input(source)


def _service(app_ctx: AppContext, job: Job):
    from llmcli.batch import jobs

    ref = app_ctx.registry.resolve(f"{job.provider}:{job.model}")
    provider = app_ctx.registry.provider(ref)
    return provider, jobs.service_for(provider)


def _store_job(app_ctx: AppContext, ident: str) -> Job:
    from llmcli.store.batch_jobs import BatchJobStore

    return BatchJobStore(app_ctx.logs).get(ident)


def _fetch(app_ctx: AppContext, job: Job, output: Path | None, *, retry_failed: bool,
           no_log: bool = False) -> int:
    from llmcli.batch import jobs
    from llmcli.batch.plan import BatchIncomplete
    from llmcli.batch.summary import plural
    from llmcli.exchange.drive import model_info
    from llmcli.store.batch_jobs import BatchJobStore
    from llmcli.ui.console import warn_line

    env = app_ctx.env
    provider, service = _service(app_ctx, job)
    store = BatchJobStore(app_ctx.logs)
    folder = jobs.job_folder(env.paths.data_dir, job.id)
    folder.mkdir(parents=True, exist_ok=True)
    extract = None
    if job.extracts and job.template:
        from llmcli.batch.build import TemplateBuilder
        from llmcli.templates.loader import load_template

        extract = TemplateBuilder(load_template(job.template, app_ctx.paths)).extract
    dest = output if output is not None else folder / "stdout.jsonl"
    log = None
    if not no_log:
        from llmcli.batch.jobs_log import ResultLog

        ref = app_ctx.registry.resolve(f"{job.provider}:{job.model}")
        name = job.template and (Path(job.template).stem if "/" in job.template else job.template)
        log = ResultLog(app_ctx.logs, store, job, ref, folder, template=name)
    got = jobs.fetch(service, store, job, folder, dest, model_info(provider, job.model), extract,
                     log)
    if output is None:
        with dest.open(encoding="utf-8") as fh:
            for line in fh:
                env.stdout.write(line)
        env.stdout.flush()
    for line in got.job_errors:
        warn_line(env, line)
    if got.pending_parts:
        warn_line(env, f"{plural(got.pending_parts, 'provider job')} of {job.id} still "
                       f"running ({job.status}); fetch again later")
    for cid, error in list(got.failed.items())[:10]:
        from llmcli.batch.jobs_build import parse_custom_id

        line, ident = parse_custom_id(cid)
        warn_line(env, f"input {ident} (line {line}) failed: {error}")
    if len(got.failed) > 10:
        warn_line(env, f"… and {len(got.failed) - 10:,} more failed inputs (see their records)")
    if retry_failed and got.failed:
        sent = jobs.resubmit_failed(service, store, job, folder, set(got.failed))
        warn_line(env, f"resubmitted {plural(sent, 'failed request')} as part "
                       f"{job.parts[-1].part} ({job.parts[-1].remote_id}); fetch again later")
        return 0
    if got.job_errors and not got.ok and not got.failed:
        from llmcli.core.errors import ProviderError

        raise ProviderError(f"batch job {job.id} failed at the provider; no request was run",
                            hint="fix the input and submit it again")
    if got.failed:
        again = f" -O {output}" if output else ""
        raise BatchIncomplete(
            f"{len(got.failed):,} of {got.ok + len(got.failed):,} requests "
            f"failed", exit_code=1,
            hint=f"resubmit them with: llmcli batch fetch {job.id}{again} --retry-failed")
    return 0


@jobs_app.command("jobs")
def list_jobs(ctx: typer.Context) -> int:
    """List provider batch jobs, newest first (from the log; no provider is asked).

    Example: llmcli batch jobs"""
    from llmcli.store.batch_jobs import BatchJobStore
    from llmcli.ui.batch_jobs_view import print_jobs

    app_ctx = app_context(ctx)
    print_jobs(app_ctx.env, BatchJobStore(app_ctx.logs).all())
    return 0


@jobs_app.command("status")
def status(ctx: typer.Context,
           job_id: str = typer.Argument(..., metavar="JOB", help=JOB_HELP),
           key: str | None = key_option(), timeout: float | None = _timeout()) -> int:
    """Ask the provider where a job stands and show it. Example: llmcli batch status JOB"""
    from llmcli.batch import jobs
    from llmcli.store.batch_jobs import BatchJobStore
    from llmcli.ui.batch_jobs_view import print_status

    app_ctx = app_context(ctx, key, timeout=timeout)
    job = _store_job(app_ctx, job_id)
    _, service = _service(app_ctx, job)
    jobs.refresh(service, BatchJobStore(app_ctx.logs), job)
    print_status(app_ctx.env, job)
    return 0


@jobs_app.command("fetch")
def fetch(
    ctx: typer.Context,
    job_id: str = typer.Argument(..., metavar="JOB", help=JOB_HELP),
    output: Path | None = typer.Option(None, "-O", "--output", help="Write records to this file."),
    retry_failed: bool = typer.Option(False, "--retry-failed",
                                      help="Resubmit the failed requests as a new part."),
    key: str | None = key_option(),
    timeout: float | None = _timeout(),
    no_log: bool = typer.Option(False, "--no-log", help="Do not record the results."),
) -> int:
    """Download a job's results: one record per input, as a synchronous batch writes them.
    Each result is also written to the log once (llmcli logs list --batch JOB).

    Example: llmcli batch fetch JOB -O answers.jsonl
    """
    app_ctx = app_context(ctx, key, timeout=timeout)
    return _fetch(app_ctx, _store_job(app_ctx, job_id), output, retry_failed=retry_failed,
                  no_log=no_log)


@jobs_app.command("cancel")
def cancel(ctx: typer.Context,
           job_id: str = typer.Argument(..., metavar="JOB", help=JOB_HELP),
           key: str | None = key_option(), timeout: float | None = _timeout()) -> int:
    """Cancel a job's unfinished provider jobs (answers already made can still be fetched).

    Example: llmcli batch cancel JOB
    """
    from llmcli.batch import jobs
    from llmcli.store.batch_jobs import BatchJobStore
    from llmcli.ui.batch_jobs_view import print_status

    app_ctx = app_context(ctx, key, timeout=timeout)
    job = _store_job(app_ctx, job_id)
    _, service = _service(app_ctx, job)
    jobs.cancel(service, BatchJobStore(app_ctx.logs), job)
    print_status(app_ctx.env, job)
    return 0


def dispatch(ctx: typer.Context, args: list[str]) -> int:
    """Run `llmcli batch SUBCOMMAND ...` through the jobs group, under the batch context."""
    group = typer.main.get_command(jobs_app)
    # Under the root, so usage lines read `llmcli batch jobs`, not `llmcli batch INPUT ...`.
    sub = group.make_context("batch", list(args), parent=ctx.parent or ctx)
    with sub:
        result = group.invoke(sub)
    return result if isinstance(result, int) else 0
