"""`llmcli logs rerun ID [-m MODEL ...]`: a logged prompt asked again, on its own model or on
others; several -m run as a compare."""

from __future__ import annotations

import typer

from llmcli.cli.context import KEY_HELP, TIMEOUT_HELP, app_context
from llmcli.cli.exchange_flags import cache_option, hide_reasoning_option
from llmcli.cli.logs import logs_app


@logs_app.command("rerun")
def logs_rerun(
    ctx: typer.Context,
    exchange_id: int = typer.Argument(..., help="The exchange's id (see 'llmcli logs list')."),
    model: list[str] | None = typer.Option(
        None, "-m", "--model", help="Ask this model instead (repeat: several run as a compare)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object (a compare's document "
                                 "with several -m)."),
    no_stream: bool = typer.Option(False, "--no-stream", help="Wait for the whole reply."),
    plain: bool = typer.Option(False, "--plain", help="No Markdown rendering in a terminal."),
    no_log: bool = typer.Option(False, "--no-log", help="Do not record the new exchange(s)."),
    hide_reasoning: bool = hide_reasoning_option(),
    cache: bool = cache_option(),
    timeout: float | None = typer.Option(None, "--timeout", min=0.001, max=3600,
                                         help=TIMEOUT_HELP),
    key: str | None = typer.Option(None, "--key", help=KEY_HELP),
) -> None:
    """Ask a logged prompt again: same messages, options and schema.

    Examples: llmcli logs rerun 12 | llmcli logs rerun 12 -m groq -m gemini
    """
    from llmcli.exchange.rerun import read_logged, rerun_request
    from llmcli.ui.console import warn_line

    app_ctx = app_context(ctx, key, timeout=timeout)
    env = app_ctx.env
    logged = read_logged(app_ctx.logs, exchange_id)
    specs = list(model or [logged.model])
    refs = [app_ctx.registry.resolve(m) for m in specs]

    def warn(line: str) -> None:
        warn_line(env, line)

    requests = [rerun_request(ref, logged, warn) for ref in refs]  # all checked before asking
    if len(refs) == 1:
        return _one(app_ctx, refs[0], requests[0], logged, as_json=as_json,
                    no_stream=no_stream, plain=plain, no_log=no_log,
                    hide_reasoning=hide_reasoning, cache=cache)
    _several(app_ctx, refs, requests, logged, as_json=as_json, no_log=no_log, cache=cache)


def _one(app_ctx, ref, request, logged, *, as_json: bool, no_stream: bool, plain: bool,
         no_log: bool, hide_reasoning: bool, cache: bool) -> None:
    from llmcli.cli.prompt import send_prompt
    from llmcli.cli.template_run import PromptArgs

    args = PromptArgs(None, None, None, None, str(ref), None, None, no_stream=no_stream,
                      as_json=as_json, plain=plain, no_log=no_log,
                      hide_reasoning=hide_reasoning, cache=cache)
    if logged.schema is not None:
        from llmcli.cli.structured import send_and_print

        return send_and_print(app_ctx, ref, request, args)
    send_prompt(app_ctx, ref, request, args)


def _several(app_ctx, refs, requests, logged, *, as_json: bool, no_log: bool,
             cache: bool) -> None:
    from llmcli.cli.compare import _exit_status, _report, run_grid
    from llmcli.compare.grid import PromptVariant, build_grid, column_labels

    label = f"#{logged.exchange_id}"
    variant = PromptVariant(label, logged.prompt, tuple(logged.messages))
    cells = build_grid([variant], refs, 1)
    by_column = dict(enumerate(requests))
    result, grid, log_failed = run_grid(
        app_ctx, cells, refs, lambda cell: by_column[cell.column], [label],
        column_labels(refs), concurrency=None, machine=as_json, no_log=no_log, cache=cache)
    _report(app_ctx.env, result, grid, runs=1, diff=False, json_doc=as_json, jsonl=False,
            markdown=False, prompts=[logged.prompt])
    _exit_status(app_ctx.env, result, log_failed)
