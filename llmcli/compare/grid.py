"""The comparison grid: every prompt (or template applied to a prompt) x every model x runs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llmcli.core.messages import Message
    from llmcli.core.registry import ModelRef


@dataclass(frozen=True)
class PromptVariant:
    """One row of the grid: the messages to send, and what produced them."""

    label: str  # 'p1', 'zero-shot', 'p2 · chain-of-thought'
    text: str  # the user's text before any template was applied
    messages: tuple[Message, ...]
    template: str | None = None
    # Turns a reply into the answer the template asks for (None when there is no template).
    extract: Callable[[str], str | None] | None = field(default=None, compare=False, repr=False)
    options: dict[str, Any] = field(default_factory=dict, compare=False)  # the template's
    # A multi-call technique (least-to-most, self-consistency, tree-of-thoughts, self-refine):
    # given `ask` and the user's options, runs every call and returns the template's Outcome.
    # The cell is then the whole chain (compare/comparison.py); None for one call.
    chain: Callable[..., Any] | None = field(default=None, compare=False, repr=False)

    @property
    def prompt(self) -> str:
        """The last user message: what the log shows as the prompt."""
        return next((m.content for m in reversed(self.messages) if m.role == "user"), self.text)


@dataclass(frozen=True)
class Cell:
    """One exchange of the comparison: a prompt variant asked of one model, one time."""

    index: int
    row: int  # index of the prompt variant
    column: int  # index of the model
    run: int  # 0-based repetition
    variant: PromptVariant
    ref: ModelRef

    @property
    def model(self) -> str:
        return str(self.ref)

    @property
    def key(self) -> tuple[int, int]:
        """Cells that differ only by run share a key: their timings are aggregated."""
        return (self.row, self.column)


def build_grid(
    variants: Sequence[PromptVariant], refs: Sequence[ModelRef], runs: int = 1
) -> list[Cell]:
    """All cells, run-major then prompt then model, so the first run of every pair starts
    first when a per-provider limit holds some of them back."""
    if runs < 1:
        raise ValueError("runs must be at least 1")
    cells: list[Cell] = []
    for run in range(runs):
        for row, variant in enumerate(variants):
            for column, ref in enumerate(refs):
                cells.append(Cell(len(cells), row, column, run, variant, ref))
    return cells


def column_labels(refs: Sequence[ModelRef]) -> list[str]:
    """Model names for the columns; a model asked twice gets '#2' so columns stay distinct."""
    seen: dict[str, int] = {}
    out = []
    for ref in refs:
        name = str(ref)
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} #{seen[name]}")
    return out


def variant_labels(
    prompts: Sequence[str], templates: Sequence[str]
) -> list[tuple[int, str | None, str]]:
    """(prompt index, template, label) for every row: prompts x templates, labelled briefly."""
    rows: list[tuple[int, str | None, str]] = []
    for i, _ in enumerate(prompts):
        plabel = f"p{i + 1}" if len(prompts) > 1 else ""
        for tpl in templates or [None]:
            parts = [p for p in (plabel, tpl) if p]
            rows.append((i, tpl, " · ".join(parts) or "prompt"))
    return rows


def describe(cells: Sequence[Cell]) -> dict[str, Any]:
    """The grid's shape, for JSON output."""
    rows = sorted({c.row for c in cells})
    cols = sorted({c.column for c in cells})
    runs = sorted({c.run for c in cells})
    return {"prompts": len(rows), "models": len(cols), "runs": len(runs), "cells": len(cells)}
