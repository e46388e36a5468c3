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
    from llmcli.core.messages import ChatRequest
    from llmcli.core.options import Options
    from llmcli.core.registry import ModelRef

# Techniques that need several calls per answer: a cell is one exchange, so compare refuses
# them rather than show the first call as if it were the answer.
MULTI_CALL = {"least-to-most"}


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

    template = load_template(name, paths)
    if template.technique in MULTI_CALL:
        raise InvalidInput(
            f"template '{name}' ({template.technique}) makes several calls per answer",
            hint="compare single-call templates, or run it with 'llmcli prompt -t'",
        )
    return template


def request_builder(
    variants: Sequence[PromptVariant],
    refs: Sequence[ModelRef],
    user_options: dict[str, Any],
    schema: dict[str, Any] | None = None,
) -> Callable[[Cell], ChatRequest]:
    """Validate every (row, model) pair's options now, so a bad option fails before any
    request; returns the function that builds a cell's request (with `schema`: --schema)."""
    from llmcli.exchange.request import build_request, validate_options

    validated: dict[tuple[int, int], Options] = {}
    for r, v in enumerate(variants):
        for c, ref in enumerate(refs):
            # The template's options (temperature 0 for chain-of-thought...), then the user's.
            validated[(r, c)] = validate_options(ref, {**v.options, **user_options})

    def make(cell: Cell) -> ChatRequest:
        return build_request(cell.ref, cell.variant.messages, validated[(cell.row, cell.column)],
                             schema=schema)

    return make


def blind_order(n: int, rng: random.Random | None = None) -> list[int]:
    """A random order of the columns for a blind comparison."""
    order = list(range(n))
    (rng or random.SystemRandom()).shuffle(order)
    return order
