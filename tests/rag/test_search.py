"""Exact vector search, keyword (FTS5 BM25) search, rank fusion, and the hits they give."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from llmcli.core.errors import InvalidInput
from llmcli.rag import index as ix
from llmcli.rag.search import Matrix, fuse, keyword_ranking, search, vector_ranking
from llmcli.store.db import connect
from tests.rag.conftest import bow_vector


@pytest.fixture
def indexed(tmp_path: Path, notes, embedder) -> tuple[sqlite3.Connection, ix.IndexInfo]:
    conn = connect(tmp_path / "logs.db")
    ix.build(conn, "notas", [notes], embed=embedder, model="test:bow")
    yield conn, ix.get_index(conn, "notas")
    conn.close()


def test_vector_ranking_is_exact_against_brute_force():
    rng = np.random.default_rng(7)
    raw = rng.standard_normal((2000, 64)).astype(np.float32)
    unit = raw / np.linalg.norm(raw, axis=1, keepdims=True)
    ids = np.arange(100, 2100, dtype=np.int64)
    matrix = Matrix(ids, unit, 0)
    q = rng.standard_normal(64).astype(np.float32)
    got = vector_ranking(matrix, q * 3.0, 10)  # the query's length does not matter
    cos = unit @ (q / np.linalg.norm(q))
    expected = np.argsort(-cos)[:10]
    assert [cid for cid, _ in got] == [int(ids[i]) for i in expected]
    assert [s for _, s in got] == pytest.approx([float(cos[i]) for i in expected], abs=1e-5)


def test_query_with_wrong_dimension_is_refused():
    matrix = Matrix(np.arange(3), np.eye(3, 8, dtype=np.float32), 0)
    with pytest.raises(InvalidInput, match="query has 4 dimensions, the index 8"):
        vector_ranking(matrix, np.ones(4), 2)


def test_fusion_rewards_agreement():
    vec = [(1, 0.9), (2, 0.8), (3, 0.7)]
    kw = [(3, 12.0), (4, 11.0), (1, 3.0)]
    fused = fuse([vec, kw])
    assert [cid for cid, _ in fused][:2] == [1, 3]  # found by both
    assert fused[0][1] == pytest.approx(1 / 61 + 1 / 63)
    assert {cid for cid, _ in fused} == {1, 2, 3, 4}


def test_fusion_ties_are_decided_by_the_raw_scores_not_by_order():
    # 10 is first by vectors and third by keywords, 20 the reverse: equal fused scores. 20's
    # cosine (0.84) is close to the best (0.90), 10's BM25 (2.0) far from the best (10.0).
    vec = [(10, 0.90), (30, 0.85), (20, 0.84), (40, 0.10)]
    kw = [(20, 10.0), (50, 9.0), (10, 2.0), (60, 1.0)]
    for rankings in ([vec, kw], [kw, vec]):
        fused = fuse(rankings)
        assert fused[0][1] == fused[1][1] == pytest.approx(1 / 61 + 1 / 63)
        assert [cid for cid, _ in fused][:2] == [20, 10]
    # The same evidence under other ids: the decision follows the scores, not the ids.
    renamed = fuse([[(2, 0.90), (3, 0.85), (1, 0.84), (4, 0.10)],
                    [(1, 10.0), (5, 9.0), (2, 2.0), (6, 1.0)]])
    assert [cid for cid, _ in renamed][:2] == [1, 2]


def test_vector_search_finds_the_chunk_sharing_words(indexed):
    conn, info = indexed
    q = "quanto de água beber por quilo"
    hits = search(conn, info, q, bow_vector(q), 3, "vector")
    assert hits[0].source == "sub/treino.txt" and "35 ml" in hits[0].text
    assert hits[0].cosine == pytest.approx(hits[0].score)
    assert [h.rank for h in hits] == [1, 2, 3]


def test_keyword_search_folds_accents_and_case(indexed):
    conn, info = indexed
    ranked = keyword_ranking(conn, info, "HIDRATACAO", 5)
    assert len(ranked) == 1
    hits = search(conn, info, "proteinas batata-doce", None, 2, "keyword")
    assert hits[0].source == "tabela.csv" and hits[0].unit == "row"
    assert hits[0].location.startswith("tabela.csv row")


def test_keyword_search_survives_fts_syntax_in_the_query(indexed):
    conn, info = indexed
    for q in ['"frango', "frango AND OR NOT", "a*b^c:(d)", "   ", "x"]:
        search(conn, info, q, bow_vector(q), 3, "hybrid")  # no sqlite3.OperationalError


def test_hybrid_reports_both_ranks(indexed):
    conn, info = indexed
    q = "peito de frango grelhado"
    hits = search(conn, info, q, bow_vector(q), 4, "hybrid")
    top = hits[0]
    assert top.vector_rank is not None and top.keyword_rank is not None
    assert "frango" in top.text.lower()
    data = top.to_json()
    keys = {"rank", "score", "source", "location", "text", "vector_rank", "keyword_rank"}
    assert keys <= set(data)


def test_hit_locations():
    from llmcli.rag.search import Hit

    def hit(unit, a, b):
        return Hit(1, 1.0, 1, "t", "", "notas/a.md", "/x/notas/a.md", unit, a, b, 0)

    assert hit("line", 3, 9).location == "notas/a.md:3-9"
    assert hit("line", 4, 4).location == "notas/a.md:4"
    assert hit("page", 2, 2).location == "notas/a.md p. 2"
    assert hit("row", 2, 5).location == "notas/a.md rows 2-5"
    assert hit("row", 7, 7).location == "notas/a.md row 7"


def test_bad_top_and_mode(indexed):
    conn, info = indexed
    with pytest.raises(InvalidInput):
        search(conn, info, "x", bow_vector("x"), 0)
    with pytest.raises(InvalidInput, match="unknown search mode"):
        search(conn, info, "x", bow_vector("x"), 3, "fuzzy")  # type: ignore[arg-type]


def test_big_matrices_are_memory_mapped_from_a_sidecar(tmp_path, notes, embedder, monkeypatch):
    from llmcli.rag import search as s

    monkeypatch.setattr(s, "SIDECAR_MIN", 1)
    conn = connect(tmp_path / "logs.db")
    ix.build(conn, "notas", [notes], embed=embedder, model="test:bow")
    info = ix.get_index(conn, "notas")
    cache = tmp_path / "cache" / "rag"
    first = s.load_matrix(conn, info, cache)
    files = sorted(p.name for p in cache.iterdir())
    assert len(files) == 2 and files[0].endswith(f"-{info.generation}.ids.npy")
    s._LOADED.clear()  # as a new process would start
    mapped = s.load_matrix(conn, info, cache)
    assert isinstance(mapped.vectors, np.memmap)
    assert np.array_equal(mapped.ids, first.ids) and np.allclose(mapped.vectors, first.vectors)
    q = bow_vector("frango grelhado")
    assert vector_ranking(mapped, q, 3) == vector_ranking(first, q, 3)
    # A change bumps the generation: the old file is replaced, never read again.
    (notes / "novo.md").write_text("Texto novo sobre sono.\n", encoding="utf-8")
    ix.build(conn, "notas", [notes], embed=embedder, model="test:bow")
    info2 = ix.get_index(conn, "notas")
    assert info2.generation > info.generation
    again = s.load_matrix(conn, info2, cache)
    assert again.size == first.size + 1
    assert sorted(p.name.split("-")[1] for p in cache.iterdir()) == [
        f"{info2.generation}.ids.npy", f"{info2.generation}.npy"]
    # A damaged file is ignored.
    s._LOADED.clear()
    next(cache.glob("*[0-9].npy")).write_bytes(b"garbage")
    assert s.load_matrix(conn, info2, cache).size == again.size
    conn.close()
