"""The cells of a run: every prompt x model x test case x repetition, and what each needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from llmcli.eval.suite import Case, Prompt

if TYPE_CHECKING:
    from llmcli.core.options import Options
    from llmcli.core.registry import ModelRef
    from llmcli.templates.model import Template


@dataclass
class Model:
    """A column: its label, the resolved model and the suite's options for it."""

    label: str
    ref: ModelRef
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class Row:
    """A prompt ready to ask: its text, or a loaded template."""

    prompt: Prompt
    template: Template | None = None

    @property
    def label(self) -> str:
        return self.prompt.label


@dataclass(frozen=True)
class Cell:
    index: int
    row: int
    column: int
    case: Case
    repeat: int

    def identity(self, rows: list[Row], models: list[Model]) -> tuple[str, str, str, int]:
        """What names a cell across runs: prompt and model labels, case key, repetition."""
        return (rows[self.row].label, models[self.column].label, self.case.key, self.repeat)


def build_cells(rows: list[Row], models: list[Model], cases: list[Case], repeat: int) -> list[Cell]:
    """Repetition-major, then case, then prompt, then model: the first pass over every
    case finishes first, and neighbouring cells go to different providers."""
    cells: list[Cell] = []
    for r in range(repeat):
        for case in cases:
            for row in range(len(rows)):
                for column in range(len(models)):
                    cells.append(Cell(len(cells), row, column, case, r))
    return cells


def validated_options(row: Row, model: Model, user: dict[str, Any]) -> Options:
    """The template's options, then the suite's provider config, then -o: checked now."""
    from llmcli.exchange.request import validate_options

    base = dict(row.template.options) if row.template is not None else {}
    return validate_options(model.ref, {**base, **model.options, **user})
