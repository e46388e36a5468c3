"""`llmcli next --schema`: the grammar stage in the glass box, on the real local model."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.slow


def test_next_schema_json_shows_the_grammar_stage(cli):
    res = cli("next", "Maria tem 34 anos. JSON:", "--schema", "nome, idade int", "--steps", "3",
              "--top", "4", "--json", "-o", "temperature=0.7", "-o", "seed=1")
    assert res.exit_code == 0, res.stderr
    out = json.loads(res.stdout)
    first = out["steps"][0]
    assert first["stages"] == ["softmax", "grammar", "temperature"]
    assert first["grammar"]["removed"] == 262_144 - 1  # only '{"' can open this object
    assert first["top"][0]["piece"] == '{"' and first["top"][0]["probs"]["grammar"] == 1.0
    assert first["grammar"]["removed_top"]  # the model's favourites were masked
    for step in out["steps"]:
        assert step["grammar"]["removed"] > 0
        chosen = next(r for r in step["top"] if r["id"] == step["chosen"]["id"])
        assert chosen["probs"]["grammar"] > 0
    assert out["text"] == '{"nome":'  # the continuation, steered into the schema


def test_next_schema_screen_names_what_the_mask_removed(cli):
    res = cli("next", "JSON:", "--schema", "a bool", "--top", "3")
    assert res.exit_code == 0, res.stderr
    assert "grammar: removed 262,143 tokens; of the model's top 3:" in res.stdout
    assert "gram = after the grammar mask" in res.stdout


def test_next_schema_refuses_remote_and_beam(cli, openai_server):
    res = cli("next", "x", "-m", "openai:gpt-4o-mini", "--schema", "a")
    assert res.exit_code == 13 and "local model only" in res.stderr
    res = cli("next", "x", "--beam", "2", "--schema", "a")
    assert res.exit_code == 2
