"""Few-shot examples from a file: JSONL, JSON, CSV/TSV or YAML, each row an input and an output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from llmcli.core.errors import InvalidInput
from llmcli.templates.model import Example

COLUMNS = ("input", "output")
SUFFIXES = (".jsonl", ".json", ".csv", ".tsv", ".yaml", ".yml")
_HINT = "each example needs exactly the columns 'input' and 'output'"


def load_examples(path: str | Path) -> list[Example]:
    """Read examples; wrong columns, bad rows and unknown formats are one-line InvalidInput."""
    path = Path(path).expanduser()
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InvalidInput(
            f"examples file {path}: unknown format '{suffix or 'no extension'}'",
            hint="use .jsonl, .json, .csv, .tsv or .yaml",
        )
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InvalidInput(f"examples file {path} not found", hint="check the path") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"examples file {path} is not UTF-8",
                           hint="convert it to UTF-8") from None
    except OSError as exc:
        raise InvalidInput(f"examples file {path} cannot be read: {exc.strerror}") from None
    if suffix == ".jsonl":
        rows = _jsonl(path, text)
    elif suffix == ".json":
        rows = _json(path, text)
    elif suffix in (".csv", ".tsv"):
        rows = _csv(path, text, "\t" if suffix == ".tsv" else ",")
    else:
        rows = _yaml(path, text)
    if not rows:
        raise InvalidInput(f"examples file {path} has no examples", hint=_HINT)
    return [_example(path, where, row) for where, row in rows]


def _example(path: Path, where: str, row: Any) -> Example:
    if not isinstance(row, dict):
        raise InvalidInput(
            f"examples file {path} {where}: expected an object with input and output", hint=_HINT
        )
    keys = [str(k) for k in row]
    missing = [c for c in COLUMNS if c not in keys]
    extra = [k for k in keys if k not in COLUMNS]
    if missing or extra:
        found = ", ".join(keys) or "none"
        raise InvalidInput(
            f"examples file {path} {where}: columns are {found}; expected input, output",
            hint=_HINT + " (rename the columns or keys)",
        )
    for col in COLUMNS:
        value = row[col]
        if value is None or isinstance(value, dict | list):
            raise InvalidInput(
                f"examples file {path} {where}: '{col}' must be text", hint=_HINT
            )
    return Example(input=row["input"], output=row["output"])


def _jsonl(path: Path, text: str) -> list[tuple[str, Any]]:
    import json

    rows = []
    for no, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append((f"line {no}", json.loads(line)))
        except json.JSONDecodeError as exc:
            raise InvalidInput(
                f"examples file {path} line {no}: not valid JSON ({exc.msg})",
                hint="one JSON object per line, e.g. {\"input\": \"...\", \"output\": \"...\"}",
            ) from None
    return rows


def _json(path: Path, text: str) -> list[tuple[str, Any]]:
    import json

    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"examples file {path} line {exc.lineno}: not valid JSON ({exc.msg})",
            hint="a JSON list of {\"input\": ..., \"output\": ...} objects",
        ) from None
    if not isinstance(data, list):
        raise InvalidInput(f"examples file {path}: expected a JSON list of examples", hint=_HINT)
    return [(f"item {i}", row) for i, row in enumerate(data, 1)]


def _csv(path: Path, text: str, delimiter: str) -> list[tuple[str, Any]]:
    import csv
    import io

    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [h.strip() for h in (reader.fieldnames or [])]
    if sorted(header) != sorted(COLUMNS):
        found = ", ".join(header) or "none"
        raise InvalidInput(
            f"examples file {path}: columns are {found}; expected input, output",
            hint="the first row must be the header: input,output",
        )
    reader.fieldnames = header
    rows = []
    for row in reader:
        if None in row or any(v is None for v in row.values()):
            raise InvalidInput(
                f"examples file {path} line {reader.line_num}: expected 2 columns",
                hint="quote values that contain the delimiter",
            )
        rows.append((f"line {reader.line_num}", row))
    return rows


def _yaml(path: Path, text: str) -> list[tuple[str, Any]]:
    import yaml

    from llmcli.templates.loader import yaml_loader

    try:
        data = yaml.load(text, Loader=yaml_loader())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "malformed YAML"
        raise InvalidInput(f"examples file {path}{line}: {problem}", hint="fix the YAML") from None
    if isinstance(data, dict) and set(data) == {"examples"}:
        data = data["examples"]
    if not isinstance(data, list):
        raise InvalidInput(f"examples file {path}: expected a YAML list of examples", hint=_HINT)
    return [(f"item {i}", row) for i, row in enumerate(data, 1)]
