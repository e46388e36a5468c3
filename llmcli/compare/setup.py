"""Turning what the user typed into the grid's rows and each cell's request."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from llmcli.compare.grid import PromptVariant, variant_labels
from llmcli.core.errors import InvalidInput

if TYPE_CHECKING:
    from llmcli.compare.grid import Cell
    from llmcli.config import Paths
    from llmcli.core.attachments import Attachment
    from llmcli.core.fragments import Fragment
    from llmcli.core.messages import ChatRequest
    from llmcli.core.options import Options
    from llmcli.core.registry import ModelRef
    from llmcli.core.tools import ToolSpec
    from llmcli.templates.render import Rendered
    from llmcli.templates.techniques import Outcome


def prompt_texts(stdin_text: str | None, prompt: str | None, extra: Sequence[str]) -> list[str]:
    """The prompts to compare: the argument and each -p; piped stdin goes before every one
    (or is the prompt itself when nothing else is given)."""
    given = [p for p in ([prompt] if prompt is not None else []) + list(extra) if p.strip()]
    if not given:
        text = combine_text(stdin_text, None)
        if not text.strip():
            raise InvalidInput(
                "empty prompt",
                hint="give a prompt, -p PROMPT, or pipe text: echo hi | llmcli compare -m a -m b",
            )
        return [text]
    return [combine_text(stdin_text, p) for p in given]


def combine_text(stdin_text: str | None, prompt: str | None) -> str:
    """Stdin first, then the prompt, separated by a blank line (as `llmcli prompt` does)."""
    parts = [p.strip("\n") for p in (stdin_text, prompt) if p is not None and p.strip()]
    return "\n\n".join(parts)


def build_variants(
    prompts: Sequence[str], templates: Sequence[str], *, system: str | None, paths: Paths | None
) -> list[PromptVariant]:
    """Rows of the grid: each prompt, through each template when templates are given."""
    from llmcli.core.messages import Message, build_messages
    from llmcli.templates.techniques import multi_call

    loaded = {name: _load(name, paths) for name in dict.fromkeys(templates)}
    rows = []
    for index, tpl_name, label in variant_labels(prompts, list(loaded)):
        text = prompts[index]
        if tpl_name is None:
            rows.append(PromptVariant(label, text, tuple(build_messages(text, system=system))))
            continue
        template = loaded[tpl_name]
        # From the submodules: once `llmcli.templates.extract` is imported, the package's
        # attribute `extract` is that module, not the function.
        from llmcli.templates.extract import extract
        from llmcli.templates.render import render

        if multi_call(template):  # -s is the system prompt of every call of the chain
            rendered = render(template, {"input": text}, mode="chat", system=system)
            rows.append(PromptVariant(label, text, tuple(rendered.messages),
                                      template=template.name or tpl_name,
                                      options=dict(rendered.options), chain=_chain(rendered)))
            continue
        rendered = render(template, {"input": text}, mode="chat")
        messages = list(rendered.messages)
        if system:  # -s replaces the template's own system prompt
            messages = [m for m in messages if m.role != "system"]
            messages.insert(0, Message(role="system", content=system))
        extractor: Callable[[str], str | None] | None = None
        if template.extract is not None:
            extractor = lambda reply, t=template: extract(t, reply)  # noqa: E731
        rows.append(PromptVariant(label, text, tuple(messages), template=template.name or tpl_name,
                                  extract=extractor, options=dict(rendered.options)))
    return rows


def _load(name: str, paths: Paths | None) -> Any:
    from llmcli.templates.loader import load_template

    return load_template(name, paths)


def _chain(rendered: Rendered) -> Callable[..., Outcome]:
    """The cell's technique: every call through `ask`, the user's options over the template's
    (so self-consistency varies a seed given with -o, as `prompt -t` does)."""
    from dataclasses import replace

    from llmcli.templates import techniques

    def run(ask: Callable[..., Any], user_options: dict[str, Any]) -> Outcome:
        return techniques.run(replace(rendered, options={**rendered.options, **user_options}),
                              ask)

    return run


def request_builder(
    variants: Sequence[PromptVariant],
    refs: Sequence[ModelRef],
    user_options: dict[str, Any],
    *,
    fragments: Sequence[Fragment] = (),
    attachments: Sequence[Attachment] = (),
    tools: Sequence[ToolSpec] | None = None,
    schema: dict[str, Any] | None = None,
) -> Callable[[Cell], ChatRequest]:
    """Validate every (row, model) pair's options now, so a bad option fails before any
    request; returns the function that builds a cell's request. `fragments` and
    `attachments` (-f, --sf, -a) go with every cell; a model that cannot read an attachment,
    or call `tools`, is refused now too. `schema`: --schema."""
    from llmcli.exchange.request import build_request, check_tools, validate_options

    if tools:
        for ref in refs:
            check_tools(ref)

    if attachments:
        from llmcli.exchange.inputs import check_attachments

        for ref in refs:
            check_attachments(ref, attachments)

    validated: dict[tuple[int, int], Options] = {}
    for r, v in enumerate(variants):
        for c, ref in enumerate(refs):
            # The template's options (temperature 0 for chain-of-thought...), then the user's.
            validated[(r, c)] = validate_options(ref, {**v.options, **user_options})

    def make(cell: Cell) -> ChatRequest:
        return build_request(cell.ref, cell.variant.messages, validated[(cell.row, cell.column)],
                             fragments=fragments, attachments=attachments, tools=tools,
                             schema=schema)

    return make


def blind_order(n: int, rng: random.Random | None = None) -> list[int]:
    """A random order of the columns for a blind comparison."""
    order = list(range(n))
    (rng or random.SystemRandom()).shuffle(order)
    return order
