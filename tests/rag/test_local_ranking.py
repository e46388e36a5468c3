"""Issue #14's case with the real local model, end to end through the CLI: three short notes,
and the question the nutrition table answers must rank the table first (it used to tie with
the menu in the fused ranking, and the tie fell to the menu)."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.slow

QUESTION = "Quantas calorias tem a batata-doce?"


def test_the_nutrition_table_ranks_first_for_the_calories_question(cli, three_notes):
    pytest.importorskip("llmcli.providers.local")
    res = cli("rag", "index", "notas", str(three_notes), "--json")  # -m local by default
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["model"] == "local:gemma-3-270m#eol16-18"
    for mode in ("hybrid", "vector"):
        res = cli("rag", "search", "notas", QUESTION, "--mode", mode, "--json")
        assert res.exit_code == 0, res.stderr
        hits = json.loads(res.stdout)["hits"]
        assert hits[0]["source"] == "tabela_nutricional.csv", (mode, hits)
        assert "Batata-doce cozida; Porção: 100 g; Calorias (kcal): 77" in hits[0]["text"]
