"""Techniques that take more than one call, run on top of `ask(messages, options) -> Response`.

- self-consistency: n sampled replies to the same messages, each answer extracted, then voted;
- least-to-most: one call lists sub-questions, then each is solved in order with the answers
  so far in its prompt, and finally the original problem;
- tree-of-thoughts (tree_of_thoughts.py): thoughts proposed, scored, the best expanded;
- self-refine (self_refine.py): draft, critique, revise;
- everything else (chain-of-draft too): one call.
`ask` is given by the caller (the CLI sends through the runner and logs each call), so these
functions never touch a provider, a terminal or the log themselves.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from llmcli.templates.extract import extract

if TYPE_CHECKING:
    from llmcli.core.messages import Message
    from llmcli.core.response import Response
    from llmcli.templates.model import Template
    from llmcli.templates.render import Rendered
    from llmcli.templates.vote import VoteResult

Ask = Callable[[list["Message"], dict[str, Any]], "Response"]
OnStep = Callable[["Step"], None]
# Several calls at once (self-consistency's samples): the calls, and a callback for each
# response as it arrives (its index); the responses come back in the calls' order.
AskAll = Callable[[list[tuple[list["Message"], dict[str, Any]]],
                   Callable[[int, "Response"], None]], list["Response"]]

MAX_SUBQUESTIONS = 8
# Techniques whose answer takes several calls whatever the samples.
CHAINS = frozenset({"least-to-most", "tree-of-thoughts", "self-refine"})
MULTI_CALL = CHAINS | {"self-consistency"}
SAMPLING_TEMPERATURE = 0.7  # self-consistency needs diverse samples; used when none is set


@dataclass
class Step:
    """One call: what it was for, what was sent, what came back, the answer read from it."""

    # "call", "sample", "decompose", "subquestion", "final" (least-to-most), "propose",
    # "evaluate", "conclude" (tree-of-thoughts), "draft", "critique", "revise" (self-refine)
    kind: str
    label: str
    messages: list[Message]
    response: Response
    answer: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "label": self.label,
            "answer": self.answer,
            "text": self.response.text,
            "log_id": self.response.log_id,
            "usage": self.response.usage.model_dump(),
            "seconds": round(self.response.timings.total, 4),
        }


@dataclass
class Outcome:
    """The result of running a template, with every call it took."""

    technique: str
    steps: list[Step]
    text: str  # the final reply
    answer: str | None  # extracted (or voted) answer; None when the template has no rule
    vote: VoteResult | None = None
    subquestions: list[str] = field(default_factory=list)
    data: Any = None  # the parsed reply for format: json
    tree: list[dict[str, Any]] = field(default_factory=list)  # tree-of-thoughts: each step

    @property
    def calls(self) -> int:
        return len(self.steps)

    def totals(self) -> dict[str, Any]:
        """Summed tokens, cost and time over every call (None when a count is unknown)."""
        def total(values: list[Any]) -> Any:
            return None if any(v is None for v in values) else sum(values)

        rs = [s.response for s in self.steps]
        cost = total([r.cost for r in rs])
        return {
            "calls": len(rs),
            "input_tokens": total([r.usage.input_tokens for r in rs]),
            "output_tokens": total([r.usage.output_tokens for r in rs]),
            "cost": round(cost, 8) if cost is not None else None,
            "seconds": round(sum(r.timings.total for r in rs), 4),
        }

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "technique": self.technique,
            "answer": self.answer,
            "text": self.text,
            "totals": self.totals(),
            "steps": [s.as_dict() for s in self.steps],
        }
        if self.vote is not None:
            out["vote"] = self.vote.as_dict()
        if self.subquestions:
            out["subquestions"] = self.subquestions
        if self.tree:
            out["tree"] = self.tree
        if self.data is not None:
            out["data"] = self.data
        return out


def multi_call(template: Template, samples: int | None = None) -> bool:
    """Whether running this template takes more than one call."""
    n = samples if samples is not None else template.default_samples
    return template.technique in CHAINS or n > 1


def run(
    rendered: Rendered, ask: Ask, *, samples: int | None = None, on_step: OnStep | None = None,
    ask_all: AskAll | None = None,
) -> Outcome:
    """Run a rendered template with the technique it calls for. With `ask_all`, independent
    calls (self-consistency's samples) are made at once."""
    n = samples if samples is not None else rendered.template.default_samples
    technique = rendered.template.technique
    if technique == "least-to-most":
        return least_to_most(rendered, ask, on_step=on_step)
    if technique == "tree-of-thoughts":
        from llmcli.templates.tree_of_thoughts import tree_of_thoughts

        return tree_of_thoughts(rendered, ask, on_step=on_step)
    if technique == "self-refine":
        from llmcli.templates.self_refine import self_refine

        return self_refine(rendered, ask, on_step=on_step)
    if n > 1:
        return self_consistency(rendered, ask, n, on_step=on_step, ask_all=ask_all)
    response = ask(rendered.messages, dict(rendered.options))
    step = Step("call", "reply", rendered.messages, response)
    if on_step:
        on_step(step)
    return finish(rendered, [step])


def finish(rendered: Rendered, steps: list[Step]) -> Outcome:
    """The Outcome of a single call (also used when the caller made that call itself)."""
    template = rendered.template
    step = steps[-1]
    text = step.response.text
    step.answer = extract(template, text)
    data = None
    if template.format == "json":
        from llmcli.templates.render import json_keys
        from llmcli.templates.structured import parse_json_reply

        data = parse_json_reply(step.answer or text, json_keys(template, rendered.variables))
    return Outcome(template.technique, steps, text, step.answer, data=data)


def self_consistency(
    rendered: Rendered, ask: Ask, n: int, *, on_step: OnStep | None = None,
    ask_all: AskAll | None = None,
) -> Outcome:
    """Sample `n` replies (at once with `ask_all`), extract each answer, vote. A fixed seed is
    varied per sample."""
    from llmcli.templates.vote import vote

    template = rendered.template
    options = dict(rendered.options)
    options.setdefault("temperature", SAMPLING_TEMPERATURE)
    calls = []
    for i in range(n):
        opts = dict(options)
        if opts.get("seed") is not None:
            opts["seed"] = int(opts["seed"]) + i  # the same seed would give the same sample
        calls.append((rendered.messages, opts))

    def sample(i: int, response: Response) -> Step:
        answer = extract(template, response.text) if template.extract else _whole(response.text)
        return Step("sample", f"sample {i + 1} of {n}", rendered.messages, response, answer)

    def arrived(i: int, response: Response) -> None:
        if on_step:
            on_step(sample(i, response))

    if ask_all is not None:
        steps = [sample(i, r) for i, r in enumerate(ask_all(calls, arrived))]
    else:
        steps = []
        for i, (messages, opts) in enumerate(calls):
            steps.append(sample(i, ask(messages, opts)))
            arrived(i, steps[-1].response)
    result = vote([s.answer for s in steps], template.vote or "majority")
    best = steps[result.buckets[0].samples[0]] if result.buckets else steps[-1]
    return Outcome(template.technique, steps, best.response.text, result.winner, vote=result)


def _whole(text: str) -> str | None:
    return text.strip() or None


_ITEM = re.compile(
    r"^\s*(?:\d+\s*[.):-]|[-*•]|(?:sub-?question|subpergunta|pergunta|question|q)\s*\d*\s*[:.)-])\s*(.+)$",
    re.IGNORECASE,
)


def parse_subquestions(text: str, limit: int = MAX_SUBQUESTIONS) -> list[str]:
    """Numbered or bulleted lines of a decomposition; failing that, lines ending with '?'."""
    items = []
    for line in text.splitlines():
        m = _ITEM.match(line)
        if m:
            item = m.group(1).strip().strip("*_").strip()
            if item:
                items.append(item)
    if not items:
        items = [line.strip() for line in text.splitlines() if line.strip().endswith("?")]
    return items[:limit]


def _same(a: str, b: str) -> bool:
    def norm(s: str) -> str:
        return " ".join(re.sub(r"[^\w\s]", " ", s.casefold()).split())

    return norm(a) == norm(b)


def least_to_most(
    rendered: Rendered, ask: Ask, *, on_step: OnStep | None = None, limit: int = MAX_SUBQUESTIONS
) -> Outcome:
    """Decompose, then solve each sub-question in order, then the original problem."""
    from llmcli.templates.render import render_step

    template = rendered.template
    options = dict(rendered.options)

    def call(kind: str, label: str, messages: list[Message]) -> Step:
        response = ask(messages, dict(options))
        step = Step(kind, label, messages, response, extract(template, response.text))
        steps.append(step)
        if on_step:
            on_step(step)
        return step

    steps: list[Step] = []
    decomposition = call("decompose", "sub-questions", rendered.messages)
    decomposition.answer = None
    questions = parse_subquestions(decomposition.response.text, limit)
    original = str(rendered.variables.get("input") or "").strip()
    if original and not (questions and _same(questions[-1], original)):
        questions.append(original)
    if not questions:
        questions = ["Solve the problem."]
    previous: list[dict[str, str]] = []
    for i, question in enumerate(questions):
        last = i == len(questions) - 1
        messages = render_step(rendered, question, previous)
        step = call("final" if last else "subquestion", question, messages)
        previous.append({"question": question, "answer": step.answer or step.response.text.strip()})
    final = steps[-1]
    outcome = finish(rendered, [final])
    outcome.steps = steps
    outcome.subquestions = questions
    return outcome
