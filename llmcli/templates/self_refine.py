"""Self-refine (Madaan et al., 2023): draft, critique, revise, with the same model.

The first call drafts (`prompt`); then, for up to `rounds` rounds, one call critiques the
current draft (`critique`, given `draft`) and one rewrites it with that feedback (`revise`,
given `draft` and `feedback`). A critique containing the template's `done_marker` (e.g.
"NO CHANGES") ends the rounds: the draft stands. The answer is extracted from the last draft.
Calls: at most 1 + 2 x rounds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llmcli.core.messages import Message
    from llmcli.templates.render import Rendered
    from llmcli.templates.techniques import Ask, OnStep, Outcome, Step

DEFAULT_ROUNDS = 2


def self_refine(rendered: Rendered, ask: Ask, *, on_step: OnStep | None = None) -> Outcome:
    """Draft, then critique and revise until the critique is satisfied or the rounds run out."""
    from llmcli.templates.extract import extract
    from llmcli.templates.render import render_call
    from llmcli.templates.techniques import Step, finish

    template = rendered.template
    rounds = template.rounds or DEFAULT_ROUNDS
    options = dict(rendered.options)
    steps: list[Step] = []

    def call(kind: str, label: str, messages: list[Message]) -> Step:
        response = ask(messages, dict(options))
        step = Step(kind, label, messages, response, extract(template, response.text))
        steps.append(step)
        if on_step:
            on_step(step)
        return step

    draft = call("draft", "Draft", rendered.messages)
    done = (template.done_marker or "").casefold()
    for n in range(1, rounds + 1):
        text = draft.response.text.strip()
        critique = call("critique", f"Critique {n} of {rounds}",
                        render_call(rendered, "critique", {"draft": text, "round": n}))
        critique.answer = None
        feedback = critique.response.text.strip()
        if done and done in feedback.casefold():
            break  # the critic found nothing to change
        draft = call("revise", f"Revision {n} of {rounds}",
                     render_call(rendered, "revise",
                                 {"draft": text, "feedback": feedback, "round": n}))
    outcome = finish(rendered, [draft])
    outcome.steps = steps
    return outcome
