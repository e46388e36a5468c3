"""Exact search over an index: cosine similarity against every stored vector, in numpy.

The index's vectors are loaded once per process into one [n, d] float32 matrix, scaled to
unit length, so a query is one matrix-vector product and a partial sort: about 20 ms for
100,000 chunks of 640 dimensions on two cores (bench/bench_rag.py). No approximate index is
needed at that size, and exact search never misses a chunk the model ranks first.

Hybrid mode adds a keyword ranking (BM25 over SQLite FTS5, accents folded) and merges the two
rankings by reciprocal rank fusion: score = sum over rankings of 1 / (RRF_K + rank). Rank
fusion needs no calibration between cosine and BM25 scores, and a chunk found by both rises;
equal fused scores are decided by the raw scores (see `fuse`), never by storage order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from llmcli.core.errors import InvalidInput
from llmcli.rag.catalog import IndexInfo
from llmcli.store import rag_index as store

if TYPE_CHECKING:
    import numpy as np

    from llmcli.store.db import Connection

Mode = Literal["vector", "hybrid", "keyword"]
MODES: tuple[str, ...] = ("vector", "hybrid", "keyword")
RRF_K = 60  # the constant of Cormack et al. (2009); damps the weight of the very first ranks
CANDIDATES = 50  # how deep each ranking goes before fusion
SIDECAR_MIN = 20_000  # chunks from which the matrix is also kept as a memory-mapped file


@dataclass
class Matrix:
    """An index's vectors: chunk ids and unit-length rows, in the same order."""

    ids: np.ndarray  # [n] int64
    vectors: np.ndarray  # [n, d] float32, unit rows
    generation: int

    @property
    def size(self) -> int:
        return int(self.ids.shape[0])


_LOADED: dict[tuple[str, int], Matrix] = {}


def load_matrix(conn: Connection, info: IndexInfo,
                cache_dir: Path | None = None) -> Matrix:
    """The index's vectors, read from SQLite once per process (again only after a change).

    With `cache_dir`, a big index (SIDECAR_MIN chunks or more) is also saved there as a .npy
    file and memory-mapped by the next process: reading 100,000 blobs from SQLite takes about
    2 s, mapping the file a few milliseconds. The file name carries the index's generation,
    which every change bumps, so a stale file is never read.
    """
    key = (store.database_key(conn), info.id)
    cached = _LOADED.get(key)
    if cached is not None and cached.generation == info.generation:
        return cached
    sidecar = _sidecar(cache_dir, key[0], info) if cache_dir is not None else None
    matrix = _read_sidecar(sidecar, info) if sidecar is not None else None
    if matrix is None:
        matrix = _read_rows(conn, info)
        if sidecar is not None and matrix.size >= SIDECAR_MIN:
            _write_sidecar(sidecar, matrix)
    _LOADED[key] = matrix
    return matrix


def _read_rows(conn: Connection, info: IndexInfo) -> Matrix:
    import numpy as np

    n = store.count_ready_chunks(conn, info.id)
    dim = info.dimension or 0
    ids = np.empty(n, dtype=np.int64)
    vectors = np.empty((n, dim), dtype=np.float32)  # filled row by row: no second copy
    i = 0
    for chunk_id, blob in store.iter_vectors(conn, info.id):
        if i >= n:
            break  # a writer added rows since the count: they wait for the next generation
        ids[i] = chunk_id
        vectors[i] = np.frombuffer(blob, dtype=np.float32)
        i += 1
    ids, vectors = ids[:i], vectors[:i]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    np.divide(vectors, norms, out=vectors, where=norms > 0)
    return Matrix(ids, vectors, info.generation)


def _sidecar(cache_dir: Path, db: str, info: IndexInfo) -> Path:
    import hashlib

    prefix = hashlib.sha1(f"{db}\0{info.id}\0{info.created}".encode()).hexdigest()[:16]
    return Path(cache_dir) / f"{prefix}-{info.generation}.npy"


def _read_sidecar(path: Path, info: IndexInfo) -> Matrix | None:
    import numpy as np

    ids_path = path.with_suffix(".ids.npy")
    try:
        vectors = np.load(path, mmap_mode="r")
        ids = np.load(ids_path)
    except (OSError, ValueError):
        return None  # absent or damaged: read SQLite (and write a fresh one)
    if vectors.ndim != 2 or vectors.shape[0] != ids.shape[0] or (
            info.dimension and vectors.shape[1] != info.dimension):
        return None
    return Matrix(ids, vectors, info.generation)


def _write_sidecar(path: Path, matrix: Matrix) -> None:
    """Atomically (temporary names, then renames); older generations are removed. A cache
    that cannot be written is skipped silently: it only saves time."""
    import contextlib
    import os

    import numpy as np

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for kind, data in ((".ids.npy", matrix.ids), (".npy", matrix.vectors)):
            target = path.with_suffix(kind)
            tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
            with tmp.open("wb") as fh:
                np.save(fh, data)
            os.replace(tmp, target)
        prefix = path.name.split("-")[0]
        for old in path.parent.glob(f"{prefix}-*.npy"):
            if not old.name.startswith(path.stem):
                with contextlib.suppress(OSError):
                    old.unlink()
    except OSError:
        pass


def vector_ranking(matrix: Matrix, query: Any, k: int) -> list[tuple[int, float]]:
    """(chunk id, cosine) of the k nearest chunks, best first."""
    import numpy as np

    from llmcli.inspect.embeddings import top_k

    q = np.asarray(query, dtype=np.float32).reshape(-1)
    if matrix.size == 0:
        return []
    if q.shape[0] != matrix.vectors.shape[1]:
        raise InvalidInput(f"the query has {q.shape[0]} dimensions, the index "
                           f"{matrix.vectors.shape[1]}", hint="query with the index's model")
    norm = float(np.linalg.norm(q))
    if norm > 0:
        q = q / norm
    scores = matrix.vectors @ q
    return [(int(matrix.ids[i]), float(scores[i])) for i in top_k(scores, k)]


