"""The provider's request files for a batch job, written one line at a time.

Each input is read by `batch.inputs`, turned into messages by the same builder a synchronous
batch uses, into a `ChatRequest` by `exchange.request.build_request`, and into the body the
provider's SDK would send by the provider's batch service. Lines go straight to disk and a new
file starts whenever the next line would pass a provider limit (requests or bytes per file), so
memory stays flat however many inputs there are.

A line's `custom_id` is `L<line>:<id as JSON>`: unique even when input ids repeat, and it gives
back the input's line and its id (string or integer, as given) when results are joined.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from llmcli.batch.inputs import BadLine, Item
from llmcli.core.errors import InvalidInput

if TYPE_CHECKING:
    from llmcli.batch.build import Builder
    from llmcli.batch.config import Target
    from llmcli.batch.inputs import Record
    from llmcli.core.batch_jobs import BatchService


@dataclass(frozen=True)
class Limits:
    """Per request file. OpenAI: 50,000 requests or 200 MB (Groq's are the same)."""

    max_requests: int = 50_000
    max_bytes: int = 200 * 1024 * 1024


@dataclass
class RequestFile:
    path: Path
    requests: int = 0
    size: int = 0


@dataclass
class Built:
    files: list[RequestFile] = field(default_factory=list)
    bad: list[BadLine] = field(default_factory=list)
    prompt_chars: int = 0  # for the input-only cost estimate

    @property
    def requests(self) -> int:
        return sum(f.requests for f in self.files)


def custom_id(item: Item) -> str:
    return f"L{item.line}:{json.dumps(item.id, ensure_ascii=False)}"


def parse_custom_id(value: str) -> tuple[int | None, Any]:
    """(line, input id) from a custom_id written by `custom_id`; (None, value) otherwise."""
    head, sep, rest = value.partition(":")
    if sep and head.startswith("L") and head[1:].isdigit():
        try:
            return int(head[1:]), json.loads(rest)
        except ValueError:
            pass
    return None, value


def part_path(folder: Path, part: int) -> Path:
    return folder / f"part-{part}.jsonl"


def messages_path(request_file: Path) -> Path:
    """Beside `part-N.jsonl`: each line's messages as built, before any provider shaped them."""
    return request_file.with_name(request_file.stem + ".messages.jsonl")


def write_request_files(
    records: Iterable[Record],
    builder: Builder,
    target: Target,
    service: BatchService,
    folder: Path,
    limits: Limits = Limits(),
    *,
    first_part: int = 1,
    strict: bool = False,
) -> Built:
    """Write `folder/part-N.jsonl` files; malformed records are collected in `bad`."""
    from llmcli.exchange.request import build_request

    folder.mkdir(parents=True, exist_ok=True)
    built = Built()
    out: BinaryIO | None = None
    sent: BinaryIO | None = None  # the messages of each line, to log the fetched exchanges
    current: RequestFile | None = None
    try:
        for rec in records:
            if isinstance(rec, BadLine):
                if strict:
                    raise InvalidInput(f"line {rec.line}: {rec.reason}")
                built.bad.append(rec)
                continue
            try:
                messages = builder.build(rec)
            except InvalidInput as exc:
                if strict:
                    raise InvalidInput(f"line {rec.line}: {exc.message}") from None
                built.bad.append(BadLine(rec.line, exc.message))
                continue
            request = build_request(target.ref, messages, target.options, schema=target.schema)
            line = json.dumps(
                {"custom_id": custom_id(rec), "method": "POST", "url": service.endpoint,
                 "body": service.request_body(request)},
                ensure_ascii=False, separators=(",", ":"),
            ).encode() + b"\n"
            if len(line) > limits.max_bytes:
                raise InvalidInput(f"line {rec.line}: one request of {len(line):,} bytes is over "
                                   f"the provider's {limits.max_bytes:,}-byte file limit")
            if current is None or (current.requests >= limits.max_requests
                                   or current.size + len(line) > limits.max_bytes):
                if out is not None:
                    out.close()
                if sent is not None:
                    sent.close()
                current = RequestFile(part_path(folder, first_part + len(built.files)))
                built.files.append(current)
                out = current.path.open("wb")
                sent = messages_path(current.path).open("wb")
            assert out is not None and sent is not None
            out.write(line)
            sent.write(json.dumps({"custom_id": custom_id(rec),
                                   "messages": [m.model_dump(mode="json") for m in messages]},
                                  ensure_ascii=False).encode() + b"\n")
            current.requests += 1
            current.size += len(line)
            built.prompt_chars += sum(len(m.content) for m in messages)
    finally:
        if out is not None:
            out.close()
        if sent is not None:
            sent.close()
    return built


def select_lines(source: Path, wanted: set[str], out: BinaryIO) -> int:
    """Copy the request lines of `source` whose custom_id is in `wanted` to `out`, removing
    each from `wanted` (a request resubmitted before is copied once)."""
    n = 0
    with source.open("rb") as src:
        for raw in src:
            cid = json.loads(raw).get("custom_id")
            if cid in wanted:
                wanted.discard(cid)
                out.write(raw)
                n += 1
    return n
