"""Reading files into documents: text, Markdown, CSV/TSV, JSON lines and PDF.

A document is a list of blocks (a paragraph, a CSV row, a JSON record) with where each came
from (line, row or page) and, for Markdown, the headings above it. Chunking packs blocks; it
never has to parse a format again. A file that cannot be read is not an error for the whole
index: `read` returns a `Skip` with the reason, and the caller counts them.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from llmcli.core.errors import InvalidInput

MAX_TEXT_BYTES = 64 * 1024 * 1024  # a bigger "text" file is almost surely a dump, not notes
MAX_PDF_BYTES = 256 * 1024 * 1024
SNIFF_BYTES = 8192

MARKDOWN = {".md", ".markdown", ".mdown", ".mkd"}
CSV = {".csv": ",", ".tsv": "\t"}
JSONL = {".jsonl", ".ndjson"}
PDF = {".pdf"}
# Known binary formats are skipped by name, without reading them (a folder may hold videos).
BINARY = {
    ".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".ico", ".tif", ".tiff", ".mp3", ".mp4",
    ".wav", ".ogg", ".flac", ".mov", ".avi", ".mkv", ".zip", ".gz", ".tgz", ".bz2", ".xz",
    ".7z", ".rar", ".tar", ".exe", ".dll", ".so", ".dylib", ".o", ".a", ".class", ".jar",
    ".pyc", ".whl", ".gguf", ".bin", ".safetensors", ".npy", ".npz", ".pt", ".onnx",
    ".sqlite", ".db", ".docx", ".xlsx", ".pptx", ".odt", ".ods", ".woff", ".woff2", ".ttf",
    ".otf", ".eot", ".psd", ".iso", ".dmg",
}


@dataclass
class Block:
    """One paragraph, row or record; `start`/`end` are 1-based lines, rows or pages."""

    text: str
    start: int
    end: int
    heading: tuple[str, ...] = ()


@dataclass
class Document:
    path: Path
    kind: str  # text, markdown, csv, jsonl, pdf
    unit: str  # line, row or page: what Block.start counts
    blocks: list[Block]
    notes: list[str] = field(default_factory=list)  # e.g. "3 bad JSON lines skipped"


@dataclass
class Skip:
    path: Path
    reason: str


# -- finding files --------------------------------------------------------------------------------
def discover(paths: Sequence[Path], globs: Sequence[str] = ()) -> Iterator[tuple[Path, Path]]:
    """(file, root) for every file under `paths`, sorted, hidden files and folders left out.

    `globs` filter the files found in folders: a pattern without '/' matches the file name,
    one with '/' the path relative to the folder. A file named on the command line is always
    taken. A path that does not exist is an error (a typo should not empty an index).
    """
    for root in paths:
        root = Path(root).expanduser()
        if not root.exists():
            raise InvalidInput(f"no such file or folder: {root}", hint="check the path")
        root = root.resolve()
        if root.is_file():
            yield root, root.parent
            continue
        for folder, dirs, files in os.walk(root, followlinks=False):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if name.startswith("."):
                    continue
                path = Path(folder) / name
                if globs and not _matches(path.relative_to(root).as_posix(), globs):
                    continue
                if path.is_file():  # not a socket, fifo or dangling link
                    yield path, root


def _matches(relative: str, globs: Sequence[str]) -> bool:
    name = relative.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatch(relative if "/" in g else name, g) for g in globs)


# -- reading --------------------------------------------------------------------------------------
def read(path: Path, data: bytes | None = None) -> Document | Skip:
    """The document in `path` (bytes may be passed in when already read), or why not."""
    suffix = path.suffix.lower()
    if suffix in BINARY:
        return Skip(path, f"binary file ({suffix})")
    if data is None:
        try:
            size = path.stat().st_size
            limit = MAX_PDF_BYTES if suffix in PDF else MAX_TEXT_BYTES
            if size > limit:
                mib = limit // 2**20
                return Skip(path, f"too large ({size / 1e6:.0f} MB; the limit is {mib} MiB)")
            data = path.read_bytes()
        except OSError as exc:
            return Skip(path, f"unreadable ({exc.strerror or exc})")
    if suffix in PDF or data.startswith(b"%PDF-"):
        return read_pdf(path, data)
    if b"\x00" in data[:SNIFF_BYTES] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return Skip(path, "binary file (NUL bytes)")
    text = decode(data)
    if text is None:
        return Skip(path, "not UTF-8 text (convert it, e.g. iconv -f latin1 -t utf-8)")
    if not text.strip():
        return Skip(path, "empty")
    if suffix in CSV:
        doc = read_csv(path, text, CSV[suffix])
    elif suffix in JSONL:
        doc = read_jsonl(path, text)
    elif suffix in MARKDOWN or looks_like_markdown(text):
        doc = Document(path, "markdown", "line", markdown_blocks(text))
    else:
        doc = Document(path, "text", "line", text_blocks(text))
    if not doc.blocks:
        return Skip(path, "no text found" + (f" ({'; '.join(doc.notes)})" if doc.notes else ""))
    return doc


def decode(data: bytes) -> str | None:
    """UTF-8 (with or without BOM), or UTF-16 with a BOM; None for anything else."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n")


# -- plain text and Markdown ----------------------------------------------------------------------
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_ATX_TITLED = re.compile(r"^ {0,3}#{1,6}[ \t]+\S", re.MULTILINE)


def looks_like_markdown(text: str) -> bool:
    """Notes saved as .txt are often Markdown: two headings or more make them so."""
    return len(_ATX_TITLED.findall(text, 0, 200_000)) >= 2
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_BREAK = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")


