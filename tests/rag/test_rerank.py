"""The reranking pass: its ordering rules with a scorer we control, its wiring into
`rag search --rerank`, and the local model's log P(question | passage) it relies on."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from llmcli.rag.rerank import TEMPLATE, rerank
from llmcli.rag.search import Hit


def hit(rank: int, text: str) -> Hit:
    return Hit(rank, 1.0 / rank, rank, text, "", "a.md", "/n/a.md", "line", rank, rank, rank)


class Scorer:
    """Scores a passage by how many of the question's words it holds; records its calls."""

    def __init__(self):
        self.calls: list[tuple[list[str], str]] = []

    def __call__(self, prefixes: list[str], question: str) -> list[float]:
        self.calls.append((prefixes, question))
        words = set(question.lower().split())
        return [float(len(words & set(p.lower().split()))) for p in prefixes]


def test_reorders_the_first_hits_and_keeps_the_rest():
    hits = [hit(1, "menu batata"), hit(2, "batata calorias 77"), hit(3, "router"),
            hit(4, "calorias"), hit(5, "nada"), hit(6, "batata calorias tem")]
    scorer = Scorer()
    got = rerank("calorias tem batata", hits, scorer, depth=5)
    assert [h.text for h in got] == ["batata calorias 77", "menu batata", "calorias", "router",
                                     "nada", "batata calorias tem"]  # the 6th is never read
    assert [h.rank for h in got] == [1, 2, 3, 4, 5, 6]
    assert [h.rerank for h in got] == [2.0, 1.0, 1.0, 0.0, 0.0, None]
    assert got[1].to_json()["rerank"] == 1.0  # ties kept the fused order: menu before calorias
    prefixes, question = scorer.calls[0]
    assert question == "calorias tem batata"
    assert prefixes[0] == TEMPLATE.format(passage="menu batata") and len(prefixes) == 5


def test_one_hit_is_not_scored():
    scorer = Scorer()
    assert rerank("q", [hit(1, "x")], scorer) == [hit(1, "x")] and scorer.calls == []


def test_search_rerank_end_to_end(cli, embed_server, notes, monkeypatch):
    """`rag search --rerank` asks the local scorer for the first hits and shows its order
    (the local model is replaced by the word-count scorer; its own test is below)."""
    from llmcli.providers.local import LocalProvider

    scorer = Scorer()
    monkeypatch.setattr(LocalProvider, "continuation_logprobs",
                        lambda self, prefixes, q, model=None: scorer(prefixes, q))
    res = cli("rag", "index", "notas", str(notes), "-m", "openai:text-embedding-3-small")
    assert res.exit_code == 0, res.stderr
    res = cli("rag", "search", "notas", "calorias da batata-doce", "--rerank", "--top", "2",
              "--json")
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["rerank"] is True and len(data["hits"]) == 2
    assert len(scorer.calls[0][0]) == 4  # the index's four chunks were read, though --top 2
    assert all("rerank" in h for h in data["hits"])
    assert data["hits"][0]["rerank"] >= data["hits"][1]["rerank"]
    res = cli("rag", "search", "notas", "calorias da batata-doce", "--rerank")
    assert "hybrid + local rerank" in res.stdout
    # At 80 columns the score line does not fit the border: nothing of it may be cut
    for width in (80, 160):
        shown = cli("rag", "search", "notas", "calorias da batata-doce", "--rerank", "--top",
                    "1", stdout_tty=True, width=width).stdout
        plain = re.sub(r"\x1b\[[0-9;]*m", "", shown)
        words = " ".join(line.strip("│╭╮╰╯─ ") for line in plain.splitlines())
        assert re.search(r"log P\(question \| passage\) -?\d+\.\d", words), plain
        assert max(map(len, plain.splitlines())) <= width


@pytest.mark.slow
def test_local_continuation_logprob_matches_the_next_token_distribution():
    pytest.importorskip("llmcli.providers.local")
    from llmcli.core.provider import ProviderSettings
    from llmcli.providers.local import LocalProvider
    from tests.conftest import shared_cache_dir

    provider = LocalProvider(ProviderSettings(name="local",
                                              extra={"cache_dir": str(shared_cache_dir())}))
    tok = provider.tokenizer()
    prefix = "The capital of France is"
    top = provider.next_token_logprobs(prefix, top=1, engine="numpy")
    first_id, _, first_lp = top[0]
    text = tok.decode([first_id])
    assert tok.encode(text, add_bos=False) == [first_id]
    got = provider.continuation_logprobs([prefix], text)
    assert got[0] == pytest.approx(first_lp, abs=1e-3)
    passage = "Batata-doce cozida, 100 g: 77 kcal."
    good, bad = provider.continuation_logprobs(
        [TEMPLATE.format(passage=passage),
         TEMPLATE.format(passage="Press RESET for ten seconds to restart the router.")],
        "How many calories in sweet potato?")
    assert np.isfinite([good, bad]).all() and good > bad
    provider.close()
