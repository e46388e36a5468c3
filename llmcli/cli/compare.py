"""`llmcli compare`: models and prompts side by side, asked at once, measured."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from llmcli.cli import tool_flags as tf
from llmcli.cli.app import app
from llmcli.cli.context import TIMEOUT_HELP, app_context
from llmcli.cli.exchange_flags import cache_option
from llmcli.cli.flags import PROMPT_ARG_HELP, jobs_option, key_option
from llmcli.cli.input_options import attach_option, fragment_option, system_fragment_option
from llmcli.cli.schema_input import SCHEMA_HELP, SCHEMA_MULTI_HELP

if TYPE_CHECKING:
    from llmcli.app_context import AppContext
    from llmcli.compare.comparison import CellState, ComparisonResult
    from llmcli.core.errors import LlmcliError
    from llmcli.core.registry import ModelRef
    from llmcli.environment import Environment

DEFAULT_CONCURRENCY = 4


_HELP = {
    "model": "A model to ask (repeat: -m A -m B).",
    "prompt": "Another prompt (repeatable): a grid of prompts x models.",
    "template": "Ask through a template (repeatable): compare techniques.",
    "option": "Option key=value, for every model.",
    "runs": "Ask each cell N times: medians, spread and agreement.",
    "json": "One JSON document with every cell's measurements.",
    "jobs": "Requests at once per provider (default 4, or the config's concurrency).",
}


@app.command()
def compare(
    ctx: typer.Context,
    timeout: float | None = typer.Option(None, "--timeout", min=0.001, max=3600,
                                         help=TIMEOUT_HELP),
    key: str | None = key_option(),
    text: str | None = typer.Argument(None, help=PROMPT_ARG_HELP),
    model: list[str] = typer.Option(..., "-m", "--model", help=_HELP["model"]),
    prompts: list[str] | None = typer.Option(None, "-p", "--prompt", help=_HELP["prompt"]),
    templates: list[str] | None = typer.Option(None, "-t", "--template", help=_HELP["template"]),
    system: str | None = typer.Option(None, "-s", "--system", help="System prompt."),
    option: list[str] | None = typer.Option(None, "-o", "--option", help=_HELP["option"]),
    runs: int = typer.Option(1, "--runs", min=1, max=100, help=_HELP["runs"]),
    diff: bool = typer.Option(False, "--diff", help="Show a word-level diff of two replies."),
    blind: bool = typer.Option(False, "--blind", help="Hide the models as A, B, C...; then vote."),
    as_json: bool = typer.Option(False, "--json", help=_HELP["json"]),
    as_jsonl: bool = typer.Option(False, "--jsonl", help="One JSON record per cell."),
    as_markdown: bool = typer.Option(False, "--markdown", help="A Markdown table for a report."),
    jobs: int | None = jobs_option(None, high=64, help=_HELP["jobs"]),
    concurrency: int | None = typer.Option(None, "--concurrency", min=1, max=64, hidden=True),
    no_log: bool = typer.Option(False, "--no-log", help="Do not record the exchanges."),
    rag: str | None = typer.Option(
        None, "--rag", help="Ask with passages from this index (the same for every model)."
    ),
    rag_top: int = typer.Option(4, "--rag-top", min=1, max=50, help="Passages to retrieve."),
    fragment: list[str] | None = fragment_option(),
    system_fragment: list[str] | None = system_fragment_option(),
    attach: list[str] | None = attach_option(),
    cache: bool = cache_option(),
    tool: list[str] | None = tf.tool_option(),
    functions: list[Path] | None = tf.functions_option(),
    chain_limit: int = tf.chain_limit_option(),
    tools_timeout: float = tf.timeout_option(),
    schema: str | None = typer.Option(None, "--schema", help=SCHEMA_HELP),
    schema_multi: str | None = typer.Option(None, "--schema-multi", help=SCHEMA_MULTI_HELP),
) -> None:
    """Ask several models at once and compare the replies, with time to first token, total
    time, tokens, tokens/s and cost per model.

    Example: llmcli compare "Explain RAG in one line" -m groq -m gemini -m local
    """
    from llmcli.cli.inputs import read_stdin
    from llmcli.compare import setup
    from llmcli.compare.grid import build_grid, column_labels
    from llmcli.core.errors import InvalidInput
    from llmcli.core.options import parse_pairs

    app_ctx = app_context(ctx, key, timeout=timeout)
    env = app_ctx.env
    machine = sum((as_json, as_jsonl, as_markdown))
    if machine > 1:
        raise InvalidInput("--json, --jsonl and --markdown are exclusive", hint="pick one")
    if blind:
        _check_blind(env, len(model), runs, machine)
    from llmcli.cli.input_options import read_inputs

    inputs = read_inputs(app_ctx, fragment, system_fragment, attach)
    texts = setup.prompt_texts(None if inputs.stdin_used else read_stdin(env), text,
                               prompts or [])
    if rag is not None:
        from llmcli.compare.rag_rows import rag_variants
        from llmcli.ui.console import warn_line

        variants, notes = rag_variants(app_ctx, rag, texts, templates or [], system=system,
                                       top=rag_top)
        for note in notes:
            warn_line(env, note)
    else:
        variants = setup.build_variants(texts, templates or [], system=system, paths=app_ctx.paths)
    refs = [app_ctx.registry.resolve(m) for m in model]
    labels = column_labels(refs)
    blind_map: dict[str, str] = {}
    if blind:
        refs, labels, blind_map = _blind_columns(refs)
    user_options = parse_pairs(option)
    json_schema = _schema(app_ctx, refs, schema, schema_multi)
    targs = tf.ToolArgs(tool, functions, chain_limit, timeout=tools_timeout)
    if targs.wanted:
        from llmcli.exchange.request import check_tools

        for ref in refs:  # refused before any MCP server is started
            check_tools(ref)
    with tf.open_tools(app_ctx, targs) if targs.wanted else nullcontext() as tool_set:
        tools = None
        if tool_set is not None:  # calls run silently: the live grid owns the screen
            from llmcli.exchange.tool_loop import ToolSession

            tools = ToolSession(tool_set.toolbox, chain_limit=chain_limit)
        make_request = setup.request_builder(
            variants, refs, user_options, fragments=inputs.fragments,
            attachments=inputs.attachments, tools=tool_set.toolbox.specs if tool_set else None,
            schema=json_schema)
        cells = build_grid(variants, refs, runs)
        result, grid, log_failed = run_grid(
            app_ctx, cells, refs, make_request, [v.label for v in variants], labels,
            concurrency=jobs or concurrency, machine=bool(machine), no_log=no_log, cache=cache,
            options=user_options, tools=tools, blind=blind,
            stream=json_schema is None)  # a document is checked whole, as prompt --schema does
    _report(env, result, grid, runs=runs, diff=diff, json_doc=as_json, jsonl=as_jsonl,
            markdown=as_markdown, prompts=[v.text for v in variants])
    if blind and not result.interrupted:
        _vote(app_ctx, result, grid, blind_map)
    if not no_log and not log_failed and env.stderr_isatty:  # last, as batch says its id
        cid = result.comparison_id
        env.stderr.write(f"comparison {cid} logged: llmcli logs list --comparison {cid}\n")
        env.stderr.flush()
    _exit_status(env, result, log_failed)


def run_grid(app_ctx: AppContext, cells: list[Any], refs: list[ModelRef], make_request: Any,
             row_labels: list[str], column_labels: list[str], *, concurrency: int | None,
             machine: bool, no_log: bool, cache: bool, options: dict[str, Any] | None = None,
             tools: Any = None, blind: bool = False,
             stream: bool = True) -> tuple[Any, Any, list[LlmcliError]]:
    """Run a grid of cells concurrently with the live view (unless the output is for a
    machine), logging each cell: compare's run, shared with `logs rerun -m A -m B`."""
    from llmcli.compare.comparison import Comparison
    from llmcli.store.logs import new_id
    from llmcli.ui.compare_view import CompareView, Grid

    per_provider, budgets = _limits(app_ctx, refs, concurrency)
    comparison = Comparison(
        cells, providers=_providers(app_ctx, refs), make_request=make_request,
        comparison_id=new_id(), per_provider=per_provider, budgets=budgets,
        policy=app_ctx.retry_policy, options=options, tools=tools,
        cached=_cache_lookup(app_ctx) if cache else None,
        stream=stream,
    )
    grid = Grid(comparison.states, row_labels, column_labels, blind=blind)
    view = CompareView(app_ctx.env, grid) if not machine else None  # starts at the first tick
    try:
        log_failed: list[LlmcliError] = []
        log = None if no_log else _logger(app_ctx, comparison.comparison_id, log_failed)
        result = comparison.run(log=log,
                                on_tick=view.refresh if view is not None else None)
    finally:
        if view is not None:
            view.stop()
    return result, grid, log_failed


