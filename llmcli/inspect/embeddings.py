"""Embeddings: cosine similarity, nearest neighbours over a file with a cache, and the local
model's token-embedding table (which vocabulary rows lie closest to a token's row).

The cache (llmcli.store.embedding_cache) is keyed by (model, sha256 of the text): a line is
embedded once per model, whichever file it comes from, and editing a file re-embeds only the
lines that changed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmcli.core.errors import InvalidInput, ProviderError
from llmcli.store.embedding_cache import EmbeddingCache, text_key  # the commands take it from here

if TYPE_CHECKING:
    import numpy as np

BATCH = 96  # texts per embedding request (OpenAI allows 2048, Gemini 100)
Embedder = Callable[[list[str]], list[list[float]]]


def cosine_matrix(vectors: Any) -> np.ndarray:
    """[n, d] -> [n, n] cosine similarities; symmetric, 1 on the diagonal (0 for zero vectors)."""
    import numpy as np

    m = np.asarray(vectors, dtype=np.float64)
    if m.ndim != 2:
        raise InvalidInput("vectors must form an [n, d] matrix")
    unit = normalise(m)
    sim = unit @ unit.T
    sim = (sim + sim.T) / 2  # exact symmetry despite rounding
    np.fill_diagonal(sim, [1.0 if np.any(row) else 0.0 for row in m])
    return np.clip(sim, -1.0, 1.0)


def normalise(m: Any) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    import numpy as np

    m = np.asarray(m, dtype=np.float64)
    norms = np.linalg.norm(m, axis=-1, keepdims=True)
    return np.divide(m, norms, out=np.zeros_like(m), where=norms > 0)


def top_k(scores: Any, k: int, exclude: Sequence[int] = ()) -> list[int]:
    """Indices of the k largest scores, best first, skipping `exclude`."""
    import numpy as np

    scores = np.asarray(scores, dtype=np.float64).copy()
    if len(exclude):
        scores[list(exclude)] = -np.inf
    k = max(0, min(k, int(np.isfinite(scores).sum())))
    if k == 0:
        return []
    part = np.argpartition(-scores, k - 1)[:k]
    return [int(i) for i in part[np.argsort(-scores[part], kind="stable")]]


@dataclass
class Embedded:
    vectors: np.ndarray
    embedded: int = 0  # computed now
    cached: int = 0  # taken from the cache


def embed_cached(embed: Embedder, model: str, texts: Sequence[str],
                 cache: EmbeddingCache | None) -> Embedded:
    """Vectors for `texts` in order; only texts missing from the cache reach the provider."""
    import numpy as np

    if not texts:
        raise InvalidInput("nothing to embed", hint="give at least one text")
    known = cache.get_many(model, texts) if cache is not None else {}
    missing = list(dict.fromkeys(t for t in texts if text_key(t) not in known))
    for lo in range(0, len(missing), BATCH):
        batch = missing[lo : lo + BATCH]
        vectors = embed(batch)
        if len(vectors) != len(batch):
            raise ProviderError(f"{model} returned {len(vectors)} vectors for {len(batch)} texts")
        if cache is not None:
            cache.put_many(model, list(zip(batch, vectors, strict=True)))
        for text, vec in zip(batch, vectors, strict=True):
            known[text_key(text)] = np.asarray(vec, dtype=np.float32)
    rows = [known[text_key(t)] for t in texts]
    dims = {r.size for r in rows}
    if len(dims) != 1:
        raise ProviderError(f"{model} returned vectors of different sizes: {sorted(dims)}",
                            hint="clear the cache entries of this model and retry")
    return Embedded(np.stack(rows), embedded=len(missing), cached=len(texts) - len(missing))


# -- results -------------------------------------------------------------------------------------
@dataclass
class EmbedResult:
    model: str
    texts: list[str]
    vectors: list[list[float]]
    norms: list[float]
    similarity: list[list[float]]

    @property
    def dimension(self) -> int:
        return len(self.vectors[0]) if self.vectors else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "dimension": self.dimension,
            "items": [{"text": t, "norm": n, "vector": v}
                      for t, n, v in zip(self.texts, self.norms, self.vectors, strict=True)],
            "similarity": self.similarity,
        }


def embed_result(model: str, texts: list[str], vectors: Any) -> EmbedResult:
    import numpy as np

    m = np.asarray(vectors, dtype=np.float64)
    return EmbedResult(
        model=model, texts=list(texts), vectors=[[float(x) for x in row] for row in m],
        norms=[float(x) for x in np.linalg.norm(m, axis=1)],
        similarity=np.round(cosine_matrix(m), 6).tolist(),
    )


@dataclass
class SimilarLine:
    line: int  # 1-based line number in the file
    text: str
    score: float


@dataclass
class SimilarResult:
    model: str
    query: str
    lines: int
    embedded: int
    cached: int
    hits: list[SimilarLine] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model, "query": self.query, "lines": self.lines,
            "embedded": self.embedded, "cached": self.cached,
            "hits": [{"rank": r, "line": h.line, "text": h.text, "score": round(h.score, 6)}
                     for r, h in enumerate(self.hits, 1)],
        }


def similar(embed: Embedder, model: str, query: str, lines: Sequence[tuple[int, str]],
            top: int, cache: EmbeddingCache | None) -> SimilarResult:
    """Rank `lines` (line number, text) by cosine similarity to `query`."""
    if not lines:
        raise InvalidInput("the file has no non-empty lines to search")
    if top < 1:
        raise InvalidInput("--top must be at least 1")
    texts = [t for _, t in lines]
    corpus = embed_cached(embed, model, texts, cache)
    q = embed_cached(embed, model, [query], cache)
    if q.vectors.shape[1] != corpus.vectors.shape[1]:
        raise ProviderError("the query and the lines were embedded with different sizes")
    scores = normalise(corpus.vectors) @ normalise(q.vectors)[0]
    hits = [SimilarLine(lines[i][0], lines[i][1], float(scores[i])) for i in top_k(scores, top)]
    return SimilarResult(model, query, len(lines), corpus.embedded + q.embedded,
                         corpus.cached + q.cached, hits)


def read_lines(path: Path) -> list[tuple[int, str]]:
    """Non-empty lines of a UTF-8 file with their 1-based numbers."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}", hint="check the path") from None
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path} is not valid UTF-8 (offset {exc.start})",
                           hint="convert it first, e.g. iconv -f latin1 -t utf-8") from None
    return [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
