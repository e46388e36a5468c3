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
                             f"{exc.colno}") from None
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match

    error = best_match(Draft202012Validator(schema).iter_errors(document))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "the top level"
        raise SchemaMismatch(f"the reply does not match the schema at {where}: "
                             f"{error.validator} rule: {error.message}")
    return document


def check_response(request: Any, response: Any) -> SchemaMismatch | None:
    """Validate a complete reply against the request's `--schema` or `--regex`: the document
    goes on `response.data`; a mismatch marks the response as an error and is returned."""
    try:
        if request.regex is not None:
            validate_regex(response.text, request.regex)
        if request.json_schema is not None:
            response.data = validate_reply(response.text, request.json_schema)
    except SchemaMismatch as exc:
        if getattr(response, "finish_reason", None) == "length":
            # The grammar kept every token valid; the token budget ended the reply first (a
            # small model can also repeat a digit until it runs out).
            exc = SchemaMismatch(f"the reply was cut at max_tokens before it was complete "
                                 f"({exc.message})", hint="raise -o max_tokens")
        response.status = "error"
        response.error = exc.message
        return exc
    return None


def stored_form(schema: dict[str, Any]) -> str:
    """The schema as the log stores it (store/logs.py), so a lookup can match it exactly."""
    return json.dumps(schema, ensure_ascii=False)


def parse_document(text: str) -> Any:
    """The JSON document of a logged reply that validated (a fence tolerated), or None."""
    try:
        return json.loads(_unfence(text))
    except json.JSONDecodeError:
        return None


def _unfence(text: str) -> str:
    body = text.strip()
    m = re.match(r"^```(?:json)?\s*\n(.*)\n```$", body, re.DOTALL)
    return m.group(1) if m else body


MAX_REGEX_CHARS = 2_000
# Escaped in --choice options; Python's re.escape also escapes spaces, which Rust's regex
# syntax (llguidance) refuses.
_META = re.compile(r"[\\.^$|?*+()\[\]{}-]")
MAX_CHOICES = 200


def choice_regex(text: str) -> str:
    """`--choice a,b,c` as the regular expression the grammar stage uses (options escaped)."""
    options = [o.strip() for o in text.split(",") if o.strip()]
    if not options:
        raise InvalidInput("--choice needs at least one option", hint="e.g. --choice sim,não")
    if len(options) > MAX_CHOICES:
        raise InvalidInput(f"--choice takes at most {MAX_CHOICES} options")
    return "|".join(_META.sub(r"\\\g<0>", o) for o in options)


def check_regex(pattern: str) -> str:
    """A regular expression for `--regex`: bounded and compilable by the grammar engine."""
    if not pattern:
        raise InvalidInput("--regex is empty", hint=r"e.g. --regex '\d{4}-\d{2}-\d{2}'")
    if len(pattern) > MAX_REGEX_CHARS:
        raise InvalidInput(f"--regex is over {MAX_REGEX_CHARS:,} characters")
    import llguidance

    matcher = llguidance.LLMatcher(_byte_tokenizer(), llguidance.LLMatcher.grammar_from_regex(
        pattern), log_level=0)
    if matcher.is_error():
        detail = " ".join(matcher.get_error().split())[:200]
        raise InvalidInput(f"--regex cannot be used: {detail}")
    return pattern


def validate_regex(text: str, pattern: str) -> None:
    """SchemaMismatch unless the whole reply matches. Runs llguidance over the reply's bytes
    (a lazy DFA, linear time): Python's backtracking `re` could hang on a pattern like
    `(a+)+b`, and this is the very engine that constrained the local model."""
    import llguidance

    matcher = llguidance.LLMatcher(_byte_tokenizer(), llguidance.LLMatcher.grammar_from_regex(
        pattern), log_level=0)
    data = text.encode("utf-8")
    for i, byte in enumerate(data):
        if not matcher.consume_token(byte):
            raise SchemaMismatch(f"the reply does not match --regex from byte {i + 1}")
    if not matcher.is_accepting():
        raise SchemaMismatch("the reply stops before matching --regex (max_tokens?)")


_BYTES: Any = None


def _byte_tokenizer() -> Any:
    """An llguidance tokenizer whose tokens are the 256 bytes (plus an end token)."""
    global _BYTES
    if _BYTES is None:
        import llguidance

        class _Bytes:
            def __init__(self) -> None:
                self.eos_token_id = 256
                self.bos_token_id = None
                self.tokens = [bytes([i]) for i in range(256)] + [b"\xff<end>"]
                self.special_token_ids = [256]

            def __call__(self, s: str | bytes) -> list[int]:
                return list(s.encode("utf-8") if isinstance(s, str) else s)

        _BYTES = llguidance.LLTokenizer(llguidance.TokenizerWrapper(_Bytes()))
    return _BYTES


def instruction(schema: dict[str, Any]) -> str:
    """The system text for providers without a native mode (instruct, then validate)."""
    return ("Reply with one JSON document only, no prose and no code fence, that validates "
            "against this JSON Schema:\n" + json.dumps(schema, ensure_ascii=False))