def text_blocks(text: str) -> list[Block]:
    """Paragraphs separated by blank lines, with their line numbers."""
    blocks: list[Block] = []
    buf: list[str] = []
    start = 0
    for n, line in enumerate(text.split("\n"), 1):
        if line.strip():
            if not buf:
                start = n
            buf.append(line.rstrip())
        elif buf:
            blocks.append(Block("\n".join(buf).strip("\n"), start, n - 1))
            buf = []
    if buf:
        blocks.append(Block("\n".join(buf).strip("\n"), start, start + len(buf) - 1))
    return blocks


def markdown_blocks(text: str) -> list[Block]:
    """Paragraphs under their heading path; headings themselves are not blocks, and a fenced
    code block stays whole (a '#' inside it is not a heading)."""
    blocks: list[Block] = []
    path: list[tuple[int, str]] = []
    buf: list[str] = []
    start = 0
    fence: str | None = None

    def heading() -> tuple[str, ...]:
        return tuple(t for _, t in path)

    def flush(end: int) -> None:
        nonlocal buf
        body = "\n".join(buf).strip("\n")
        if body.strip():
            blocks.append(Block(body, start, end, heading()))
        buf = []

    def enter(level: int, title: str) -> None:
        while path and path[-1][0] >= level:
            path.pop()
        if title:
            path.append((level, title))

    for n, line in enumerate(text.split("\n"), 1):
        if fence is not None:  # inside a code block: everything is content
            buf.append(line.rstrip())
            if line.strip().startswith(fence):
                fence = None
            continue
        if m := _FENCE.match(line):
            if not buf:
                start = n
            fence = m.group(1)[:3]
            buf.append(line.rstrip())
            continue
        if m := _ATX.match(line):
            flush(n - 1)
            enter(len(m.group(1)), (m.group(2) or "").strip())
            continue
        if len(buf) == 1 and _SETEXT.match(line) and not _BREAK.match(buf[0]):
            title = buf[0].strip()  # "Title\n=====": the paragraph was a heading
            buf = []
            enter(1 if line.strip().startswith("=") else 2, title)
            continue
        if not line.strip():
            flush(n - 1)
            continue
        if not buf and _BREAK.match(line):
            continue  # a thematic break separates, it is not content
        if not buf:
            start = n
        buf.append(line.rstrip())
    flush(len(text.split("\n")))
    return blocks


# -- tables and records ---------------------------------------------------------------------------
def read_csv(path: Path, text: str, delimiter: str) -> Document:
    """One block per row, written as 'column: value; ...' so every row carries its header."""
    import csv
    import io

    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows = [r for r in reader if any(c.strip() for c in r)]
    if not rows:
        return Document(path, "csv", "row", [])
    header = [h.strip() or f"column {i + 1}" for i, h in enumerate(rows[0])]
    blocks = []
    for n, row in enumerate(rows[1:], 2):
        cells = [f"{header[i] if i < len(header) else f'column {i + 1}'}: {c.strip()}"
                 for i, c in enumerate(row) if c.strip()]
        if cells:
            blocks.append(Block("; ".join(cells), n, n))
    if not blocks and len(rows) == 1:  # a one-line file: the line is the content
        blocks.append(Block("; ".join(header), 1, 1))
    return Document(path, "csv", "row", blocks)


TEXT_FIELDS = ("text", "content", "body", "page_content")


def read_jsonl(path: Path, text: str) -> Document:
    """One block per record: its text field, or its scalar fields as 'key: value; ...'."""
    import json

    blocks: list[Block] = []
    bad = 0
    for n, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            bad += 1
            continue
        body = record_text(record)
        if body.strip():
            blocks.append(Block(body.strip(), n, n, _record_heading(record)))
    verb = "line is" if bad == 1 else "lines are"
    notes = [f"{bad} {verb} not JSON (skipped)"] if bad else []
    return Document(path, "jsonl", "line", blocks, notes)


def record_text(record: object) -> str:
    import json

    if isinstance(record, str):
        return record
    if not isinstance(record, dict):
        return json.dumps(record, ensure_ascii=False)
    for key in TEXT_FIELDS:
        if isinstance(record.get(key), str):
            return record[key]
    parts = []
    for key, value in record.items():
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        parts.append(f"{key}: {shown}")
    return "; ".join(parts)


def _record_heading(record: object) -> tuple[str, ...]:
    if isinstance(record, dict):
        for key in ("title", "heading", "name"):
            if isinstance(record.get(key), str) and any(isinstance(record.get(k), str)
                                                        for k in TEXT_FIELDS):
                return (record[key],)
    return ()


# -- PDF ------------------------------------------------------------------------------------------
def read_pdf(path: Path, data: bytes) -> Document | Skip:
    """Text per page through pypdf; paragraphs where the page has blank lines."""
    try:
        import io

        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError:
        return Skip(path, "PDF support needs pypdf (pip install pypdf)")
    import logging

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings would flood stderr
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                if not reader.decrypt(""):
                    return Skip(path, "encrypted PDF (needs a password)")
            except Exception:
                return Skip(path, "encrypted PDF (needs a password)")
        blocks: list[Block] = []
        for number, page in enumerate(reader.pages, 1):
            text = (page.extract_text() or "").replace("\r\n", "\n").replace("\x00", "")
            for para in text_blocks(text):
                blocks.append(Block(para.text, number, number))
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as exc:
        return Skip(path, f"unreadable PDF ({type(exc).__name__}: {str(exc)[:80]})")
    except Exception as exc:  # pypdf raises many kinds on damaged files; one file, not the run
        return Skip(path, f"unreadable PDF ({type(exc).__name__})")
    if not blocks:
        return Skip(path, "PDF without extractable text (scanned images need OCR)")
    return Document(path, "pdf", "page", blocks)
