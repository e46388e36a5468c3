"""exchange/schema.py: the concise form, bounds, reply validation, --choice and --regex."""

from __future__ import annotations

import pytest

from llmcli.core.errors import InvalidInput, SchemaMismatch
from llmcli.exchange import schema as sch


def test_concise_form_types_descriptions_and_newlines() -> None:
    got = sch.parse_schema("nome, idade int: em anos\nativo bool\npeso float, ação")
    assert got["properties"] == {
        "nome": {"type": "string"}, "idade": {"type": "integer", "description": "em anos"},
        "ativo": {"type": "boolean"}, "peso": {"type": "number"}, "ação": {"type": "string"}}
    assert got["required"] == ["nome", "idade", "ativo", "peso", "ação"]
    assert got["additionalProperties"] is False


def test_multi_wraps_in_items() -> None:
    inner = sch.parse_schema("a")
    assert sch.multi(inner)["properties"]["items"] == {"type": "array", "items": inner}


def test_bounds_refuse_wide_schemas_without_recursing() -> None:
    wide = '{"enum": [' + ",".join(["1"] * 3000) + "]}"
    with pytest.raises(InvalidInput, match="more than 2,000 parts"):
        sch.parse_schema(wide)


def test_fenced_reply_is_accepted_and_errors_name_field_and_rule() -> None:
    schema = sch.parse_schema("n int")
    assert sch.validate_reply('```json\n{"n": 3}\n```', schema) == {"n": 3}
    with pytest.raises(SchemaMismatch, match=r"at the top level: required rule"):
        sch.validate_reply("{}", schema)
    with pytest.raises(SchemaMismatch, match=r"at n: type rule"):
        sch.validate_reply('{"n": 1.5}', schema)


def test_choice_escapes_options_for_the_grammar_engine() -> None:
    pattern = sch.check_regex(sch.choice_regex("sim, não, talvez (?), a b, 🌍"))
    for ok in ("sim", "não", "talvez (?)", "a b", "🌍"):
        sch.validate_regex(ok, pattern)
    for bad in ("si", "talvez", "sim "):
        with pytest.raises(SchemaMismatch):
            sch.validate_regex(bad, pattern)


def test_regex_validation_is_linear_on_a_backtracking_trap() -> None:
    # Python's re takes exponential time here; the byte-level DFA answers at once.
    with pytest.raises(SchemaMismatch, match="from byte 50001"):
        sch.validate_regex("a" * 50_000 + "c", sch.check_regex("(a+)+b"))


@pytest.mark.parametrize("pattern", ["(abc", "", "x" * 2001])
def test_bad_regexes_are_invalid_input(pattern: str) -> None:
    with pytest.raises(InvalidInput):
        sch.check_regex(pattern)
