"""Tree-of-thoughts (Yao et al., 2023), breadth-first with a beam of one.

At each step one call proposes up to `breadth` next thoughts (numbered lines) continuing the
path chosen so far; one call per thought asks the model to score it from 1 to 10; the best
joins the path (a tie goes to the first proposed). After `depth` steps, or as soon as the chosen
thought already states the final answer, one last call (`conclude`) answers from the path.
Calls: at most depth x (1 + breadth) + 1.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from llmcli.templates.extract import extract

if TYPE_CHECKING:
    from llmcli.core.messages import Message
    from llmcli.templates.model import Template
    from llmcli.templates.render import Rendered
    from llmcli.templates.techniques import Ask, OnStep, Outcome, Step

DEFAULT_BREADTH = 3
DEFAULT_DEPTH = 3
MAX_THOUGHT_CHARS = 2_000  # a thought is one step of reasoning, not an essay

_NUMBERED = re.compile(r"^\s*(?:\d+\s*[.):-]|[-*•]|(?:thought|pensamento)\s*\d*\s*[:.)-])\s*(.+)$",
                       re.IGNORECASE)
_SCORE = re.compile(r"(?:score|nota|pontua[çc][ãa]o)\W{0,3}(\d+(?:[.,]\d+)?)", re.IGNORECASE)
_OUT_OF_TEN = re.compile(r"\b(\d+(?:[.,]\d+)?)\s*/\s*10\b")
_NUMBER = re.compile(r"\b(\d+(?:[.,]\d+)?)\b")


def breadth_depth(template: Template) -> tuple[int, int]:
    """The template's breadth and depth, or the defaults."""
    return template.breadth or DEFAULT_BREADTH, template.depth or DEFAULT_DEPTH


def parse_thoughts(text: str, limit: int) -> list[str]:
    """The proposed thoughts: numbered or bulleted lines; failing that, the whole reply as one.
    Repeats are dropped (a model that proposes the same step twice offers one choice)."""
    items: list[str] = []
    for line in text.splitlines():
        m = _NUMBERED.match(line)
        if m:
            item = m.group(1).strip().strip("*_").strip()
            if item and item not in items:
                items.append(item[:MAX_THOUGHT_CHARS])
    if not items and text.strip():
        items = [text.strip()[:MAX_THOUGHT_CHARS]]
    return items[:limit]


def parse_score(text: str) -> float | None:
    """A 1-10 score: the number after 'Score:' (the last one), else 'N/10', else the reply's
    first number in that range; None when there is none."""
    marked = _SCORE.findall(text) or _OUT_OF_TEN.findall(text)
    candidates = [marked[-1]] if marked else _NUMBER.findall(text)
    for raw in candidates:
        value = float(raw.replace(",", "."))
        if 0 <= value <= 10:
            return value
    return None


def tree_of_thoughts(rendered: Rendered, ask: Ask, *, on_step: OnStep | None = None) -> Outcome:
    """Propose, evaluate, keep the best, for `depth` steps; then conclude from the path."""
    from llmcli.templates.render import render_call
    from llmcli.templates.techniques import Step, finish

    template = rendered.template
    breadth, depth = breadth_depth(template)
    options = dict(rendered.options)
    steps: list[Step] = []

    def call(kind: str, label: str, messages: list[Message]) -> Step:
        step = Step(kind, label, messages, ask(messages, dict(options)))
        steps.append(step)
        return step

    path: list[str] = []
    tree: list[dict[str, Any]] = []
    for level in range(1, depth + 1):
        supplied = {"thoughts": list(path), "step": level, "breadth": breadth, "depth": depth}
        messages = rendered.messages if level == 1 else render_call(rendered, "prompt", supplied)
        proposal = call("propose", f"Step {level} of {depth}: thoughts proposed", messages)
        thoughts = parse_thoughts(proposal.response.text, breadth)
        if on_step:
            on_step(proposal)
        if not thoughts:
            break  # an empty proposal: conclude from the path so far
        scored: list[dict[str, Any]] = []
        for i, thought in enumerate(thoughts):
            evaluation = call("evaluate", f"Step {level}, thought {i + 1}: {thought}",
                              render_call(rendered, "evaluate", {**supplied, "thought": thought}))
            score = parse_score(evaluation.response.text)
            evaluation.answer = f"{score:g}" if score is not None else None
            scored.append({"thought": thought, "score": score})
            if on_step:
                on_step(evaluation)
        # An unreadable score counts as the lowest; a tie goes to the first proposed.
        best = max(range(len(scored)), key=lambda i: (scored[i]["score"] or 0.0, -i))
        tree.append({"step": level, "thoughts": scored, "chosen": best})
        path.append(scored[best]["thought"])
        if extract(template, scored[best]["thought"]) is not None:
            break  # the chosen thought already states the final answer
    messages = render_call(rendered, "conclude", {"thoughts": list(path)})
    final = call("conclude", "Answer from the best path", messages)
    final.answer = extract(template, final.response.text)
    if on_step:
        on_step(final)
    outcome = finish(rendered, [final])
    outcome.steps = steps
    outcome.tree = tree
    return outcome
