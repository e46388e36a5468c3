"""From retrieved chunks to a prompt, and from the reply back to its sources.

The prompt is the `rag` template (prompts/rag.yaml, overridable in the user's template
folder like any template): the chunks go in as `chunks` ([1], [2], ... in rank order, each
with its source) and the question as `input`. The reply's citations are read back so the
sources can be listed under the answer, the cited ones marked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from llmcli.core.errors import InvalidInput

if TYPE_CHECKING:
    from llmcli.config import Paths
    from llmcli.rag.search import Hit
    from llmcli.templates.model import Mode, Template
    from llmcli.templates.render import Rendered

TEMPLATE = "rag"


def load(name: str | None = None, paths: Paths | None = None) -> Template:
    """The template that lays out the context; it must take `chunks` and `input`."""
    from llmcli.templates.loader import load_template
    from llmcli.templates.render import prepare

    template = prepare(load_template(name or TEMPLATE, paths))
    missing = [v for v in ("chunks", "input") if template.variable(v) is None]
    if missing:
        raise InvalidInput(
            f"template '{template.name or name}' cannot hold retrieved context "
            f"(it has no variable {' or '.join(missing)})",
            hint="use -t rag, or a copy of prompts/rag.yaml",
        )
    from llmcli.templates.techniques import multi_call

    if multi_call(template):  # --rag sends one call per question, with its context
        raise InvalidInput(f"template '{template.name or name}' ({template.technique}) makes "
                           "several calls; --rag asks one call per question",
                           hint="use -t rag, or a single-call template that takes chunks")
    return template


def context_items(hits: list[Hit]) -> list[dict[str, str]]:
    """What the template's `chunks` receives: text and source of each hit, best first."""
    return [{"text": h.text, "source": h.location} for h in hits]


def render_prompt(template: Template, question: str, hits: list[Hit], *, mode: Mode = "chat",
                  system: str | None = None, variables: dict[str, Any] | None = None,
                  ) -> Rendered:
    from llmcli.templates.render import render

    values = {**(variables or {}), "input": question, "chunks": context_items(hits)}
    return render(template, values, mode=mode, system=system)


_CITE = re.compile(r"\[(\d+(?:\s*(?:[,;–-]|and|e)\s*\d+)*)\]")


def citations(text: str) -> list[int]:
    """Numbers cited as [1], [2][3], [1, 2], [1-3] or [2 e 4], in order of first use."""
    found: list[int] = []
    for m in _CITE.finditer(text):
        inner = m.group(1)
        for a, b in re.findall(r"(\d+)\s*[–-]\s*(\d+)", inner):
            lo, hi = int(a), int(b)
            if 0 < hi - lo <= 20:
                found.extend(range(lo, hi + 1))
        found.extend(int(n) for n in re.findall(r"\d+", inner))
    return list(dict.fromkeys(found))


@dataclass
class Sources:
    """The retrieved chunks as listed under the answer, and what the answer cited."""

    hits: list[Hit]
    cited: list[int] = field(default_factory=list)  # valid numbers, in order of use
    unknown: list[int] = field(default_factory=list)  # cited numbers with no passage

    @classmethod
    def of(cls, hits: list[Hit], reply: str) -> Sources:
        numbers = citations(reply)
        ok = [n for n in numbers if 1 <= n <= len(hits)]
        return cls(hits, ok, [n for n in numbers if n not in ok])

    def to_json(self) -> list[dict[str, Any]]:
        return [{"n": i, "source": h.location, "path": h.path, "score": round(h.score, 6),
                 "cited": i in self.cited} for i, h in enumerate(self.hits, 1)]

    def lines(self) -> list[str]:
        """'[1] notes.md:3-9 (cited)' for each passage, plain text."""
        out = []
        for i, h in enumerate(self.hits, 1):
            mark = " (cited)" if i in self.cited else ""
            out.append(f"[{i}] {h.location}{mark}")
        if self.unknown:
            nums = ", ".join(f"[{n}]" for n in self.unknown)
            out.append(f"cited but not in the context: {nums}")
        return out
