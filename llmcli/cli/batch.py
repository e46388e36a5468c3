"""`llmcli batch`: many prompts through one or more models, resumable and rate-limit aware."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import typer
from typer.core import TyperCommand

from llmcli.cli.app import app
from llmcli.cli.context import TIMEOUT_HELP, app_context
from llmcli.cli.flags import dry_run_option, jobs_option, key_option
from llmcli.cli.schema_input import SCHEMA_HELP, SCHEMA_MULTI_HELP

if TYPE_CHECKING:
    from llmcli.app_context import AppContext
    from llmcli.batch.build import Builder
    from llmcli.batch.dispatch import BatchRunner, Target
    from llmcli.batch.summary import BatchStats
    from llmcli.core.messages import ChatRequest
    from llmcli.environment import Environment

MODEL_HELP = "Model (repeat for several: one record per input per model)."
TEMPLATE_HELP = "Template filled in from each input's fields."
RETRIES_HELP = "Retries of a failed item (default: the network.max_retries setting, 2)."
PROVIDER_BATCH_HELP = "Submit as the provider's batch job (OpenAI, Groq): half price, 24 h window."
# `llmcli batch NAME ...` runs the job subcommand NAME unless a file called NAME exists
# (see cli/batch_jobs.py): `batch` keeps its positional input file.
JOB_COMMANDS = ("jobs", "status", "fetch", "cancel")


class BatchCommand(TyperCommand):
    """The batch run, or one of the job subcommands when the first argument names one."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        if args and args[0] in JOB_COMMANDS and not Path(args[0]).exists():
            ctx.meta["llmcli.batch.subcommand"] = list(args)
            return []
        return super().parse_args(ctx, args)

    def invoke(self, ctx: typer.Context) -> object:
        sub = ctx.meta.get("llmcli.batch.subcommand")
        if sub is not None:
            from llmcli.cli.batch_jobs import dispatch

            return dispatch(ctx, sub)
        return super().invoke(ctx)


