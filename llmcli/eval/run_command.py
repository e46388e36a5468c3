"""One `llmcli eval` run from start to stored result, and the exit status it earns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from llmcli.core.errors import InvalidInput

if TYPE_CHECKING:
    from llmcli.app_context import AppContext
    from llmcli.eval.session import Settings
    from llmcli.eval.suite import Suite


@dataclass
class EvalResult:
    run: dict[str, Any]
    records: list[dict[str, Any]]
    interrupted: bool
    note: str | None = None


def stored(app_ctx: AppContext, ref: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A stored run and its records; an unknown or ambiguous id is one line (exit 2)."""
    from llmcli.store.eval_runs import EvalStore

    store = EvalStore(app_ctx.logs)
    run = store.run(ref)
    if run is None:
        raise InvalidInput(f"no eval run '{ref}' (or the prefix names several)",
                           hint="see 'llmcli eval runs'")
    return run, store.results(run["id"])


def run(app_ctx: AppContext, suite: Suite, settings: Settings, *, jobs: int, cache: bool,
        resume: str | None, filter_failing: str | None,
        on_progress: Callable[[int], Any] | None = None) -> EvalResult:
    from llmcli.eval import session
    from llmcli.eval.cache import Exchanges
    from llmcli.eval.cell_loop import EvalRunner
    from llmcli.store.eval_runs import EvalStore, ReplyCache
    from llmcli.store.logs import new_id

    store = EvalStore(app_ctx.logs)
    skip: set[tuple[str, str, str, int]] = set()
    if resume is not None:
        previous, done = stored(app_ctx, resume)
        if previous["digest"] != suite.digest:
            raise InvalidInput(f"{suite.path} changed since run {previous['id']} started",
                               hint="run it as a new eval (drop --resume)")
        settings = type(settings)(**previous["settings"])
        run_id = previous["id"]
        skip = session.done_cells_of(done)
    else:
        run_id = new_id()
    wanted = None
    if filter_failing is not None:
        _, earlier = stored(app_ctx, filter_failing)
        wanted = {(r["prompt"], r["model"], r["case_key"], r["repeat"]) for r in earlier
                  if not r["passed"]}
    plan = session.plan(app_ctx, suite, settings)
    reply_cache = ReplyCache(app_ctx.logs.path)
    exchanges = Exchanges(plan.providers, cache=reply_cache, policy=app_ctx.retry_policy,
                          read_cache=cache)
    session.attach_graders(app_ctx, plan, suite, settings, exchanges.ask)
    cells = session.keep_only(plan, wanted, skip)
    if wanted is not None and not cells:
        raise InvalidInput(f"run {filter_failing} has no failing cell this suite still has",
                           hint="nothing to rerun")
    if resume is None:
        store.create(run_id, suite=suite.path, digest=suite.digest,
                     description=suite.description, prompts=[r.label for r in plan.rows],
                     models=[m.label for m in plan.models], repeat=settings.repeat,
                     cells=len(cells), settings=settings.as_dict())
    progress = on_progress(len(cells)) if on_progress is not None else None

    def on_result(cell: Any, rec: dict[str, Any]) -> None:
        store.add_result(run_id, rec)
        if progress is not None:
            progress.add(rec)
            progress.tick()

    runner = EvalRunner(plan.rows, plan.models, cells, options=plan.options,
                        exchanges=exchanges, graders=plan.graders, jobs=jobs,
                        per_provider=_limits(app_ctx, plan.models))
    try:
        outcome = runner.run(on_result=on_result,
                             on_tick=progress.tick if progress is not None else None)
    finally:
        if progress is not None:
            progress.close()
        reply_cache.close()
    store.finish(run_id, "interrupted" if outcome.interrupted else "complete")
    found, records = stored(app_ctx, run_id)
    found["wall"] = round(outcome.wall, 4)  # this invocation's, first cell to last
    note = None
    if exchanges.hits:
        note = f"{exchanges.hits:,} replies from the cache, {exchanges.asked:,} asked"
    return EvalResult(found, records, outcome.interrupted, note)


def _limits(app_ctx: AppContext, models: list[Any]) -> dict[str, int]:
    """[providers.X] concurrency from the config, where set."""
    out: dict[str, int] = {}
    for m in models:
        value = app_ctx.settings.provider_config(m.ref.provider).get("concurrency")
        if value:
            out[m.ref.provider] = int(value)
    return out


def exit_status(outcome: EvalResult, pass_rate: float) -> None:
    """Ctrl-C: 130 (what finished is kept). Failed exchanges: the rule for many exchanges
    (exchange/outcome.py). Else 17 when some prompt x model passed less than `pass_rate`."""
    from llmcli.core.errors import Interrupted, LlmcliError, ThresholdFailed
    from llmcli.eval.report import matrix
    from llmcli.exchange.outcome import some_failed

    run, records = outcome.run, outcome.records
    if outcome.interrupted:
        raise Interrupted("interrupted", hint=f"finished cells were kept; resume with "
                                              f"'llmcli eval {run['suite']} --resume {run['id']}'")
    errored = [r for r in records if r.get("error")]
    if errored:
        errors = []
        for r in errored:
            err = LlmcliError(r["error"])
            err.exit_code = int(r.get("error_code") or 1)
            err.kind = r.get("error_kind") or "error"
            errors.append(err)
        first = f"{errored[0]['model']}: {errored[0]['error']}"
        raise some_failed(errors, len(records), "cells", first=first) or errors[0]
    below = [a for a in matrix(records, run["prompts"], run["models"])
             if a.total and a.rate < pass_rate]
    if below:
        worst = min(below, key=lambda a: a.rate)
        raise ThresholdFailed(
            f"{len(below)} of {len([a for a in matrix(records) if a.total])} prompt x model "
            f"passed less than {pass_rate:.0%}; lowest {worst.prompt} · {worst.model} "
            f"{worst.passed}/{worst.total}",
            hint="see the failures above, or set --pass-rate")