def _schema(app_ctx: AppContext, refs: list[ModelRef], schema: str | None,
            multi: str | None) -> dict[str, Any] | None:
    """`--schema`/`--schema-multi` as prompt reads them; a model without a native mode is
    named once (its cells are asked in the prompt, then validated)."""
    from llmcli.cli.schema_input import load_schema, saved
    from llmcli.exchange.request import schema_native
    from llmcli.ui.console import warn_line

    json_schema = load_schema(schema, multi, saved(app_ctx))
    if json_schema is not None:
        for ref in dict.fromkeys(refs):
            if not schema_native(ref):
                warn_line(app_ctx.env, f"{ref.provider}:{ref.model} has no native structured "
                          "output; asking for JSON in the prompt and validating the reply")
    return json_schema


def _check_blind(env: Environment, n_models: int, runs: int, machine: int) -> None:
    from llmcli.core.errors import InvalidInput

    if n_models < 2:
        raise InvalidInput(
            "--blind needs at least two models", hint="e.g. -m groq -m gemini --blind"
        )
    if runs > 1 or machine:
        raise InvalidInput("--blind is for one run read by a person",
                           hint="drop --runs, --json, --jsonl and --markdown")
    if not env.stdin_isatty:
        from llmcli.cli.vote_input import open_terminal

        open_terminal(env).close()  # fail now, not after the models have answered