@app.command(cls=BatchCommand)
def batch(
    ctx: typer.Context,
    timeout: float | None = typer.Option(None, "--timeout", min=0.001, max=3600,
                                         help=TIMEOUT_HELP),
    key: str | None = key_option(),
    source: str = typer.Argument(..., metavar="INPUT", help="JSONL or CSV file; '-' reads stdin."),
    model: list[str] | None = typer.Option(None, "-m", "--model", help=MODEL_HELP),
    template: str | None = typer.Option(None, "-t", "--template", help=TEMPLATE_HELP),
    option: list[str] | None = typer.Option(None, "-o", "--option", help="Option key=value."),
    system: str | None = typer.Option(None, "-s", "--system", help="System prompt (not with -t)."),
    jobs: int = jobs_option(4),
    rpm: int | None = typer.Option(None, "--rpm", min=1, help="Requests per minute, per provider."),
    tpm: int | None = typer.Option(None, "--tpm", min=1, help="Tokens per minute, per provider."),
    output: Path | None = typer.Option(None, "-O", "--output", help="Write records to this file."),
    resume: bool = typer.Option(False, "--resume", help="Continue -O FILE: skip what it has."),
    retry_failed: bool = typer.Option(False, "--retry-failed", help="Rerun -O FILE's failures."),
    ordered: bool = typer.Option(False, "--ordered", help="Records in input order."),
    lines: bool = typer.Option(False, "--lines", help="Each input line is a plain-text prompt."),
    fmt: str | None = typer.Option(None, "--format", help="jsonl or csv, input and output."),
    strict: bool = typer.Option(False, "--strict", help="Stop at the first malformed line."),
    dedupe: bool = typer.Option(False, "--dedupe", help="Answer a repeated id once (else: error)."),
    retries: int | None = typer.Option(None, "--retries", min=0, max=20, help=RETRIES_HELP),
    summary: bool = typer.Option(False, "--summary", help="Print the summary even in a pipe."),
    no_log: bool = typer.Option(False, "--no-log", help="Do not record the calls."),
    dry_run: bool = dry_run_option(),
    rag: str | None = typer.Option(
        None, "--rag", help="Retrieve passages from this index for each input's prompt."
    ),
    rag_top: int = typer.Option(4, "--rag-top", min=1, max=50, help="Passages per input."),
    provider_batch: bool = typer.Option(False, "--provider-batch", help=PROVIDER_BATCH_HELP),
    wait: bool = typer.Option(False, "--wait", help="With --provider-batch: wait, then fetch."),
    poll: float = typer.Option(30.0, "--poll", min=0, help="Seconds between polls with --wait."),
    schema: str | None = typer.Option(None, "--schema", help=SCHEMA_HELP),
    schema_multi: str | None = typer.Option(None, "--schema-multi", help=SCHEMA_MULTI_HELP),
) -> int:
    """Run every input through the model(s); one JSON (or CSV) record per input per model.

    Example: llmcli batch questions.jsonl -m groq -j 8 --rpm 30 -O answers.jsonl

    Provider batch jobs: llmcli batch in.jsonl -m openai:gpt-4o-mini --provider-batch, then
    llmcli batch jobs | status JOB | fetch JOB -O out.jsonl [--retry-failed] | cancel JOB.
    """
    from llmcli.batch import inputs, outputs, plan
    from llmcli.batch import resume as resume_mod
    from llmcli.batch.dispatch import BatchConfig, BatchRunner
    from llmcli.batch.summary import BatchStats
    from llmcli.core.errors import InvalidInput
    from llmcli.store.logs import new_id
    from llmcli.ui.batch_progress import PlainReporter, print_dry_run, print_summary, reporter

    app_ctx = app_context(ctx, key, timeout=timeout)
    env = app_ctx.env
    in_fmt, out_fmt = plan.formats(source, output, lines=lines, fmt=fmt)
    if (resume or retry_failed) and output is None:
        raise InvalidInput("--resume and --retry-failed need the output file", hint="add -O FILE")
    if source == "-" and env.stdin_isatty:
        raise InvalidInput("no input on stdin", hint="pipe a file in, or give its path")
    if rag is not None:
        from llmcli.batch.rag_builder import RagBuilder

        builder = RagBuilder(app_ctx, rag, template=template, system=system, top=rag_top,
                             dry_run=dry_run)
    else:
        builder = _builder(app_ctx, template, system)
    json_schema = _schema(app_ctx, schema, schema_multi, template, builder)
    targets = _targets(app_ctx, model or [None], option, builder, json_schema)
    if provider_batch:
        return _provider_batch(app_ctx, source, targets, builder, in_fmt=in_fmt, strict=strict,
                               dry_run=dry_run, wait=wait, poll=poll, output=output,
                               needs_prompt=template is None, template_spec=template,
                               no_log=no_log,
                               refused=resume or retry_failed or rag is not None)

    answered = None
    if output is not None and output.exists() and (resume or retry_failed):
        answered = resume_mod.scan(output, out_fmt, repair=not dry_run)
        if answered.unreadable and not answered.records:
            raise InvalidInput(
                f"{output} holds no {out_fmt.upper()} batch records "
                f"({answered.unreadable:,} unreadable)",
                hint="check --format, or give another -O file",
            )
    if dry_run:
        outputs.check_output(output, append=resume or retry_failed)
        sink = outputs.open_sink(None, io.StringIO(), out_fmt, append=False)
    else:
        _warm_up(targets)
        sink = outputs.open_sink(output, env.stdout, out_fmt, append=resume or retry_failed)
    stream = env.stdin if source == "-" else _open_input(source)
    stats = BatchStats(batch_id=(answered.batch if answered else None) or new_id())
    if source != "-":
        stats.total = inputs.count_records(source, in_fmt) * len(targets)
    policy = app_ctx.retry_policy
    config = BatchConfig(
        jobs=jobs, rpm=rpm, tpm=tpm, ordered=ordered, strict=strict, policy=policy,
        retries=policy.max_retries if retries is None else retries,
        per_provider=_limits(app_ctx, targets, jobs),
        stream=json_schema is None,  # a document is checked whole, as prompt --schema does
    )
    log = None
    if not (no_log or dry_run):

        from llmcli.exchange.record import log_exchange

        def log(request, response):
            return log_exchange(app_ctx.logs, request, response, batch_id=stats.batch_id,
                                template=builder.template_name)

    hooks = PlainReporter(env, strict=strict) if dry_run else reporter(env, strict=strict)
    runner = BatchRunner(
        targets, builder, sink, config, stats, log=log, hooks=hooks,
        skip=plan.skipper(answered, resume=resume, retry_failed=retry_failed) if output else None,
    )
    def repeated(item: inputs.Item, first: int) -> None:
        stats.duplicates += 1

    records = inputs.read_items(stream, in_fmt, needs_prompt=template is None or rag is not None,
                                dedupe=repeated if dedupe else None)
    try:
        if dry_run:
            runner.dry_run(records, show=_request_line(env))
        else:
            runner.run(records)
    finally:
        hooks.close()
        sink.close()
        if stream is not env.stdin:
            stream.close()
    # One record per input and model: drop the errors a retry has answered.
    clean_end = runner.output_error is None and not runner.interrupted
    superseded = answered is not None and (retry_failed or answered.superseded > 0)
    if output is not None and clean_end and superseded and not answered.unreadable:
        resume_mod.compact(output, out_fmt)
    if stats.duplicates:
        from llmcli.batch.summary import plural
        from llmcli.ui.console import warn_line

        warn_line(env, f"{plural(stats.duplicates, 'repeated id')} answered once (--dedupe)")
    if dry_run:
        print_dry_run(env, stats, len(targets))
        if builder.chained:
            from llmcli.ui.console import warn_line

            warn_line(env, f"each request runs {builder.template.technique}, several calls; "
                           "the estimate counts only its first")
    elif env.stderr_isatty or summary:
        print_summary(env, stats.as_dict())
    return _exit(app_ctx, runner, stats, output, no_log)


