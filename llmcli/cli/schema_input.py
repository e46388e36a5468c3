"""Reading `--schema`: a file path, inline JSON, or the concise form; bounded before parsing."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def load_schema(value: str | None, multi: str | None) -> dict[str, Any] | None:
    """The JSON Schema asked for by `--schema` or `--schema-multi` (an array of items)."""
    from llmcli.core.errors import InvalidInput
    from llmcli.exchange.schema import multi as as_multi
    from llmcli.exchange.schema import parse_schema

    if value is not None and multi is not None:
        raise InvalidInput("give --schema or --schema-multi, not both")
    given = value if value is not None else multi
    if given is None:
        return None
    schema = parse_schema(_text(given))
    return as_multi(schema) if multi is not None else schema


def _text(value: str) -> str:
    from llmcli.core.errors import InvalidInput
    from llmcli.exchange.schema import MAX_SCHEMA_CHARS

    path = Path(value)
    if "\n" in value or value.lstrip().startswith("{") or len(value) > 4096:
        return value
    try:
        if not path.is_file():
            return value
        with path.open("rb") as f:
            data = f.read(MAX_SCHEMA_CHARS * 4 + 1)  # UTF-8: at most 4 bytes a character
    except OSError as exc:
        raise InvalidInput(f"cannot read the schema file {value}: {exc.strerror}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(f"the schema file {value} is not UTF-8 text") from None