def _blind_columns(refs: list[ModelRef]) -> tuple[list[ModelRef], list[str], dict[str, str]]:
    """The models in a random order, labelled A, B, C...; and which label hides which model."""
    from llmcli.compare.elo import blind_labels
    from llmcli.compare.setup import blind_order
    from llmcli.core.errors import InvalidInput

    if len({str(r) for r in refs}) < len(refs):
        raise InvalidInput("--blind needs different models", hint="each -m once")
    refs = [refs[i] for i in blind_order(len(refs))]
    labels = blind_labels(len(refs))
    return refs, labels, dict(zip(labels, (str(r) for r in refs), strict=True))


def _providers(app_ctx: AppContext, refs: list[ModelRef]) -> dict[str, Any]:
    """One instance per provider; a provider that cannot be built (no key) fails its cells."""
    from llmcli.core.errors import LlmcliError

    out: dict[str, Any] = {}
    for ref in refs:
        if ref.provider in out:
            continue
        try:
            out[ref.provider] = app_ctx.registry.provider(ref)
        except LlmcliError as exc:
            out[ref.provider] = exc
    return out


def _limits(app_ctx: AppContext, refs: list[ModelRef], concurrency: int | None):
    """Per-provider concurrency (-j/--jobs, else [providers.X] concurrency, else 4) and
    request/token budgets per minute from the config ([providers.X] rpm, tpm)."""
    from llmcli.core.scheduler import RateBudget

    per: dict[str, int] = {}
    budgets: dict[str, RateBudget] = {}
    for ref in refs:
        cfg = app_ctx.settings.provider_config(ref.provider)
        per[ref.provider] = concurrency or int(cfg.get("concurrency", DEFAULT_CONCURRENCY))
        rpm, tpm = cfg.get("rpm"), cfg.get("tpm")
        if (rpm or tpm) and ref.provider not in budgets:
            budgets[ref.provider] = RateBudget(int(rpm) if rpm else None, int(tpm) if tpm else None)
    return per, budgets


def _cache_lookup(app_ctx: AppContext):
    """--cache: a cell's identical earlier request answered from the log."""
    from llmcli.exchange.cache import lookup

    return lambda cell, request: lookup(app_ctx.logs, cell.ref.provider, request)


def _logger(app_ctx: AppContext, comparison_id: str, failed: list[LlmcliError]):
    """Log each cell as it finishes; a log that cannot be written is reported once (and
    kept in `failed`: the comparison then exits 12, like every command that cannot log)."""
    from llmcli.core.errors import StorageError
    from llmcli.exchange.record import log_exchange

    def log(state: CellState) -> int | None:
        if failed or state.request is None or state.response is None:
            return None
        # A multi-call cell logs each of its calls; the cell points at the last one.
        calls = [(c.request, c.response) for c in state.calls]
        try:
            log_id = None
            for request, response in calls or [(state.request, state.response)]:
                log_id = log_exchange(app_ctx.logs, request, response,
                                      comparison_id=comparison_id,
                                      template=state.cell.variant.template,
                                      asked=None if state.calls else state.asked)
            return log_id
        except StorageError as exc:
            failed.append(StorageError(f"the comparison was not logged: {exc.message}",
                                       hint=exc.hint))
            return None

    return log


