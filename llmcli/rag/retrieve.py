"""A retriever: one index, the embedder of its model, and the query cache, ready to search.

Queries go through the embedding cache of `llmcli embed` (llmcli.store.embedding_cache): a
question asked twice, or asked in `compare` of several models, is embedded once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from llmcli.core.errors import InvalidInput
from llmcli.rag.catalog import IndexInfo
from llmcli.rag.search import Hit, Mode, search

if TYPE_CHECKING:
    from llmcli.rag.rerank import Scorer
    from llmcli.store.db import Connection
    from llmcli.store.embedding_cache import EmbeddingCache

Embedder = Callable[[list[str]], list[list[float]]]
DEFAULT_TOP = 4
DEFAULT_MODE: Mode = "hybrid"


@dataclass
class Retriever:
    conn: Connection
    info: IndexInfo
    embed: Embedder
    cache: EmbeddingCache | None = None
    matrix_dir: Path | None = None  # where big indexes keep a memory-mappable matrix
    rerank: Scorer | None = None  # reorders the first hits (rerank.py); None: fused order

    def query_vector(self, question: str):
        from llmcli.inspect.embeddings import embed_cached

        if not question.strip():
            raise InvalidInput("empty question", hint="give the question to search for")
        return embed_cached(self.embed, self.info.embed_model, [question], self.cache).vectors[0]

    def search(self, question: str, top: int = DEFAULT_TOP, mode: Mode = DEFAULT_MODE) -> list[Hit]:
        self._refresh()
        if self.info.chunks == 0:
            raise InvalidInput(f"index '{self.info.name}' holds no chunks",
                               hint=f"add files: llmcli rag index {self.info.name} PATH")
        vector = self.query_vector(question) if mode != "keyword" else None
        if self.rerank is None:
            return search(self.conn, self.info, question, vector, top, mode, self.matrix_dir)
        from llmcli.rag.rerank import DEPTH, rerank

        hits = search(self.conn, self.info, question, vector, max(top, DEPTH), mode,
                      self.matrix_dir)
        return rerank(question, hits, self.rerank)[:top]

    def _refresh(self) -> None:
        """A long-lived retriever (chat) sees a re-index done meanwhile by another process."""
        from llmcli.rag.catalog import generation, get_index

        now = generation(self.conn, self.info.id)
        if now is None:
            raise InvalidInput(f"index '{self.info.name}' was removed",
                               hint="see 'llmcli rag list'")
        if now != self.info.generation:
            self.info = get_index(self.conn, self.info.name)

    def close(self) -> None:
        if self.cache is not None:
            self.cache.close()
            self.cache = None


def check_model(info: IndexInfo, asked: str) -> None:
    """Refuse to query an index with another model's vectors: the scores would be noise."""
    if asked == info.embed_model:
        return
    stale = stale_embedder(info, asked)
    if stale is not None:
        raise stale
    raise InvalidInput(
        f"index '{info.name}' was embedded with {info.embed_model}; a query embedded by "
        f"{asked} cannot be compared with it",
        hint=f"use -m {info.embed_model} (or leave -m out)",
    )


def stale_embedder(info: IndexInfo, current: str) -> InvalidInput | None:
    """The error for an index built by an older revision of the same model's embedder (its
    vectors mean something else now), or None when the identities differ otherwise."""
    import shlex

    from llmcli.core.embedder_id import split_key

    spec = split_key(current)[0]
    if current == info.embed_model or split_key(info.embed_model)[0] != spec:
        return None
    paths = " ".join(shlex.quote(r) for r in info.roots) or "PATH"
    return InvalidInput(
        f"index '{info.name}' was built by an older {spec} embedder ({info.embed_model}); "
        f"re-index it: llmcli rag rm {info.name} && llmcli rag index {info.name} {paths}")
