"""`llmcli eval SUITE`: prompts x models x test cases graded by assertions, with honest
statistics; and `eval runs`, `eval show RUN`, `eval diff RUN_A RUN_B`.

`eval` keeps its positional suite file; when the first argument is one of the subcommands'
names and no file of that name exists, the rest of the line goes to the `runs_app` group
(as `batch jobs` does).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperCommand

from llmcli.cli.app import app
from llmcli.cli.context import TIMEOUT_HELP, app_context
from llmcli.cli.flags import key_option

if TYPE_CHECKING:
    from llmcli.environment import Environment

SUBCOMMANDS = ("runs", "show", "diff")
_HELP = {
    "model": "A model to ask (repeatable); replaces the suite's providers.",
    "repeat": "Ask each cell N times (pass rates over every repetition).",
    "jobs": "Requests at once, over every provider.",
    "grader": "Model that grades llm-rubric assertions without a provider of their own.",
    "embedder": "Embedding model for 'similar' assertions (default: local).",
    "no_cache": "Ask again what the reply cache has (and cache the new replies).",
    "resume": "Finish an interrupted or killed run (same suite, same flags).",
    "filter_failing": "Run only the cells that failed in this run.",
    "pass_rate": "Exit 17 when a prompt x model passes less than this (0-1; default 1: all).",
    "junit": "Also write JUnit XML to this file (for CI).",
}


class EvalCommand(TyperCommand):
    """The eval run, or a subcommand when the first argument names one."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        if args and args[0] in SUBCOMMANDS and not Path(args[0]).exists():
            ctx.meta["llmcli.eval.subcommand"] = list(args)
            return []
        return super().parse_args(ctx, args)

    def invoke(self, ctx: typer.Context) -> object:
        sub = ctx.meta.get("llmcli.eval.subcommand")
        if sub is None:
            return super().invoke(ctx)
        group = typer.main.get_command(runs_app)
        subctx = group.make_context("eval", list(sub), parent=ctx.parent or ctx)
        with subctx:
            result = group.invoke(subctx)
        return result if isinstance(result, int) else 0


runs_app = typer.Typer(add_completion=False, no_args_is_help=True,
                       context_settings={"help_option_names": ["-h", "--help"]})


@app.command("eval", cls=EvalCommand)
def eval_suite(
    ctx: typer.Context,
    suite: Path = typer.Argument(..., metavar="SUITE", help="The suite (promptfoo-style YAML)."),
    model: list[str] | None = typer.Option(None, "-m", "--model", help=_HELP["model"]),
    repeat: int = typer.Option(1, "--repeat", min=1, max=100, help=_HELP["repeat"]),
    jobs: int = typer.Option(8, "-j", "--jobs", min=1, max=256, help=_HELP["jobs"]),
    option: list[str] | None = typer.Option(None, "-o", "--option",
                                            help="Option key=value, for every model."),
    grader: str | None = typer.Option(None, "--grader", help=_HELP["grader"]),
    embedder: str | None = typer.Option(None, "--embedder", help=_HELP["embedder"]),
    no_cache: bool = typer.Option(False, "--no-cache", help=_HELP["no_cache"]),
    resume: str | None = typer.Option(None, "--resume", metavar="RUN", help=_HELP["resume"]),
    filter_failing: str | None = typer.Option(None, "--filter-failing", metavar="RUN",
                                              help=_HELP["filter_failing"]),
    pass_rate: float = typer.Option(1.0, "--pass-rate", min=0, max=1, help=_HELP["pass_rate"]),
    as_json: bool = typer.Option(False, "--json", help="One JSON document: matrix, tests, cells."),
    as_jsonl: bool = typer.Option(False, "--jsonl", help="One JSON record per cell."),
    as_markdown: bool = typer.Option(False, "--markdown", help="A Markdown report."),
    junit: Path | None = typer.Option(None, "--junit", metavar="FILE", help=_HELP["junit"]),
    key: str | None = key_option(),
    timeout: float | None = typer.Option(None, "--timeout", min=0.001, max=3600,
                                         help=TIMEOUT_HELP),
) -> None:
    """Run a test suite: every prompt (or template) x model x test case, graded by its
    assertions; pass rates with Wilson 95% intervals, paired differences tested.

    Example: llmcli eval suite.yaml -m groq -m gemini --repeat 3

    Stored runs: llmcli eval runs | eval show RUN | eval diff RUN_A RUN_B
    """
    from llmcli.core.errors import InvalidInput
    from llmcli.core.options import parse_pairs
    from llmcli.eval import run_command
    from llmcli.eval.session import Settings
    from llmcli.eval.suite import load_suite

    app_ctx = app_context(ctx, key, timeout=timeout)
    _exclusive(as_json, as_jsonl, as_markdown)
    if resume and (model or repeat != 1 or option or filter_failing):
        raise InvalidInput("--resume runs with the flags the run was started with",
                           hint=f"drop -m, --repeat, -o and --filter-failing: "
                                f"llmcli eval {suite} --resume {resume}")
    settings = Settings(models=list(model or []), repeat=repeat, options=parse_pairs(option),
                        grader=grader, embedder=embedder)
    loaded = load_suite(suite)
    outcome = run_command.run(app_ctx, loaded, settings, jobs=jobs, cache=not no_cache,
                              resume=resume, filter_failing=filter_failing,
                              on_progress=_progress(app_ctx.env))
    _output(app_ctx.env, outcome.run, outcome.records, as_json, as_jsonl, as_markdown, junit,
            note=outcome.note)
    run_command.exit_status(outcome, pass_rate)