def _report(env: Environment, result: ComparisonResult, grid: Any, *, runs: int, diff: bool,
            json_doc: bool, jsonl: bool, markdown: bool, prompts: list[str]) -> None:
    from llmcli.compare import report
    from llmcli.compare.stats import pair_stats
    from llmcli.ui import compare_report as ui
    from llmcli.ui.compare_table import markdown_report, print_measurements
    from llmcli.ui.compare_view import print_replies
    from llmcli.ui.tables import print_json, print_jsonl

    stats = pair_stats(result.cells) if runs > 1 else None
    diffs = report.diffs(result.cells) if diff else None
    titles = {s.cell.index: grid.title(s) for s in result.cells}
    if json_doc:
        doc = report.json_document(result, stats=stats, diff_results=diffs, titles=titles)
        print_json(env, doc)
        return
    if jsonl:
        cid = result.comparison_id
        print_jsonl(env, ({"comparison_id": cid, **s.record()} for s in result.cells))
        return
    if markdown:
        env.stdout.write(markdown_report(grid, prompts))
        env.stdout.flush()
        return
    print_replies(env, grid)
    if grid.blind:  # the measurements would tell the models apart: shown after the vote
        return
    ui.print_tool_calls(env, result.cells, titles)
    if stats is None:
        print_measurements(env, grid)
    else:  # every run's figures are in --json; the terminal gets medians and spread
        ui.print_stats(env, stats, show_prompt=len(grid.row_labels) > 1)
    for d in diffs or []:
        left, right = titles[d.left.cell.index], titles[d.right.cell.index]
        ui.print_diff(env, left, right, d.chunks, d.similarity)


def _vote(
    app_ctx: AppContext, result: ComparisonResult, grid: Any, blind_map: dict[str, str]
) -> None:
    """One vote per prompt: read from the terminal, stored, then the models revealed."""
    from llmcli.cli.vote_input import ask_vote
    from llmcli.store.votes import VoteStore
    from llmcli.ui.compare_report import print_reveal
    from llmcli.ui.compare_table import print_measurements
    from llmcli.ui.compare_view import Grid

    store = VoteStore(app_ctx.logs)
    labels = list(blind_map)
    for row, row_label in enumerate(grid.row_labels):
        answered = [s for s in result.cells if s.cell.row == row and s.response and s.response.text]
        if len(answered) < 2:
            continue
        where = f" for {row_label}" if len(grid.row_labels) > 1 else ""
        choice = ask_vote(app_ctx.env, labels, where)
        if choice is None or choice == "skip":
            app_ctx.env.stdout.write("no vote recorded\n")
        else:
            winner = None if choice == "tie" else blind_map[choice]
            store.add(labels=blind_map, winner=winner, comparison_id=result.comparison_id,
                      prompt=answered[0].cell.variant.prompt)
        print_reveal(app_ctx.env, blind_map, choice)
    revealed = [blind_map[label] for label in grid.column_labels]  # named, after the reveal
    print_measurements(app_ctx.env, Grid(grid.states, grid.row_labels, revealed))


def _exit_status(env: Environment, result: ComparisonResult,
                 log_failed: list[LlmcliError]) -> None:
    """Ctrl-C exits 130; any failed cell (an error, a stream broken mid-reply) fails the
    comparison by the one rule for many exchanges (exchange/outcome.py)."""
    from llmcli.core.errors import Interrupted
    from llmcli.exchange.outcome import some_failed

    if result.interrupted:
        raise Interrupted("interrupted", hint="what arrived was kept and logged as interrupted")
    failed = result.failures
    errors = [s.error for s in failed if s.error is not None]
    first = f"{failed[0].cell.model}: {errors[0].one_line()}" if errors else None
    err = some_failed(errors, len(result.cells), "cells", first=first)
    if err is not None:
        if log_failed:
            from llmcli.ui.console import warn_line

            warn_line(env, log_failed[0].one_line())
        raise err
    if log_failed:  # every reply was shown; the log is what failed
        raise log_failed[0]
