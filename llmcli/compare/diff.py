"""A word-level diff of two replies: runs of equal, removed and added text."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Literal

Op = Literal["equal", "delete", "insert"]

# Words, single punctuation marks, and runs of whitespace: joining the tokens gives the text back.
_TOKEN = re.compile(r"\w+|\s+|[^\w\s]", re.UNICODE)


@dataclass(frozen=True)
class Chunk:
    op: Op
    text: str


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def word_diff(a: str, b: str) -> list[Chunk]:
    """Chunks that turn `a` into `b`; a replaced span is a delete followed by an insert.

    Whitespace-only differences inside an otherwise equal span are kept as equal (b's spacing),
    so re-wrapped text does not light up.
    """
    ta, tb = tokens(a), tokens(b)
    key_a = [t if not t.isspace() else " " for t in ta]
    key_b = [t if not t.isspace() else " " for t in tb]
    matcher = difflib.SequenceMatcher(None, key_a, key_b, autojunk=False)
    out: list[Chunk] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            _add(out, "equal", "".join(tb[j1:j2]))
            continue
        if tag in ("delete", "replace"):
            _add(out, "delete", "".join(ta[i1:i2]))
        if tag in ("insert", "replace"):
            _add(out, "insert", "".join(tb[j1:j2]))
    return out


def _add(out: list[Chunk], op: Op, text: str) -> None:
    if not text:
        return
    if out and out[-1].op == op:
        out[-1] = Chunk(op, out[-1].text + text)
    else:
        out.append(Chunk(op, text))


def similarity(a: str, b: str) -> float:
    """Share of words the two replies have in common, in order (0 to 1)."""
    wa = [t for t in tokens(a) if not t.isspace()]
    wb = [t for t in tokens(b) if not t.isspace()]
    if not wa and not wb:
        return 1.0
    return difflib.SequenceMatcher(None, wa, wb, autojunk=False).ratio()
