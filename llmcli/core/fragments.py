"""Fragments: texts given with -f/--sf (files, URLs, stdin), labelled with their source and put
into a prompt. Pure: the loading (files, HTTP, PDF and HTML text) is llmcli/fragments/.

Each fragment becomes one block in the message text:

    <fragment source="notes/ata.md">
    ...the text...
    </fragment>

Blocks come before the user's own words (or the system prompt's, for --sf), in the order given,
one per distinct text: the same text given twice (a file and a glob that both match it) is sent
once, the first label kept. The log keeps each distinct text once (store/fragments.py), keyed
by its sha256.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict


class Fragment(BaseModel):
    """One text and its label (a path, a URL, 'stdin')."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str
    text: str
    role: Literal["user", "system"] = "user"  # -f or --sf

    @property
    def sha256(self) -> str:
        return text_hash(self.text)

    def block(self) -> str:
        """The labelled block sent to the model."""
        label = self.source.replace('"', "%22")
        body = self.text if self.text.endswith("\n") else self.text + "\n"
        return f'<fragment source="{label}">\n{body}</fragment>'


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def dedupe(fragments: Iterable[Fragment]) -> list[Fragment]:
    """The fragments in order, each distinct (text, role) once: the first label wins."""
    seen: set[tuple[str, str]] = set()
    out = []
    for f in fragments:
        key = (f.sha256, f.role)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def compose(text: str | None, fragments: Sequence[Fragment]) -> str:
    """The blocks of `fragments`, then `text`, separated by blank lines."""
    parts = [f.block() for f in fragments]
    if text and text.strip():
        parts.append(text)
    return "\n\n".join(parts)