def _progress(env: Environment) -> Any:
    def make(total: int) -> Any:
        from llmcli.ui.eval_view import Progress

        return Progress(env, total)

    return make


def _exclusive(*flags: bool) -> None:
    from llmcli.core.errors import InvalidInput

    if sum(flags) > 1:
        raise InvalidInput("--json, --jsonl and --markdown are exclusive", hint="pick one")


def _output(env: Environment, run: dict[str, Any], records: list[dict[str, Any]],
            as_json: bool, as_jsonl: bool, as_markdown: bool, junit: Path | None,
            note: str | None = None) -> None:
    from llmcli.eval import report

    if junit is not None:
        _write_junit(junit, report.junit(run, records))
    if as_json:
        from llmcli.ui.tables import print_json

        print_json(env, report.document(run, records))
    elif as_jsonl:
        from llmcli.ui.tables import print_jsonl

        print_jsonl(env, ({"run_id": run["id"], **r} for r in records))
    elif as_markdown:
        env.stdout.write(report.markdown(run, records))
        env.stdout.flush()
    else:
        from llmcli.ui.eval_view import print_report

        print_report(env, run, records, note=note)


def _write_junit(path: Path, text: str) -> None:
    from llmcli.core.errors import InvalidInput, output_failure

    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        failure = output_failure(exc, str(path))
        if failure is not None:
            raise failure from None
        raise InvalidInput(f"cannot write {path}: {exc.strerror}",
                           hint="check the folder exists and is writable") from None


@runs_app.command("runs")
def runs_cmd(
    ctx: typer.Context,
    limit: int = typer.Option(20, "-n", "--top", min=1, max=10_000, help="How many, newest first."),
    as_json: bool = typer.Option(False, "--json", help="A JSON list."),
) -> None:
    """List eval runs, newest first."""
    from llmcli.store.eval_runs import EvalStore

    app_ctx = app_context(ctx)
    runs = EvalStore(app_ctx.logs).runs(limit)
    if as_json:
        from llmcli.ui.tables import print_json

        print_json(app_ctx.env, runs)
        return
    from llmcli.ui.eval_view import print_runs

    print_runs(app_ctx.env, runs)


@runs_app.command("show")
def show_cmd(
    ctx: typer.Context,
    run: str = typer.Argument(..., metavar="RUN", help="A run id (or a prefix), or 'last'."),
    as_json: bool = typer.Option(False, "--json", help="One JSON document."),
    as_jsonl: bool = typer.Option(False, "--jsonl", help="One JSON record per cell."),
    as_markdown: bool = typer.Option(False, "--markdown", help="A Markdown report."),
    junit: Path | None = typer.Option(None, "--junit", metavar="FILE", help=_HELP["junit"]),
) -> None:
    """Show a stored run: the matrix, the paired differences, the failures."""
    from llmcli.eval.run_command import stored

    app_ctx = app_context(ctx)
    _exclusive(as_json, as_jsonl, as_markdown)
    found, records = stored(app_ctx, run)
    _output(app_ctx.env, found, records, as_json, as_jsonl, as_markdown, junit)


@runs_app.command("diff")
def diff_cmd(
    ctx: typer.Context,
    run_a: str = typer.Argument(..., metavar="RUN_A", help="The earlier run."),
    run_b: str = typer.Argument(..., metavar="RUN_B", help="The later run."),
    as_json: bool = typer.Option(False, "--json", help="One JSON document."),
) -> None:
    """What got better or worse from RUN_A to RUN_B, case by case, with McNemar's test."""
    from llmcli.eval import report
    from llmcli.eval.run_command import stored

    app_ctx = app_context(ctx)
    a, ra = stored(app_ctx, run_a)
    b, rb = stored(app_ctx, run_b)
    diffs = report.diff(ra, rb, prompts=a["prompts"], models=a["models"])
    if as_json:
        from llmcli.ui.tables import print_json

        print_json(app_ctx.env, {"a": a["id"], "b": b["id"],
                                 "arms": [d.as_dict() for d in diffs]})
        return
    from llmcli.ui.eval_view import print_diff

    print_diff(app_ctx.env, a, b, diffs)
