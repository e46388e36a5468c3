"""Fully offline: index with the local model's embeddings, ask the local model with the context."""

from __future__ import annotations

import json
import sqlite3

import pytest

from llmcli.config import Paths

pytestmark = pytest.mark.slow


def test_offline_index_search_and_ask(cli, tmp_path):
    pytest.importorskip("llmcli.providers.local")
    folder = tmp_path / "cardapio"
    folder.mkdir()
    (folder / "receitas.md").write_text(
        "# Receitas\n\n## Frango grelhado\n\nGrelhe o peito de frango por seis minutos de cada "
        "lado.\n\n## Omelete\n\nBata quatro claras com espinafre.\n", encoding="utf-8")
    (folder / "foto.jpg").write_bytes(b"\xff\xd8\xff")
    res = cli("rag", "index", "cardapio", str(folder), "--json")  # -m defaults to local
    assert res.exit_code == 0, res.stderr
    stats = json.loads(res.stdout)
    assert stats["model"] == "local:gemma-3-270m#eol16-18"
    assert (stats["chunks"], stats["embedded"], len(stats["skipped"])) == (2, 2, 1)
    assert stats["chunks_per_second"] > 0

    res = cli("rag", "search", "cardapio", "frango grelhado", "--json", "--mode", "vector")
    hits = json.loads(res.stdout)["hits"]
    assert len(hits) == 2 and {h["source"] for h in hits} == {"receitas.md"}
    assert -1.0 <= hits[1]["score"] <= hits[0]["score"] <= 1.0

    res = cli("prompt", "--rag", "cardapio", "Quanto tempo grelhar o frango?", "-m", "local",
              "-o", "max_tokens=8", "--json")
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert [c["source"] for c in data["context"]] == ["receitas.md", "receitas.md"]
    assert len(data["sources"]) == 2
    conn = sqlite3.connect(Paths.from_env().logs_db)
    prompt, template, messages = conn.execute(
        "SELECT prompt, template, messages FROM exchanges").fetchone()
    conn.close()
    assert template == "rag" and prompt == "Quanto tempo grelhar o frango?"  # the question
    assert json.loads(messages)[-1]["content"].startswith("Context:\n[1] (receitas.md:")
