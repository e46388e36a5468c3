"""Retrieval quality with the embedding model available offline (the local Gemma 3 270M),
measured on tests/rag/eval: recall@k for vector, keyword and hybrid search, kept above
thresholds. The stubs' vectors carry no meaning, so only the local model is measured here;
bench/bench_rag.py --only-local prints the same table (and the figures before #14).

Measured (111 questions, pt and en, 14 with near-miss distractors; 97 chunks at the default
1000/150 chunking; BENCHMARKS.md #14):
    vector  recall@1 0.75  @3 0.88  @5 0.94
    keyword recall@1 0.83  @3 0.92  @5 0.95
    hybrid  recall@1 0.86  @3 0.93  @5 0.95
The thresholds sit a few questions below, so a regression of the embedder, the chunker or the
fusion shows, while float noise between machines does not.
"""

from __future__ import annotations

import pytest

from llmcli.core.provider import ProviderSettings
from llmcli.rag import index as ix
from llmcli.store.db import connect
from tests.conftest import shared_cache_dir
from tests.rag.eval.harness import DOCS, evaluate, table

pytestmark = pytest.mark.slow

THRESHOLDS = {
    "vector": {1: 0.68, 5: 0.88},
    "keyword": {3: 0.88, 5: 0.92},
    "hybrid": {1: 0.81, 3: 0.88, 5: 0.92},
}


@pytest.fixture(scope="module")
def local_eval(tmp_path_factory):
    pytest.importorskip("llmcli.providers.local")
    from llmcli.providers.local import LocalProvider

    provider = LocalProvider(ProviderSettings(name="local",
                                              extra={"cache_dir": str(shared_cache_dir())}))

    def embed(texts: list[str]) -> list[list[float]]:
        return provider.embed(texts, "gemma-3-270m")

    conn = connect(tmp_path_factory.mktemp("eval") / "logs.db")
    stats = ix.build(conn, "eval", [DOCS], embed=embed, model="local:gemma-3-270m")
    info = ix.get_index(conn, "eval")
    result = evaluate(conn, info, embed)
    yield stats, result
    conn.close()
    provider.close()


def test_index_covers_every_document(local_eval):
    stats, result = local_eval
    assert (stats.added, len(stats.skipped)) == (14, 0)
    assert stats.embedded == stats.chunks == result["chunks"] > 90
    assert result["questions"] >= 100


def test_recall_at_k_meets_the_thresholds(local_eval, capsys):
    _, result = local_eval
    with capsys.disabled():
        print(f"\nlocal:gemma-3-270m, {result['questions']} questions, "
              f"{result['chunks']} chunks\n{table(result)}")
    for mode, by_k in THRESHOLDS.items():
        for k, floor in by_k.items():
            got = result["recall"][mode][k]
            missed = result["misses"][mode]
            assert got >= floor, f"{mode} recall@{k} = {got:.2f} < {floor} ({missed})"


def test_hybrid_raises_recall_over_each_ranking_alone(local_eval):
    _, result = local_eval
    vec, kw, hyb = (result["recall"][m] for m in ("vector", "keyword", "hybrid"))
    assert hyb[1] > vec[1] and hyb[5] >= vec[5]
    assert hyb[1] >= kw[1] and hyb[5] >= kw[5]


def test_both_languages_and_the_near_misses_are_covered(local_eval):
    _, result = local_eval
    groups = result["by_group"]["hybrid"]
    assert set(groups) == {"pt", "en", "near_miss"}
    assert groups["pt"][5] >= 0.85 and groups["en"][5] >= 0.9 and groups["near_miss"][5] >= 0.8
