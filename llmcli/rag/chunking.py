"""Splitting documents into chunks that respect headings and paragraphs.

Sizes are in characters, not tokens: a chunk must be the same whichever embedding model
reads it (each provider counts tokens its own way, and the local tokenizer costs time), so
the text and its hash do not change when the model does. For Portuguese or English prose a
token is about 4 characters: the default 1,000 characters is about 250 tokens, well inside
every embedding model's input limit (the smallest, Gemini's, is 2,048 tokens).

Rules, in order:
- a heading starts a new chunk; a chunk never spans two sections, and it begins with its
  heading path ('Receitas > Frango grelhado') so it can be found by what it is about;
- paragraphs (CSV rows, JSON records, PDF paragraphs) are packed whole while they fit;
- a paragraph longer than a chunk is cut at line ends, then sentence ends, then spaces;
- consecutive chunks of one section share up to `overlap` characters, taken from whole
  sentences or words at the end of the previous chunk, so a fact cut in two is still whole
  in one of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from llmcli.core.errors import InvalidInput
from llmcli.rag.readers import Block, Document

DEFAULT_SIZE = 1000
DEFAULT_OVERLAP = 150
MIN_SIZE = 100
# Formats whose blocks are records: overlap repeats a whole row or none (half a row misleads).
RECORDS = frozenset({"csv", "jsonl"})
RECORD_SHARE = 4


@dataclass
class Chunk:
    text: str  # what is embedded, searched and shown: heading line, then the body
    start: int  # first line, row or page
    end: int
    heading: str = ""

    @property
    def body(self) -> str:
        """The text without its heading line."""
        if self.heading and self.text.startswith(self.heading + "\n"):
            return self.text[len(self.heading) + 1 :]
        return self.text


def check_sizes(size: int, overlap: int) -> None:
    if size < MIN_SIZE:
        raise InvalidInput(f"--chunk-size {size} is too small", hint=f"use at least {MIN_SIZE}")
    if overlap < 0 or overlap >= size // 2:
        raise InvalidInput(f"--overlap {overlap} must be between 0 and half the chunk size",
                           hint=f"e.g. --overlap {min(DEFAULT_OVERLAP, size // 5)}")


def chunk_document(doc: Document, size: int = DEFAULT_SIZE,
                   overlap: int = DEFAULT_OVERLAP) -> list[Chunk]:
    """The chunks of a document, in order."""
    check_sizes(size, overlap)
    records = doc.kind in RECORDS
    if records:  # a row averaged with many others is hard to find: fewer rows per chunk
        size = max(MIN_SIZE, size // RECORD_SHARE)
        overlap = 0
    out: list[Chunk] = []
    section: list[Block] = []
    for block in doc.blocks:
        if section and block.heading != section[0].heading:
            out.extend(_chunk_section(section, size, overlap, records))
            section = []
        section.append(block)
    if section:
        out.extend(_chunk_section(section, size, overlap, records))
    return out


def _chunk_section(blocks: list[Block], size: int, overlap: int,
                   records: bool = False) -> list[Chunk]:
    heading = " > ".join(blocks[0].heading)
    if len(heading) >= size // 3:  # a heading may take a third of the chunk at most
        heading = heading[: size // 3 - 2].rstrip() + "…"
    room = size - (len(heading) + 1 if heading else 0)
    # A paragraph cut in pieces leaves space for the overlap in front of each piece.
    piece_room = max(room - overlap, room // 2)
    pieces: list[_Piece] = []
    for b in blocks:
        if len(b.text) <= room:
            pieces.append(_Piece(b.text, b.start, b.end))
        else:
            pieces.extend(_split_long(b, piece_room))
    chunks: list[Chunk] = []
    cur: list[_Piece] = []
    for piece in pieces:
        if cur and _length(cur) + len(piece.glue) + len(piece.text) > room:
            chunks.append(_make(cur, heading))
            tail = None if records else _tail(cur, overlap, room - len(piece.text) - 2)
            cur = [tail] if tail else []
        cur.append(piece)
    if cur:
        chunks.append(_make(cur, heading))
    return chunks


@dataclass
class _Piece:
    text: str
    start: int
    end: int
    glue: str = "\n\n"  # what joins it to the piece before it in a chunk


def _length(pieces: list[_Piece]) -> int:
    return sum(len(p.text) for p in pieces) + sum(len(p.glue) for p in pieces[1:])


def _make(pieces: list[_Piece], heading: str) -> Chunk:
    body = pieces[0].text + "".join(p.glue + p.text for p in pieces[1:])
    text = f"{heading}\n{body}" if heading else body
    return Chunk(text, min(p.start for p in pieces), max(p.end for p in pieces), heading)


def _tail(pieces: list[_Piece], overlap: int, limit: int) -> _Piece | None:
    """The end of the previous chunk to repeat at the start of the next one: whole sentences
    (or clauses, or words) that fit in `overlap`; nothing when less than half of it fits."""
    limit = min(overlap, limit)
    if limit < max(overlap // 2, 1):
        return None
    last = pieces[-1]
    if len(last.text) <= limit:
        return _Piece(last.text, last.start, last.end) if len(pieces) > 1 else None
    cut = last.text[-limit:]
    # Start at a sentence if one starts in the window, else after a clause, else at a word.
    for stops in (r"[.!?]", r"[;:]"):
        m = re.search(rf"(?<={stops})\s+(?=\S)", cut)
        if m:
            cut = cut[m.end() :]
            break
    else:
        cut = cut[cut.index(" ") + 1 :] if " " in cut else ""
    cut = cut.strip()
    return _Piece(cut, last.end, last.end) if cut else None


_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def _split_long(block: Block, room: int) -> list[_Piece]:
    """A paragraph longer than a chunk, cut at line ends, then sentences, then spaces."""
    lines = block.text.split("\n")
    numbered = block.end - block.start + 1 == len(lines)  # one source line per text line
    out: list[_Piece] = []
    buf: list[str] = []
    first = last = block.start
    for i, line in enumerate(lines):
        at = block.start + i if numbered else block.start
        units = [line] if len(line) <= room else _pieces(line, room)
        for j, unit in enumerate(units):
            if buf and sum(len(x) + 1 for x in buf) + len(unit) > room:
                out.append(_Piece("\n".join(buf), first, last, " " if j else "\n"))
                buf = []
            if not buf:
                first = at
            buf.append(unit)
            last = at
    if buf:
        out.append(_Piece("\n".join(buf), first, last, "\n"))
    if out:
        out[0].glue = "\n\n"  # the first piece starts a paragraph
    if not numbered:
        for p in out:
            p.start, p.end = block.start, block.end
    return out


def _pieces(text: str, room: int) -> list[str]:
    """Sentences (or word runs, or hard cuts for text without spaces) of at most `room`."""
    out: list[str] = []
    buf = ""
    for sentence in _SENTENCE.split(text):
        parts = [sentence] if len(sentence) <= room else _words(sentence, room)
        for part in parts:
            if buf and len(buf) + 1 + len(part) > room:
                out.append(buf)
                buf = ""
            buf = f"{buf} {part}" if buf else part
    if buf:
        out.append(buf)
    return out


def _words(text: str, room: int) -> list[str]:
    out: list[str] = []
    buf = ""
    for word in text.split():
        while len(word) > room:  # no spaces to cut at (a URL, base64): cut hard
            if buf:
                out.append(buf)
                buf = ""
            out.append(word[:room])
            word = word[room:]
        if buf and len(buf) + 1 + len(word) > room:
            out.append(buf)
            buf = ""
        buf = f"{buf} {word}" if buf else word
    if buf:
        out.append(buf)
    return out
