"""What one step of the tour holds: its numbers (for the text, the tables and --json).

A step's explanation lives in texts_en.py / texts_pt.py under the step's name; its
placeholders are filled from `say`. Tables name their title and columns by label keys (also
translated); cells are plain strings or numbers taken from the traced run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Table:
    title: str  # a label key (texts_*.LABELS)
    columns: list[str]  # label keys
    rows: list[list[Any]]
    highlight: int | None = None  # a row to mark (the chosen token, the sampled one)


@dataclass
class Step:
    name: str
    say: dict[str, Any]  # placeholders of the explanation, already formatted
    tables: list[Table] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)  # every number, JSON-ready

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "values": self.say, "data": self.data,
                "tables": [{"title": t.title, "columns": t.columns, "rows": t.rows}
                           for t in self.tables]}


def num(x: Any, digits: int = 3) -> float:
    """A float rounded for display and JSON (numpy scalars become plain floats)."""
    return round(float(x), digits)


def vec(v: Any, n: int = 6, digits: int = 3) -> list[float]:
    """The first `n` entries of a vector, rounded."""
    return [round(float(x), digits) for x in list(v[:n])]


def fmt_vec(v: Any, n: int = 4, digits: int = 2) -> str:
    """'[0.12, -0.5, 1.03, …]': the first entries of a vector, for a table cell."""
    items = ", ".join(f"{float(x):.{digits}f}" for x in list(v[:n]))
    return f"[{items}, …]" if len(v) > n else f"[{items}]"


def pct(p: float) -> str:
    return f"{100 * float(p):.2f}%"