_WORD = re.compile(r"\w+", re.UNICODE)


def keyword_ranking(conn: Connection, info: IndexInfo, query: str,
                    k: int) -> list[tuple[int, float]]:
    """(chunk id, BM25 relevance, higher is better) from FTS5; any word may match."""
    words = list(dict.fromkeys(w.lower() for w in _WORD.findall(query) if len(w) > 1))
    if not words:
        return []
    expr = " OR ".join('"' + w.replace('"', '""') + '"' for w in words)
    matches = store.keyword_matches(conn, info.id, expr, k)
    return [(cid, -bm25) for cid, bm25 in matches]  # FTS5's bm25 is lower-is-better


def fuse(rankings: list[list[tuple[int, float]]], k: int = RRF_K) -> list[tuple[int, float]]:
    """Reciprocal rank fusion of several rankings -> (id, fused score), best first.

    Equal fused scores are common with two rankings (ranks 1 and 3 against 3 and 1); they are
    decided by the raw scores, each rescaled to [0, 1] between the worst and the best of its
    ranking and summed: the chunk that came closer to the top of the rankings' own scales
    wins. Only identical evidence falls back to the chunk id, which is stable across runs.
    """
    scores: dict[int, float] = {}
    raw: dict[int, float] = {}
    for ranking in rankings:
        if not ranking:
            continue
        best, worst = ranking[0][1], ranking[-1][1]
        span = best - worst
        for rank, (chunk_id, score) in enumerate(ranking, 1):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + 1.0 / (k + rank)
            raw[chunk_id] = raw.get(chunk_id, 0.0) + ((score - worst) / span if span > 0 else 1.0)
    # Rounded: 1/61 + 1/63 and 1/63 + 1/61 must compare equal whatever the float order.
    return sorted(scores.items(), key=lambda kv: (-round(kv[1], 12), -raw[kv[0]], kv[0]))


# -- hits ----------------------------------------------------------------------------------------
@dataclass
class Hit:
    rank: int
    score: float
    chunk_id: int
    text: str
    heading: str
    source: str  # path relative to the indexed folder
    path: str
    unit: str
    start: int
    end: int
    position: int
    cosine: float | None = None
    vector_rank: int | None = None
    keyword_rank: int | None = None
    rerank: float | None = None  # log P(question | passage) when reranked (rerank.py)

    @property
    def location(self) -> str:
        """'notes.md:12-20', 'tabela.csv rows 2-14', 'manual.pdf p. 3'."""
        span = str(self.start) if self.start == self.end else f"{self.start}-{self.end}"
        if self.unit == "line":
            return f"{self.source}:{span}"
        if self.unit == "page":
            return f"{self.source} p. {span}"
        label = "row" if self.start == self.end else "rows"
        return f"{self.source} {label} {span}"

    def to_json(self) -> dict[str, Any]:
        return {
            "rank": self.rank, "score": round(self.score, 6), "source": self.source,
            "location": self.location, "path": self.path, "unit": self.unit,
            "start": self.start, "end": self.end, "heading": self.heading, "text": self.text,
            "chunk_id": self.chunk_id,
            **({"cosine": round(self.cosine, 6)} if self.cosine is not None else {}),
            **({"vector_rank": self.vector_rank} if self.vector_rank is not None else {}),
            **({"keyword_rank": self.keyword_rank} if self.keyword_rank is not None else {}),
            **({"rerank": round(self.rerank, 4)} if self.rerank is not None else {}),
        }


def search(conn: Connection, info: IndexInfo, query_text: str, query_vector: Any,
           top: int, mode: Mode = "hybrid", cache_dir: Path | None = None) -> list[Hit]:
    """The `top` best chunks for a query, by vectors, keywords, or both fused."""
    if top < 1:
        raise InvalidInput("--top must be at least 1")
    if mode not in MODES:
        raise InvalidInput(f"unknown search mode '{mode}'", hint=f"use one of {', '.join(MODES)}")
    depth = max(top, CANDIDATES)
    vec = (vector_ranking(load_matrix(conn, info, cache_dir), query_vector, depth)
           if mode != "keyword" else [])
    kw = keyword_ranking(conn, info, query_text, depth) if mode != "vector" else []
    if mode == "vector":
        ranked = vec[:top]
    elif mode == "keyword":
        ranked = kw[:top]
    else:
        ranked = fuse([vec, kw])[:top]
    cosine = dict(vec)
    vrank = {cid: r for r, (cid, _) in enumerate(vec, 1)}
    krank = {cid: r for r, (cid, _) in enumerate(kw, 1)}
    rows = store.chunk_rows(conn, [cid for cid, _ in ranked])
    hits = []
    for rank, (cid, score) in enumerate(ranked, 1):
        r = rows.get(cid)
        if r is None:
            continue  # deleted by a concurrent re-index since the matrix was loaded
        hits.append(Hit(
            rank=rank, score=score, chunk_id=cid, text=r["text"], heading=r["heading"],
            source=r["source"], path=r["path"], unit=r["unit"], start=r["start_at"],
            end=r["end_at"], position=r["position"], cosine=cosine.get(cid),
            vector_rank=vrank.get(cid) if mode == "hybrid" else None,
            keyword_rank=krank.get(cid) if mode == "hybrid" else None,
        ))
    return hits