def _request_line(env: Environment):
    """--dry-run: each request that would be sent, one JSON line on stdout."""
    import json

    def show(item_id: str, model: str, request: ChatRequest) -> None:
        doc = {"id": item_id, "model": model,
               **request.model_dump(mode="json", exclude_defaults=True, exclude={"model"},
                                    serialize_as_any=True)}  # the provider's own options too
        env.stdout.write(json.dumps(doc, ensure_ascii=False) + "\n")

    return show


def _provider_batch(app_ctx: AppContext, source: str, targets: list[Target], builder: Builder,
                    *, refused: bool, **kw: object) -> int:
    from llmcli.cli.batch_jobs import submit
    from llmcli.core.errors import InvalidInput

    if len(targets) != 1:
        raise InvalidInput("--provider-batch sends to one model", hint="give one -m")
    if refused:
        raise InvalidInput("--provider-batch does not take --resume, --retry-failed or --rag",
                           hint="fetch with: llmcli batch fetch JOB -O FILE [--retry-failed]")
    if builder.chained:  # a provider's job answers each request once, with no calls between
        raise InvalidInput(f"--provider-batch sends one request per input; template "
                           f"'{builder.template_name}' makes several calls per input",
                           hint="drop --provider-batch (batch runs the calls itself)")
    return submit(app_ctx, source, targets[0], builder, **kw)  # type: ignore[arg-type]


def _builder(app_ctx: AppContext, template: str | None, system: str | None) -> Builder:
    from llmcli.batch.build import PromptBuilder, TemplateBuilder
    from llmcli.core.errors import InvalidInput

    if template is None:
        return PromptBuilder(system)
    if system is not None:
        raise InvalidInput("-s cannot be used with -t", hint="the template sets the system prompt")
    from llmcli.templates.loader import load_template

    return TemplateBuilder(load_template(template, app_ctx.paths))


def _schema(app_ctx: AppContext, schema: str | None, multi: str | None,
            template: str | None, builder: object) -> dict[str, Any] | None:
    """`--schema`/`--schema-multi` read as `prompt` reads them (file, saved name, inline), or
    the schema a `-t` template declares."""
    from llmcli.cli.schema_input import load_schema, saved
    from llmcli.core.errors import InvalidInput

    if schema is None and multi is None:
        declared = getattr(getattr(builder, "template", None), "json_schema", None)
        if declared is None:
            return None
        from llmcli.exchange.schema import check_schema, parse_schema

        if isinstance(declared, str):
            return parse_schema(declared)
        check_schema(declared)
        return declared

    if template is not None:
        raise InvalidInput("--schema does not combine with -t yet",
                           hint="declare 'schema:' in the template instead")
    return load_schema(schema, multi, saved(app_ctx))


