"""Streaming readers of batch inputs: JSONL, CSV and plain lines, one record at a time.

Nothing is held beyond the current record, so 100,000 lines cost what one line costs. A record
that cannot be used is yielded as a `BadLine` with its line number: the caller reports it and
skips it, or stops (`--strict`). The default id of a record is the line number it starts on,
which stays stable from one run to the next (that is what `--resume` matches on).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Literal

from llmcli.core.errors import InvalidInput

InputFormat = Literal["jsonl", "csv", "lines"]

# A CSV cell may hold a long document; the csv module's default limit is 128 KiB.
_CSV_FIELD_LIMIT = 64 * 1024 * 1024


@dataclass(slots=True)
class Item:
    """One usable input record."""

    line: int  # the line the record starts on, 1-based
    id: Any  # as given (str or int), or the line number
    prompt: str | None = None  # the text to send when there is no template
    variables: dict[str, Any] = field(default_factory=dict)  # template variables
    system: str | None = None

    @property
    def key(self) -> str:
        """The id as resume compares it: 7 and "7" are the same input."""
        return str(self.id)


@dataclass(slots=True)
class BadLine:
    """A record that was not used, and why."""

    line: int
    reason: str


Record = Item | BadLine


def read_items(
    stream: BinaryIO, fmt: InputFormat, *, needs_prompt: bool = True,
    dedupe: Callable[[Item, int], None] | None = None,
) -> Iterator[Record]:
    """Yield the records of `stream`. `needs_prompt` is False when a template supplies it.

    An id seen before is a `BadLine` (resume matches answers by id, so a repeated id would be
    taken for answered), unless `dedupe` is given: then the repeat is passed to it with the
    line of the first occurrence, and not yielded. Memory: one short string per record."""
    if fmt == "csv":
        records = _read_csv(stream, needs_prompt)
    elif fmt == "lines":
        records = _read_lines(stream)
    else:
        records = _read_jsonl(stream, needs_prompt)
    seen: dict[str, int] = {}
    for rec in records:
        if isinstance(rec, Item):
            first = seen.setdefault(rec.key, rec.line)
            if first != rec.line:
                if dedupe is not None:
                    dedupe(rec, first)
                    continue
                yield BadLine(rec.line, f"id {rec.id!r} was already used on line {first}; ids "
                                        "must be unique (or pass --dedupe to answer each id once)")
                continue
        yield rec


def _decoded_lines(stream: BinaryIO) -> Iterator[tuple[int, str | None, str]]:
    """(line number, text or None when it is not UTF-8, reason)."""
    for number, raw in enumerate(stream, start=1):
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            yield number, raw.decode("utf-8").rstrip("\r\n"), ""
        except UnicodeDecodeError as exc:
            byte = raw[exc.start]
            yield number, None, f"not valid UTF-8 (byte 0x{byte:02x} at column {exc.start + 1})"


def _read_lines(stream: BinaryIO) -> Iterator[Record]:
    for number, text, reason in _decoded_lines(stream):
        if text is None:
            yield BadLine(number, reason)
        elif text.strip():
            yield Item(line=number, id=number, prompt=text)


def _read_jsonl(stream: BinaryIO, needs_prompt: bool) -> Iterator[Record]:
    for number, text, reason in _decoded_lines(stream):
        if text is None:
            yield BadLine(number, reason)
            continue
        if not text.strip():
            continue
        try:
            value = json.loads(text)
        except ValueError as exc:
            yield BadLine(number, f"not valid JSON {_json_reason(exc)}")
            continue
        if isinstance(value, str):  # a bare JSON string is a prompt
            value = {"prompt": value}
        if not isinstance(value, dict):
            yield BadLine(number, f"expected a JSON object, got {_json_type(value)}")
            continue
        yield _item(number, value, needs_prompt)


def _read_csv(stream: BinaryIO, needs_prompt: bool) -> Iterator[Record]:
    # Undecodable bytes become surrogates so one bad row can be reported and skipped.
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    if csv.field_size_limit() < _CSV_FIELD_LIMIT:
        csv.field_size_limit(_CSV_FIELD_LIMIT)
    reader = csv.reader(text)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise InvalidInput(f"line 1: the CSV header cannot be read ({exc})") from None
    if header is None:
        return
    header = [h.strip() for h in header]
    if needs_prompt and "prompt" not in header:
        raise InvalidInput(
            "the CSV header has no 'prompt' column",
            hint="name the column 'prompt', or pass -t TEMPLATE to fill a template from them",
        )
    if len(set(header)) != len(header) or "" in header:
        raise InvalidInput(
            "the CSV header has empty or repeated column names", hint="name every column once"
        )
    last = reader.line_num
    while True:
        start = last + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            last = reader.line_num
            yield BadLine(start, f"not valid CSV ({exc})")
            continue
        last = reader.line_num
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            yield BadLine(start, f"{len(row)} fields where the header has {len(header)}")
            continue
        if any(_has_surrogate(cell) for cell in row):
            yield BadLine(start, "not valid UTF-8")
            continue
        yield _item(start, dict(zip(header, row, strict=True)), needs_prompt, csv_id=True)


def _item(number: int, obj: dict[str, Any], needs_prompt: bool, csv_id: bool = False) -> Record:
    """Validate one object's fields: `id`, `prompt`, `system`; the rest are variables."""
    obj = dict(obj)
    ident: Any = obj.pop("id", None)
    if csv_id and ident == "":
        ident = None
    if ident is None:
        ident = number
    elif isinstance(ident, bool) or not isinstance(ident, str | int):
        return BadLine(number, f"'id' must be a string or an integer, got {_json_type(ident)}")
    prompt = obj.get("prompt")
    if prompt is not None and not isinstance(prompt, str):
        return BadLine(number, f"'prompt' must be a string, got {_json_type(prompt)}")
    if needs_prompt:
        if prompt is None:
            return BadLine(
                number, "no 'prompt' field (or pass -t TEMPLATE to fill a template from its fields)"
            )
        if not prompt.strip():
            return BadLine(number, "empty 'prompt'")
    system = obj.get("system")
    if system is not None and not isinstance(system, str):
        return BadLine(number, f"'system' must be a string, got {_json_type(system)}")
    return Item(line=number, id=ident, prompt=prompt, variables=obj, system=system or None)


def _json_reason(exc: ValueError) -> str:
    msg = getattr(exc, "msg", str(exc)).removesuffix(" at")  # "...starting at" needs a place
    msg = msg[:1].lower() + msg[1:]
    col = getattr(exc, "colno", None)
    return f"at column {col}: {msg}" if col else msg


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
             float: "a number", int: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def count_records(path: str, fmt: InputFormat) -> int:
    """A quick estimate of how many records a file holds (its lines), for the ETA.

    Reads in 1 MiB blocks: constant memory, well under a second for 100 MB.
    """
    count = 0
    last = b"\n"
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            count += block.count(b"\n")
            last = block[-1:]
    if last != b"\n":
        count += 1  # a last line without a newline
    if fmt == "csv":
        count -= 1  # the header
    return max(0, count)
