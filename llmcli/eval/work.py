"""One cell on a worker thread: ask (through a template's technique when it has one),
extract the answer, run the assertions. Returns the cell's record; nothing here touches the
screen or the runs database."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from llmcli.core.errors import LlmcliError
from llmcli.eval.assertions import Graders, Reply, check, grade

if TYPE_CHECKING:
    from llmcli.core.messages import Message
    from llmcli.core.options import Options
    from llmcli.core.response import Response
    from llmcli.eval.cache import Exchanges
    from llmcli.eval.plan import Cell, Model, Row


class Answered:
    """What the model said for a cell, over however many calls it took."""

    def __init__(self) -> None:
        self.responses: list[Response] = []
        self.cached = True

    def total(self, name: str) -> Any:
        values = [getattr(r.usage, name) for r in self.responses]
        return None if not values or any(v is None for v in values) else sum(values)

    @property
    def cost(self) -> float | None:
        costs = [r.cost for r in self.responses]
        return None if not costs or any(c is None for c in costs) else sum(costs)

    @property
    def latency(self) -> float | None:
        return sum(r.timings.total for r in self.responses) if self.responses else None


def render_value(value: Any, variables: dict[str, Any]) -> Any:
    """An assertion's value with {{var}} filled in from the case (strings and lists of them)."""
    from llmcli.templates.sandbox import render_source

    if isinstance(value, str) and "{{" in value:
        return render_source(value, variables)
    if isinstance(value, list):
        return [render_value(v, variables) for v in value]
    return value


def run_cell(cell: Cell, row: Row, model: Model, options: Options, exchanges: Exchanges,
             graders: Graders) -> dict[str, Any]:
    """The cell's record: reply, answer, every assertion's verdict, pass, score, usage."""
    from dataclasses import replace

    answered = Answered()
    calls = 0
    graders = replace(graders, case_provider=cell.case.grader)

    def ask(messages: list[Message], opts: dict[str, Any] | Options) -> Response:
        nonlocal calls
        salt = [cell.repeat, calls]
        calls += 1
        response, hit = exchanges.ask(model.ref, messages, opts, salt)
        answered.responses.append(response)
        answered.cached = answered.cached and hit
        return response

    rec: dict[str, Any] = {
        "prompt": row.label, "model": model.label, "case_key": cell.case.key,
        "repeat": cell.repeat, "case_index": cell.case.index, "case_title": cell.case.title,
        "vars": cell.case.vars, "passed": False, "score": 0.0, "reply": None, "answer": None,
        "assertions": [], "error": None,
    }
    try:
        text, answer, extracts = _ask(row, cell, options, ask)
        reply = Reply(text, answer, extracts, answered.latency, answered.cost)
        results = [check(a, reply, render_value(a.value, cell.case.vars), graders)
                   for a in cell.case.asserts]
        passed, score = grade(results, cell.case.threshold)
        rec.update(passed=passed, score=round(score, 4), reply=text, answer=answer,
                   assertions=[r.as_dict() for r in results])
    except LlmcliError as exc:
        rec["error"] = exc.one_line()
        rec["error_code"] = exc.exit_code
        rec["error_kind"] = exc.kind
        rec["reply"] = answered.responses[-1].text if answered.responses else None
    rec.update(latency=answered.latency, cost=answered.cost, calls=len(answered.responses),
               input_tokens=answered.total("input_tokens"),
               output_tokens=answered.total("output_tokens"),
               cached=bool(answered.responses) and answered.cached)
    return rec


def _ask(row: Row, cell: Cell, options: Options, ask: Any) -> tuple[str, str | None, bool]:
    """(reply, extracted answer, whether an extract rule applied)."""
    from llmcli.core.messages import Message

    template = row.template
    if template is None:
        from llmcli.templates.extract import extract_with
        from llmcli.templates.sandbox import RenderError, SourceError, render_source

        try:
            text = render_source(row.prompt.text or "", dict(cell.case.vars))
        except (RenderError, SourceError) as exc:
            from llmcli.core.errors import InvalidInput

            raise InvalidInput(f"prompt '{row.label}': {exc}") from None
        response = ask([Message(role="user", content=text)], options)
        spec = row.prompt.extract
        answer = extract_with(spec, response.text) if spec is not None else None
        return response.text, answer, spec is not None
    from llmcli.templates.render import render
    from llmcli.templates.techniques import run

    names = {v.name for v in template.variables}
    rendered = render(template, {k: v for k, v in cell.case.vars.items() if k in names})

    def ask_template(messages: list[Message], opts: dict[str, Any]) -> Response:
        # the technique's own options (a sample's seed, its temperature) over the cell's
        merged = {**options.set_values(), **opts}
        return ask(messages, merged)

    outcome = run(rendered, ask_template)
    extracts = template.extract is not None or outcome.vote is not None
    return outcome.text, outcome.answer, extracts