def _targets(
    app_ctx: AppContext, models: list[str | None], option: list[str] | None, builder: Builder,
    schema: dict[str, Any] | None = None,
) -> list[Target]:
    """Resolve every model before reading a line: a missing key or a typo fails at once."""
    from llmcli.batch.dispatch import Target
    from llmcli.core.options import parse_pairs
    from llmcli.exchange.drive import model_info
    from llmcli.exchange.request import schema_native, validate_options

    given = parse_pairs(option)
    out: dict[str, Target] = {}
    for spec in models:
        ref = app_ctx.registry.resolve(spec)
        if str(ref) in out:
            continue
        provider = app_ctx.registry.provider(ref)
        options = validate_options(ref, {**builder.options, **given})
        out[str(ref)] = Target(
            label=str(ref), provider_name=ref.provider, model=ref.model, provider=provider,
            info=model_info(provider, ref.model), options=options, schema=schema,
        )
        if schema is not None and not schema_native(ref):
            from llmcli.ui.console import warn_line

            warn_line(app_ctx.env, f"{ref.provider}:{ref.model} has no native structured "
                      "output; asking for JSON in the prompt and validating each reply")
    return list(out.values())


def _warm_up(targets: list[Target]) -> None:
    """Pay each model's start-up now, on this thread (an SDK import, about 1 s for openai; the
    local model's weights), before the clock starts rather than in the first records' timings.
    """
    from llmcli.exchange.drive import warm_up

    for target in {(id(t.provider), t.model): t for t in targets}.values():
        warm_up(target.provider, target.model)  # a client that cannot be built fails later


def _limits(app_ctx: AppContext, targets: list[Target], jobs: int) -> dict[str, int]:
    """Per-provider concurrency: `[providers.NAME] concurrency = N`; the local model runs one."""
    limits = {}
    for t in targets:
        cfg = app_ctx.settings.provider_config(t.provider_name)
        default = 1 if t.provider.name == "local" else jobs
        limits[t.provider_name] = int(cfg.get("concurrency", default))
    return limits


def _open_input(source: str) -> BinaryIO:
    from llmcli.core.errors import InvalidInput

    path = Path(source).expanduser()
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise InvalidInput(
            f"input file {source} not found", hint="give a path, or - for stdin"
        ) from None
    except IsADirectoryError:
        raise InvalidInput(f"input {source} is a directory", hint="give a file") from None
    except OSError as exc:
        raise InvalidInput(f"cannot read {source}: {exc.strerror or exc}") from None


def _exit(
    app_ctx: AppContext, runner: BatchRunner, stats: BatchStats, output: Path | None, no_log: bool
) -> int:
    """Decide the exit status; say what was done when the run ended early."""
    from llmcli.batch.plan import outcome_error
    from llmcli.batch.summary import plural
    from llmcli.core.errors import Interrupted, InvalidInput, OutputClosed, StorageError
    from llmcli.ui.console import warn_line

    env = app_ctx.env
    logged = "" if no_log else f"; every call is logged: llmcli logs list --batch {stats.batch_id}"
    again = f"run again with --resume -O {output}" if output else "use -O FILE to resume"
    err = runner.output_error
    if err is not None:
        done = (f"{plural(stats.written, 'record')} written, "
                f"{stats.unwritten:,} more finished but not written")
        if output is None:
            _silence_stdout(env)  # what is left in its buffer can never be written
        if err.closed_pipe and output is None:
            closed = f"output closed after {plural(stats.written, 'record')}; stopped{logged}"
            warn_line(env, closed)
            return OutputClosed.exit_code
        err.hint = f"{done}; {again}"
        raise err
    if runner.interrupted:
        raise Interrupted("interrupted", hint=f"{plural(stats.written, 'record')} written; {again}")
    if runner.config.strict and stats.stopped:
        hint = f"{plural(stats.written, 'record')} written; fix the line and {again}"
        raise InvalidInput(f"stopped at {stats.stopped}", hint=hint)
    err = outcome_error(stats, output=output)
    if err is not None:
        raise err
    if runner.log_error is not None:  # every record was written; the log is what failed
        raise StorageError(f"the batch's calls were not logged: {runner.log_error.message}",
                           hint=runner.log_error.hint)
    return 0


def _silence_stdout(env: Environment) -> None:
    """The reader left: point fd 1 at /dev/null so the interpreter's last flush stays quiet."""
    import os

    try:
        fd = env.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)
    except OSError:
        pass
