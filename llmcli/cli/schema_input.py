"""Reading `--schema`: a file path, a saved schema's name, inline JSON, or the concise form;
bounded before parsing."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llmcli.app_context import AppContext

# One wording for --schema / --schema-multi on every command that takes them.
SCHEMA_HELP = ("Reply as JSON valid against this schema: a file, a saved schema's name, "
               "inline JSON, or 'name, age int, bio'.")
SCHEMA_MULTI_HELP = "As --schema, for an array of such items ({\"items\": [...]})."

_NAME = re.compile(r"^[\w][\w.-]{0,63}$")
Lookup = Callable[[str], "dict[str, Any] | None"]


def check_name(name: str) -> None:
    from llmcli.core.errors import InvalidInput

    if not _NAME.match(name):
        raise InvalidInput(f"bad schema name {name!r}",
                           hint="letters, digits, '_', '.', '-'; up to 64")


def saved(app_ctx: AppContext) -> Lookup:
    """Looks a name up among saved schemas (without creating a log database that is absent)."""

    def lookup(name: str) -> dict[str, Any] | None:
        if not app_ctx.logs.path.exists():
            return None
        from llmcli.store.schemas import SchemaStore

        return SchemaStore(app_ctx.logs).get(name)

    return lookup


def load_schema(value: str | None, multi: str | None,
                named: Lookup | None = None) -> dict[str, Any] | None:
    """The JSON Schema asked for by `--schema` or `--schema-multi` (an array of items).
    A file wins, then a saved schema's name (`named`), then inline JSON or the concise form."""
    from llmcli.core.errors import InvalidInput
    from llmcli.exchange.schema import multi as as_multi
    from llmcli.exchange.schema import parse_schema

    if value is not None and multi is not None:
        raise InvalidInput("give --schema or --schema-multi, not both")
    given = value if value is not None else multi
    if given is None:
        return None
    text = _read_file(given)
    found = None
    if text is None and named is not None and _NAME.match(given):
        found = named(given)
        if found is not None:
            from llmcli.exchange.schema import check_schema

            check_schema(found)  # bounds again: the database is a file anyone can edit
    schema = found if found is not None else parse_schema(given if text is None else text)
    return as_multi(schema) if multi is not None else schema


def _read_file(value: str) -> str | None:
    """The text of the file `value` names, or None when it names no file."""
    from llmcli.core.errors import InvalidInput
    from llmcli.exchange.schema import MAX_SCHEMA_CHARS

    path = Path(value)
    if "\n" in value or value.lstrip().startswith("{") or len(value) > 4096:
        return None
    try:
        if not path.is_file():
            return None
        with path.open("rb") as f:
            data = f.read(MAX_SCHEMA_CHARS * 4 + 1)  # UTF-8: at most 4 bytes a character
    except OSError as exc:
        raise InvalidInput(f"cannot read the schema file {value}: {exc.strerror}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(f"the schema file {value} is not UTF-8 text") from None
