"""Similarity maths, the embedding cache and nearest neighbours."""

from __future__ import annotations

import numpy as np
import pytest

from llmcli.core.errors import InvalidInput
from llmcli.inspect import embeddings as em


def test_cosine_matrix_is_symmetric_with_unit_diagonal():
    rng = np.random.default_rng(0)
    m = rng.normal(size=(7, 33))
    sim = em.cosine_matrix(m)
    assert sim.shape == (7, 7)
    assert np.array_equal(sim, sim.T)
    assert np.allclose(np.diag(sim), 1.0)
    assert np.all(sim <= 1.0) and np.all(sim >= -1.0)
    a, b = m[2], m[5]
    assert sim[2, 5] == pytest.approx(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def test_cosine_of_known_vectors():
    sim = em.cosine_matrix([[1, 0], [0, 2], [-3, 0], [1, 1]])
    assert sim[0, 1] == pytest.approx(0.0)
    assert sim[0, 2] == pytest.approx(-1.0)
    assert sim[0, 3] == pytest.approx(1 / np.sqrt(2))
    # Scale does not matter, direction does.
    assert em.cosine_matrix([[1, 2], [10, 20]])[0, 1] == pytest.approx(1.0)


def test_zero_vector_has_zero_similarity():
    sim = em.cosine_matrix([[0, 0], [1, 0]])
    assert sim[0, 0] == 0.0 and sim[0, 1] == 0.0


def test_top_k_order_and_exclusion():
    scores = [0.1, 0.9, 0.5, 0.9, -1.0]
    assert em.top_k(scores, 3) == [1, 3, 2]
    assert em.top_k(scores, 2, exclude=[1]) == [3, 2]
    assert em.top_k(scores, 10) == [1, 3, 2, 0, 4]


class Counting:
    """A deterministic embedder: letter counts of a-z, recording every call."""

    def __init__(self):
        self.calls: list[list[str]] = []

    def __call__(self, texts: list[str]) -> list[list[float]]:
        self.calls.append(list(texts))
        return [[float(t.lower().count(chr(97 + k))) for k in range(26)] for t in texts]


def test_cache_embeds_each_text_once(tmp_path):
    cache = em.EmbeddingCache(tmp_path / "e.db")
    embed = Counting()
    first = em.embed_cached(embed, "m", ["cat", "dog", "cat"], cache)
    assert embed.calls == [["cat", "dog"]]
    assert first.embedded == 2 and first.cached == 1
    assert np.array_equal(first.vectors[0], first.vectors[2])
    second = em.embed_cached(embed, "m", ["dog", "bird"], cache)
    assert embed.calls[-1] == ["bird"] and second.cached == 1
    # Another model is another key.
    em.embed_cached(embed, "other", ["dog"], cache)
    assert embed.calls[-1] == ["dog"]
    cache.close()
    reopened = em.EmbeddingCache(tmp_path / "e.db")
    assert set(reopened.get_many("m", ["cat", "dog", "bird"])) == {
        em.EmbeddingCache.key(t) for t in ("cat", "dog", "bird")}


def test_similar_ranks_by_cosine(tmp_path):
    lines = [(1, "aaaa"), (3, "bbbb"), (4, "aab"), (9, "zzz")]
    cache = em.EmbeddingCache(tmp_path / "e.db")
    embed = Counting()
    result = em.similar(embed, "m", "aaa", lines, 2, cache)
    assert [h.line for h in result.hits] == [1, 4]
    assert result.hits[0].score == pytest.approx(1.0)
    again = em.similar(embed, "m", "aaa", lines, 2, cache)
    assert again.embedded == 0 and again.cached == 5
    data = again.to_json()
    assert data["hits"][0] == {"rank": 1, "line": 1, "text": "aaaa", "score": 1.0}


def test_read_lines(tmp_path):
    f = tmp_path / "l.txt"
    f.write_text("\ufeffone\n\n  two  \nção\n", encoding="utf-8")
    assert em.read_lines(f) == [(1, "one"), (3, "two"), (4, "ção")]
    f.write_bytes(b"\xff")
    with pytest.raises(InvalidInput, match="UTF-8"):
        em.read_lines(f)
    with pytest.raises(InvalidInput, match="cannot read"):
        em.read_lines(tmp_path / "missing.txt")


def test_embed_result_json_shape():
    r = em.embed_result("p:m", ["a", "b"], [[3.0, 4.0], [4.0, 3.0]])
    data = r.to_json()
    assert data["dimension"] == 2
    assert data["items"][0]["norm"] == pytest.approx(5.0)
    assert data["similarity"][0][1] == pytest.approx(24 / 25)
