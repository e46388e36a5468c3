"""`/template NAME [VAR=VALUE ...]`: put the next message through a prompt template.

The template is rendered in its single-message layout (system text, then 'Input:/Output:'
examples, then the message), so the templated message is one user turn: the conversation's
history stays plain turns, `/retry` resends it as is, and `chat -c` rebuilds it exactly from
the log. The template's options apply to that one request, under the ones set with /set.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from llmcli.core.errors import InvalidInput

# Techniques that need several calls per message (templates.techniques.MULTI_CALL) run under
# `llmcli prompt -t`, compare and batch, not in a chat turn.
from llmcli.templates.techniques import MULTI_CALL

if TYPE_CHECKING:
    from llmcli.config import Paths
    from llmcli.templates.model import Template


@dataclass(frozen=True)
class Choice:
    """A template picked for the next message, with any extra variables given."""

    name: str
    variables: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        extra = " ".join(f"{k}={shlex.quote(v)}" for k, v in self.variables.items())
        return f"{self.name} {extra}".strip()


def names(paths: Paths | None = None) -> list[str]:
    """Template names for completion and listing; empty when none can be read."""
    try:
        from llmcli.templates.loader import entries

        return [e.name for e in entries(paths)]
    except Exception:  # a broken user template must not break tab completion
        return []


def parse(arg: str) -> Choice:
    """'NAME key=value ...' -> Choice."""
    try:
        words = shlex.split(arg)
    except ValueError as exc:
        raise InvalidInput(f"cannot read '/template {arg}': {exc}") from None
    name, *rest = words
    variables: dict[str, str] = {}
    for word in rest:
        key, sep, value = word.partition("=")
        if not sep or not key:
            raise InvalidInput(
                f"'{word}' is not VAR=VALUE", hint="e.g. /template rag context='...'"
            )
        variables[key] = value
    return Choice(name, variables)


def load(choice: Choice, paths: Paths | None = None) -> tuple[Template, str]:
    """The template and the variable the message fills; refused if it cannot serve a chat."""
    from llmcli.templates.loader import load_template
    from llmcli.templates.render import prepare

    template = prepare(load_template(choice.name, paths))
    if template.technique in MULTI_CALL:
        raise InvalidInput(
            f"template '{choice.name}' ({template.technique}) makes several calls per message",
            hint=f"use it with llmcli prompt -t {choice.name}",
        )
    if template.variable("input") is not None:
        return template, "input"
    open_vars = [n for n in template.required_variables if n not in choice.variables]
    if len(open_vars) == 1:
        return template, open_vars[0]
    needs = ", ".join(open_vars) or "none"
    raise InvalidInput(
        f"template '{choice.name}' has no single variable for the message (open: {needs})",
        hint="give the others as /template NAME VAR=VALUE",
    )


def apply(choice: Choice, text: str, paths: Paths | None = None) -> tuple[str, dict[str, Any]]:
    """The message rendered through the template, and the options the template asks for."""
    from llmcli.templates.render import render

    template, slot = load(choice, paths)
    rendered = render(template, {**choice.variables, slot: text}, mode="completion")
    return rendered.messages[0].content, dict(rendered.options)


def options(choice: Choice, paths: Paths | None = None) -> dict[str, Any]:
    """The options a template asks for (for /retry of a templated message)."""
    template, _ = load(choice, paths)
    return dict(template.options)
