"""Resuming a batch from its output file: what was answered, what failed, a torn tail, compaction.

An input is identified by (model, id). Reading the file, an `ok` record marks the pair answered
and a later `error` record never undoes that; an `error` record marks it failed until an `ok`
one follows (that is what `--retry-failed` appends). Memory grows with the number of records
already written (one short string per record), never with the input file.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llmcli.batch.outputs import CSV_FIELDS, OutputFormat
from llmcli.core.errors import StorageError
from llmcli.core.numbers import dumps


def answer_key(model: str, ident: Any) -> str:
    return f"{model}\x00{ident}"


@dataclass
class Answered:
    ok: set[str] = field(default_factory=set)
    failed: set[str] = field(default_factory=set)
    records: int = 0
    superseded: int = 0  # records a later one replaced (an error retried, a repeat)
    unreadable: int = 0
    batch: str | None = None  # the batch id of the last record, reused by the next run
    cut_bytes: int = 0  # a torn last line removed by `repair_tail`


def repair_tail(path: Path) -> int:
    """Cut a last line that has no newline (a write torn by a kill or a full disk)."""
    try:
        with path.open("r+b") as fh:
            size = fh.seek(0, os.SEEK_END)
            if size == 0:
                return 0
            fh.seek(size - 1)
            if fh.read(1) == b"\n":
                return 0
            # Walk back in blocks to the last newline.
            pos = size
            keep = 0
            while pos > 0:
                step = min(65536, pos)
                pos -= step
                fh.seek(pos)
                block = fh.read(step)
                idx = block.rfind(b"\n")
                if idx >= 0:
                    keep = pos + idx + 1
                    break
            fh.truncate(keep)
            return size - keep
    except OSError as exc:
        raise StorageError(f"cannot repair {path}: {exc.strerror or exc}") from None


def _records(path: Path, fmt: OutputFormat) -> Iterator[dict[str, Any] | None]:
    """Each record of the file as a dict, or None for a line that cannot be read."""
    with path.open("r", encoding="utf-8", errors="replace", newline="") as fh:
        if fmt == "csv":
            reader = csv.DictReader(fh)
            if reader.fieldnames is None:
                return
            if not {"id", "model", "status"} <= set(reader.fieldnames):
                yield None  # not a batch output's header: not a file to resume
                return
            while True:
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error:
                    yield None
                    continue
                yield row if row.get("model") and row.get("status") else None
        else:
            for line in fh:
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except ValueError:
                    yield None
                    continue
                yield rec if isinstance(rec, dict) and "model" in rec and "status" in rec else None


def scan(path: Path, fmt: OutputFormat, *, repair: bool = True) -> Answered:
    """Read an earlier run's output, first cutting a torn last line (unless `repair` is off:
    then that line is only counted as unreadable)."""
    state = Answered()
    if not path.exists():
        return state
    if repair:
        state.cut_bytes = repair_tail(path)
    try:
        for rec in _records(path, fmt):
            if rec is None:
                state.unreadable += 1
                continue
            state.records += 1
            key = answer_key(rec["model"], rec.get("id"))
            state.batch = rec.get("batch") or state.batch
            if rec["status"] == "ok":
                if key in state.ok:
                    state.superseded += 1
                elif key in state.failed:
                    state.failed.discard(key)
                    state.superseded += 1
                state.ok.add(key)
            elif key in state.ok or key in state.failed:
                state.superseded += 1
                # An error after an ok changes nothing; a second error replaces the first.
            else:
                state.failed.add(key)
    except OSError as exc:
        raise StorageError(f"cannot read {path}: {exc.strerror or exc}") from None
    return state


def compact(path: Path, fmt: OutputFormat) -> int:
    """Rewrite the file with one record per (model, id): the ok one, else the last error.

    Written to a temporary file beside it and moved into place, so a crash leaves either file
    whole. Returns how many records were dropped.
    """
    last: dict[str, int] = {}
    first_ok: dict[str, int] = {}
    for i, rec in enumerate(_records(path, fmt)):
        if rec is None:
            continue
        key = answer_key(rec["model"], rec.get("id"))
        last[key] = i
        if rec["status"] == "ok":
            first_ok.setdefault(key, i)
    tmp = path.with_name(path.name + ".compact")
    dropped = 0
    try:
        with tmp.open("w", encoding="utf-8", newline="") as out:
            writer = None
            if fmt == "csv":
                writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n")
                writer.writeheader()
            for i, rec in enumerate(_records(path, fmt)):
                if rec is None:
                    dropped += 1
                    continue
                key = answer_key(rec["model"], rec.get("id"))
                keep = first_ok.get(key, last[key]) == i
                if not keep:
                    dropped += 1
                elif writer is not None:
                    writer.writerow({k: rec.get(k, "") for k in CSV_FIELDS})
                else:
                    out.write(dumps(rec, ensure_ascii=False) + "\n")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise StorageError(f"cannot rewrite {path}: {exc.strerror or exc}") from None
    return dropped
