"""Setting up a run from a suite and the command's flags: models resolved, templates loaded,
assertions checked, graders and embedders ready, providers built and warmed up; and what a
resumed or `--filter-failing` run leaves out. Every refusal happens here, before any request."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from llmcli.core.errors import InvalidInput, LlmcliError
from llmcli.eval.assertions import Graders, check_static
from llmcli.eval.plan import Cell, Model, Row, build_cells, validated_options
from llmcli.eval.suite import Suite, check_size

if TYPE_CHECKING:
    from llmcli.app_context import AppContext
    from llmcli.core.options import Options


@dataclass
class Settings:
    """The flags that shape a run (stored with it, so `--resume` runs the same way)."""

    models: list[str] = field(default_factory=list)
    repeat: int = 1
    options: dict[str, Any] = field(default_factory=dict)
    grader: str | None = None
    embedder: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"models": self.models, "repeat": self.repeat, "options": self.options,
                "grader": self.grader, "embedder": self.embedder}


@dataclass
class Plan:
    rows: list[Row]
    models: list[Model]
    cells: list[Cell]
    options: dict[tuple[int, int], Options]
    providers: dict[str, Any]
    graders: Graders


def plan(app_ctx: AppContext, suite: Suite, settings: Settings) -> Plan:
    from llmcli.eval.providers import model_specs

    specs = model_specs(suite.providers, settings.models)
    if not specs:
        raise InvalidInput("the suite names no providers", hint="pass -m MODEL (repeatable)")
    models = []
    for label, spec, opts in specs:
        ref = app_ctx.registry.resolve(spec)
        models.append(Model(label if label != spec else str(ref), ref, opts))
    labels = [m.label for m in models]
    if len(set(labels)) < len(labels):
        raise InvalidInput("the same model is named twice", hint="give each -m once")
    rows = [Row(p, _template(p.template, app_ctx) if p.template else None)
            for p in suite.prompts]
    check_size(len(rows), len(models), len(suite.cases), settings.repeat)
    options = {(r, c): validated_options(row, m, settings.options)
               for r, row in enumerate(rows) for c, m in enumerate(models)}
    check_variables(rows, suite)
    cells = build_cells(rows, models, suite.cases, settings.repeat)
    return Plan(rows, models, cells, options, providers(app_ctx, models), Graders())


def check_variables(rows: list[Row], suite: Suite) -> None:
    """Every prompt's and assertion value's {{var}} set by every case, every template's
    required variables given, every assertion well formed: refused now, not in N cells."""
    from llmcli.templates.sandbox import SourceError, inspect_source

    def names(text: str, what: str) -> frozenset[str]:
        try:
            return inspect_source(text)
        except SourceError as exc:
            raise InvalidInput(f"{what}: {exc}", hint="fix its {{ }} placeholders") from None

    needs = []
    for row in rows:
        if row.template is not None:
            needs.append((row.label, frozenset(row.template.required_variables)))
        else:
            needs.append((row.label, names(row.prompt.text or "", f"prompt '{row.label}'")))
    for case in suite.cases:
        given = set(case.vars)
        for label, wanted in needs:
            missing = sorted(wanted - given)
            if missing:
                raise InvalidInput(f"prompt '{label}' needs {{{{{missing[0]}}}}}, which test "
                                   f"'{case.title}' does not set",
                                   hint="add it to the test's vars (or defaultTest's)")
        for a in case.asserts:
            check_static(a)
            values = a.value if isinstance(a.value, list) else [a.value]
            for v in values:
                if isinstance(v, str) and "{{" in v:
                    missing = sorted(names(v, f"a '{a.type}' value") - given)
                    if missing:
                        raise InvalidInput(f"a '{a.type}' value needs {{{{{missing[0]}}}}}, "
                                           f"which test '{case.title}' does not set",
                                           hint="add it to the test's vars (or defaultTest's)")


def _template(name: str, app_ctx: AppContext) -> Any:
    from llmcli.templates.loader import load_template

    return load_template(name, app_ctx.paths)


def providers(app_ctx: AppContext, models: list[Model]) -> dict[str, Any]:
    """One instance per provider, warmed up; one that cannot be built fails its cells."""
    from llmcli.exchange.drive import warm_up

    out: dict[str, Any] = {}
    for m in models:
        if m.ref.provider in out and not isinstance(out[m.ref.provider], LlmcliError):
            continue
        try:
            out[m.ref.provider] = provider = app_ctx.registry.provider(m.ref)
            warm_up(provider, m.ref.model)
        except LlmcliError as exc:
            out[m.ref.provider] = exc
    return out


def attach_graders(app_ctx: AppContext, p: Plan, suite: Suite, settings: Settings,
                   ask: Any) -> None:
    """Resolve every grader and embedder the suite's assertions name (or the flags give)."""
    from llmcli.eval.graders import ModelGraders

    model_graders = ModelGraders(app_ctx.registry, ask)
    base = Graders(grader=settings.grader, embedder=settings.embedder or "local")
    graders: set[str] = set()
    embedders: set[str] = set()
    for case in suite.cases:
        picker = replace(base, case_provider=case.grader)
        for a in case.asserts:
            spec = picker.pick(a)
            if a.base == "llm-rubric":
                if spec is None:
                    raise InvalidInput("an llm-rubric assertion has no grading model",
                                       hint="pass --grader MODEL, or set provider: on it")
                graders.add(spec)
            elif a.base == "similar" and spec is not None:
                embedders.add(spec)
    for spec in graders:
        ref = model_graders.prepare_grader(spec)
        if ref.provider not in p.providers:
            p.providers.update(providers(app_ctx, [Model(spec, ref)]))
    for spec in embedders:
        model_graders.prepare_embedder(spec)
    p.graders = replace(base, similarity=model_graders.similarity if embedders else None,
                        rubric=model_graders.rubric if graders else None)


def done_cells_of(records: list[dict[str, Any]]) -> set[tuple[str, str, str, int]]:
    """The cells a stored run finished (an errored one is asked again on resume)."""
    return {(r["prompt"], r["model"], r["case_key"], r["repeat"]) for r in records
            if not r.get("error")}


def keep_only(p: Plan, wanted: set[tuple[str, str, str, int]] | None,
              skip: set[tuple[str, str, str, int]]) -> list[Cell]:
    """The cells still to run: not in `skip`, and in `wanted` when given (--filter-failing)."""
    out = []
    for c in p.cells:
        ident = c.identity(p.rows, p.models)
        if ident in skip or (wanted is not None and ident not in wanted):
            continue
        out.append(c)
    return out
