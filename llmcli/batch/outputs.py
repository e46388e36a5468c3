"""Batch output: one record per input per model, as JSONL or CSV, each flushed when written.

A record goes out in one `write` call followed by a flush, so a killed run leaves whole lines
(a torn last line is possible only mid-write; `resume.repair_tail` cuts it off). `Reorder`
holds finished records until those before them are written, for `--ordered`.
"""

from __future__ import annotations

import csv
import errno
import io
from pathlib import Path
from typing import Any, Literal, TextIO

from llmcli.core.errors import InvalidInput, StorageError
from llmcli.core.numbers import dumps, json_ready, usd_bare

OutputFormat = Literal["jsonl", "csv"]

# The CSV columns, in order; the JSONL record holds the same values (usage and timings nested).
CSV_FIELDS = [
    "id", "model", "status", "answer", "reply", "input_tokens", "output_tokens", "cost",
    "ttft", "total", "waited", "attempts", "error", "line", "batch",
]


def make_record(
    *,
    id: Any,
    model: str,
    status: str,
    reply: str,
    answer: str | None = None,
    with_answer: bool = False,
    data: Any = None,
    with_data: bool = False,
    input_tokens: int | None = None,
    output_tokens: int | None = None,
    cost: float | None = None,
    ttft: float | None = None,
    total: float | None = None,
    waited: float | None = None,
    attempts: int = 1,
    error: str | None = None,
    line: int | None = None,
    batch: str | None = None,
) -> dict[str, Any]:
    """The JSONL shape of one result. `answer` appears only when a template extracts one,
    `data` (the parsed JSON document; null for a failed record) only with --schema."""
    rec: dict[str, Any] = {"id": id, "model": model, "status": status}
    if with_answer:
        rec["answer"] = answer
    rec["reply"] = reply
    if with_data:
        rec["data"] = data
    rec["usage"] = {"input_tokens": input_tokens, "output_tokens": output_tokens}
    rec["cost"] = cost  # USD; written to ten decimals by core.numbers.dumps
    rec["timings"] = {"ttft": _secs(ttft), "total": _secs(total), "waited": _secs(waited)}
    rec["attempts"] = attempts
    rec["error"] = error
    rec["line"] = line
    rec["batch"] = batch
    return rec


def _secs(value: float | None) -> float | None:
    return None if value is None else round(value, 3)  # the millisecond, as every --json


def flatten(rec: dict[str, Any]) -> dict[str, Any]:
    """The CSV row of a JSONL record."""
    usage = rec.get("usage") or {}
    timings = rec.get("timings") or {}
    flat = {**rec, **usage, **timings}
    return {k: flat.get(k) for k in CSV_FIELDS}


class OutputError(StorageError):
    """The output could not be written: disk full, closed pipe, I/O error."""

    def __init__(self, message: str, *, closed_pipe: bool = False, **kw: Any):
        self.closed_pipe = closed_pipe
        super().__init__(message, **kw)


class Sink:
    """Writes records one at a time; `written` counts the ones that reached the stream."""

    def __init__(self, stream: TextIO, *, name: str, owns: bool):
        self.stream = stream
        self.name = name
        self.owns = owns
        self.written = 0

    def _line(self, rec: dict[str, Any]) -> str:
        raise NotImplementedError

    def write(self, rec: dict[str, Any]) -> None:
        line = self._line(rec)
        try:
            self.stream.write(line)
            self.stream.flush()
        except BrokenPipeError:
            raise OutputError(f"{self.name} was closed by the reader", closed_pipe=True) from None
        except OSError as exc:
            what = "the disk is full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
            raise OutputError(f"could not write to {self.name}: {what}") from None
        except ValueError:  # the stream was closed under us
            raise OutputError(f"{self.name} was closed", closed_pipe=True) from None
        self.written += 1

    def close(self) -> None:
        if self.owns:
            try:
                self.stream.close()
            except OSError:
                pass


class JsonlSink(Sink):
    def _line(self, rec: dict[str, Any]) -> str:
        return dumps(rec, ensure_ascii=False) + "\n"


class CsvSink(Sink):
    def __init__(self, stream: TextIO, *, name: str, owns: bool, header: bool):
        super().__init__(stream, name=name, owns=owns)
        self._buf = io.StringIO()
        self._writer = csv.DictWriter(self._buf, fieldnames=CSV_FIELDS, lineterminator="\n")
        self._pending_header = header

    def _line(self, rec: dict[str, Any]) -> str:
        self._buf.seek(0)
        self._buf.truncate()
        if self._pending_header:
            self._writer.writeheader()
        # JSON's rules (seconds to the millisecond), and a cost as a plain decimal, not 1.3e-05
        row = json_ready(flatten(rec))
        self._writer.writerow({k: "" if v is None else usd_bare(v) if k == "cost" else v
                               for k, v in row.items()})
        return self._buf.getvalue()

    def write(self, rec: dict[str, Any]) -> None:
        super().write(rec)
        self._pending_header = False


def check_output(path: Path | None, *, append: bool) -> None:
    """An output file may exist only when it is being continued (--resume, --retry-failed)."""
    if path is None or not path.exists():
        return
    if path.is_dir():
        raise InvalidInput(f"output {path} is a directory", hint="give a file name with -O")
    if not append:
        raise InvalidInput(
            f"output file {path} exists",
            hint="pass --resume to continue it, --retry-failed to rerun its failures, or remove it",
        )


def open_sink(path: Path | None, stdout: TextIO, fmt: OutputFormat, *, append: bool) -> Sink:
    """A sink on stdout, or on `path`, which must not exist unless `append` (resume)."""
    cls = CsvSink if fmt == "csv" else JsonlSink
    if path is None:
        if cls is CsvSink:
            return CsvSink(stdout, name="standard output", owns=False, header=True)
        return JsonlSink(stdout, name="standard output", owns=False)
    check_output(path, append=append)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        stream = path.open("a", encoding="utf-8", newline="")
    except OSError as exc:
        raise StorageError(f"cannot open {path} for writing: {exc.strerror or exc}") from None
    name = str(path)
    if cls is CsvSink:
        return CsvSink(stream, name=name, owns=True, header=stream.tell() == 0)
    return JsonlSink(stream, name=name, owns=True)


class Reorder:
    """Releases records in sequence order; `ordered=False` releases each one at once."""

    def __init__(self, ordered: bool):
        self.ordered = ordered
        self.next = 0
        self._held: dict[int, dict[str, Any] | None] = {}

    @property
    def held(self) -> int:
        return len(self._held)

    def push(self, seq: int, rec: dict[str, Any] | None) -> list[dict[str, Any]]:
        """Add the result of unit `seq` (None: it produced no record); return what can go out."""
        if not self.ordered:
            return [rec] if rec is not None else []
        self._held[seq] = rec
        out = []
        while self.next in self._held:
            r = self._held.pop(self.next)
            self.next += 1
            if r is not None:
                out.append(r)
        return out

    def drain(self) -> list[dict[str, Any]]:
        """Everything still held, in order, gaps and all (the run is stopping)."""
        out = [r for _, r in sorted(self._held.items()) if r is not None]
        self._held.clear()
        return out
