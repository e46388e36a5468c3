"""From an input record to what is sent: chat messages and options, with or without a template.

Without a template the record's `prompt` is the user message and its `system` (or `-s`) the
system prompt. With one, the record's fields are the template's variables; `prompt` stands in
for `input` when the template has an `input` variable and no `prompt` one, so `--lines` and
`{"prompt": ...}` files work with any single-input template. A record the template refuses
(a missing or unknown variable) is reported like a malformed line. A multi-call template
(least-to-most, self-consistency, tree-of-thoughts, self-refine) also gives each record its
chain: the technique run through the `ask` the worker supplies (batch/worker.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from llmcli.core.errors import InvalidInput
from llmcli.core.messages import Message, build_messages

if TYPE_CHECKING:
    from llmcli.batch.inputs import Item
    from llmcli.templates import Outcome, Template
    from llmcli.templates.render import Rendered

Technique = Callable[[Callable[..., Any]], "Outcome"]


class PromptBuilder:
    """Plain prompts: the record's text, a system prompt, no extraction."""

    template_name: str | None = None
    extracts = False
    chained = False

    def __init__(self, system: str | None = None):
        self.system = system

    @property
    def options(self) -> dict[str, Any]:
        return {}

    def build(self, item: Item) -> list[Message]:
        """The messages for one record; raises InvalidInput for a record it cannot use."""
        if not item.prompt or not item.prompt.strip():
            raise InvalidInput("empty 'prompt'")
        return build_messages(item.prompt, system=item.system or self.system)

    def extract(self, reply: str) -> str | None:
        return None


class TemplateBuilder:
    """A template filled in from each record; its `extract` rule reads the answer."""

    def __init__(self, template: Template):
        from llmcli.templates.render import prepare
        from llmcli.templates.techniques import multi_call

        self.chained = multi_call(template)
        self.template = prepare(template)  # declares the variables its text uses
        self.template_name = template.name or (str(template.source) if template.source else None)
        self.extracts = template.extract is not None
        names = {v.name for v in template.variables}
        self._prompt_is_input = "input" in names and "prompt" not in names

    @property
    def options(self) -> dict[str, Any]:
        """The template's options; `-o` values override them."""
        return dict(self.template.options)

    def build(self, item: Item) -> list[Message]:
        return self.render(item).messages

    def chain(self, item: Item, options: dict[str, Any]) -> Technique:
        """The record's technique, with `options` (the template's, then -o) on every call."""
        from dataclasses import replace

        from llmcli.templates import techniques

        rendered = replace(self.render(item), options=dict(options))
        return lambda ask: techniques.run(rendered, ask)

    def render(self, item: Item) -> Rendered:
        from llmcli.templates.render import render

        values = dict(item.variables)
        if self._prompt_is_input and "prompt" in values:
            if "input" in values:
                raise InvalidInput("both 'prompt' and 'input' given; the template reads 'input'")
            values["input"] = values.pop("prompt")
        elif item.prompt is not None and not item.variables:
            values = {"input": item.prompt}  # --lines
        return render(self.template, values)

    def extract(self, reply: str) -> str | None:
        from llmcli.templates.extract import extract

        return extract(self.template, reply)


Builder = PromptBuilder | TemplateBuilder
