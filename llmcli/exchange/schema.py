"""Structured output: a JSON Schema from inline JSON or the concise form, bounded, and a
reply checked against it.

The concise form follows simonw/llm's: comma- or newline-separated fields, each
`name [type][: description]`, type one of str (default), int, float, bool. `--schema-multi`
wraps the object in `{"items": [ ... ]}`, since providers' native modes want an object at the
top level.

User schemas are bounded (size, nesting depth, node count) before anything compiles them, so a
hostile file cannot hang the process or exhaust memory in a validator or grammar engine.
"""

from __future__ import annotations

import json
import re
from typing import Any

from llmcli.core.errors import InvalidInput, SchemaMismatch

MAX_SCHEMA_CHARS = 64_000
MAX_DEPTH = 12
MAX_NODES = 2_000
_TYPES = {"str": "string", "int": "integer", "float": "number", "bool": "boolean"}
_FIELD = re.compile(r"^([A-Za-z_\u00C0-\uFFFF][\w\u00C0-\uFFFF-]*)(?:\s+(\w+))?\s*(?::\s*(.*))?$")


def parse_schema(text: str) -> dict[str, Any]:
    """A JSON Schema from inline JSON (`{...}`) or the concise form (`name, age int, bio`)."""
    text = text.strip()
    if not text:
        raise InvalidInput("the schema is empty", hint="e.g. --schema 'name, age int, bio'")
    if len(text) > MAX_SCHEMA_CHARS:
        raise InvalidInput(f"the schema is {len(text):,} characters, over {MAX_SCHEMA_CHARS:,}",
                           hint="a schema for one reply fits in a few hundred lines")
    if text.startswith("{"):
        try:
            schema = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"the schema is not valid JSON: {exc.msg} at line {exc.lineno} "
                               f"column {exc.colno}", hint="fix the JSON, or use the concise "
                               "form 'name, age int, bio'") from None
        if not isinstance(schema, dict):
            raise InvalidInput("the schema must be a JSON object")
    else:
        schema = concise_schema(text)
    check_schema(schema)
    return schema


def concise_schema(text: str) -> dict[str, Any]:
    """`name, age int: in years, bio` -> an object schema with every field required."""
    props: dict[str, Any] = {}
    for raw in re.split(r"[,\n]", text):
        part = raw.strip()
        if not part:
            continue
        m = _FIELD.match(part)
        if not m or (m.group(2) and m.group(2) not in _TYPES):
            raise InvalidInput(f"cannot read the schema field {part!r}",
                               hint="write 'name [str|int|float|bool][: description]'")
        name, kind, description = m.group(1), m.group(2) or "str", m.group(3)
        prop: dict[str, Any] = {"type": _TYPES[kind]}
        if description:
            prop["description"] = description.strip()
        props[name] = prop
    if not props:
        raise InvalidInput("the schema has no fields", hint="e.g. --schema 'name, age int, bio'")
    return {"type": "object", "properties": props, "required": list(props),
            "additionalProperties": False}


def multi(schema: dict[str, Any]) -> dict[str, Any]:
    """`--schema-multi`: an object holding an array of items of `schema`."""
    return {"type": "object", "properties": {"items": {"type": "array", "items": schema}},
            "required": ["items"], "additionalProperties": False}


def check_schema(schema: dict[str, Any]) -> None:
    """Refuse schemas that are too deep or too large, or that are not valid JSON Schema."""
    nodes = 0
    stack: list[tuple[Any, int]] = [(schema, 0)]
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if depth > MAX_DEPTH:
            raise InvalidInput(f"the schema nests deeper than {MAX_DEPTH} levels",
                               hint="flatten it")
        if nodes > MAX_NODES:
            raise InvalidInput(f"the schema has more than {MAX_NODES:,} parts", hint="shrink it")
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.path) or "top level"
        raise InvalidInput(f"the schema is not valid JSON Schema at {where}: {exc.message}",
                           hint="see https://json-schema.org/understanding-json-schema") from None


def validate_reply(text: str, schema: dict[str, Any]) -> Any:
    """The reply's JSON document if it validates; else SchemaMismatch naming the field and
    the rule. A reply wrapped in a ```json fence is accepted (some models add one)."""
    body = _unfence(text)
    try:
        document = json.loads(body)
    except json.JSONDecodeError as exc:
        raise SchemaMismatch(f"the reply is not JSON: {exc.msg} at line {exc.lineno} column "
                             f"{exc.colno}", hint="the raw reply is on stderr") from None
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match

    error = best_match(Draft202012Validator(schema).iter_errors(document))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "the top level"
        raise SchemaMismatch(f"the reply does not match the schema at {where}: "
                             f"{error.validator} rule: {error.message}",
                             hint="the raw reply is on stderr")
    return document


def _unfence(text: str) -> str:
    body = text.strip()
    m = re.match(r"^```(?:json)?\s*\n(.*)\n```$", body, re.DOTALL)
    return m.group(1) if m else body


def instruction(schema: dict[str, Any]) -> str:
    """The system text for providers without a native mode (instruct, then validate)."""
    return ("Reply with one JSON document only, no prose and no code fence, that validates "
            "against this JSON Schema:\n" + json.dumps(schema, ensure_ascii=False))
