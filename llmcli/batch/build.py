"""From an input record to what is sent: chat messages and options, with or without a template.

Without a template the record's `prompt` is the user message and its `system` (or `-s`) the
system prompt. With one, the record's fields are the template's variables; `prompt` stands in
for `input` when the template has an `input` variable and no `prompt` one, so `--lines` and
`{"prompt": ...}` files work with any single-input template. A record the template refuses
(a missing or unknown variable) is reported like a malformed line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from llmcli.core.errors import InvalidInput
from llmcli.core.messages import Message, build_messages

if TYPE_CHECKING:
    from llmcli.batch.inputs import Item
    from llmcli.templates import Template

MULTI_CALL = ("least-to-most", "self-consistency")


class PromptBuilder:
    """Plain prompts: the record's text, a system prompt, no extraction."""

    template_name: str | None = None
    extracts = False

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
    """A single-call template filled in from each record; its `extract` rule reads the answer."""

    def __init__(self, template: Template):
        if template.technique in MULTI_CALL or template.default_samples > 1:
            raise InvalidInput(
                f"{template.where} makes several calls per input ({template.technique}); "
                "batch sends one call per input per model",
                hint="use a single-call template such as chain-of-thought, or run it with "
                "'llmcli prompt -t'",
            )
        from llmcli.templates.render import prepare

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
        from llmcli.templates.render import render

        values = dict(item.variables)
        if self._prompt_is_input and "prompt" in values:
            if "input" in values:
                raise InvalidInput("both 'prompt' and 'input' given; the template reads 'input'")
            values["input"] = values.pop("prompt")
        elif item.prompt is not None and not item.variables:
            values = {"input": item.prompt}  # --lines
        return render(self.template, values).messages

    def extract(self, reply: str) -> str | None:
        from llmcli.templates.extract import extract

        return extract(self.template, reply)


Builder = PromptBuilder | TemplateBuilder
