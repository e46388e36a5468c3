"""Opening an index for a search, from the app's services: its embedder (the model it was
built with), its query cache, and the search mode checked. Used by `llmcli rag`, `prompt
--rag`, `compare --rag`, `batch --rag` and chat's `/rag`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llmcli.app_context import AppContext
    from llmcli.rag.retrieve import Embedder, Retriever

DEFAULT_EMBED_MODEL = "local"  # works offline; `[rag] embed_model = "gemini"` in the config


def embedder(app_ctx: AppContext, spec: str | None) -> tuple[str, Embedder]:
    """('provider:model', embed function) for -m; a provider without embeddings is refused
    with the core Unsupported error naming the ones that have them."""
    from llmcli.core.embedder_id import split_key
    from llmcli.exchange.request import embedder_identity, resolve_embedding

    ref, name, provider = resolve_embedding(app_ctx.registry, split_key(spec)[0] if spec else spec)
    key = embedder_identity(ref, name, provider)
    return key, lambda texts: provider.embed(texts, name)  # type: ignore[attr-defined]


def default_model(app_ctx: AppContext) -> str:
    return str(app_ctx.settings.raw.get("rag", {}).get("embed_model") or DEFAULT_EMBED_MODEL)


def open_retriever(app_ctx: AppContext, name: str, model: str | None = None,
                   conn=None, rerank: bool = False) -> Retriever:
    """The index `name` ready to search, with its own model's embedder (-m must agree; an index
    built by an older revision of that embedder is refused with how to re-index it); with
    `rerank`, the local model reorders the first hits (llmcli.rag.rerank)."""
    from llmcli.rag.index import get_index
    from llmcli.rag.retrieve import Retriever, check_model

    conn = conn if conn is not None else app_ctx.logs.conn
    info = get_index(conn, name)
    key, embed = embedder(app_ctx, model if model is not None else info.embed_model)
    check_model(info, key)
    scorer = _local_scorer(app_ctx) if rerank else None
    return Retriever(conn, info, embed, query_cache(app_ctx), app_ctx.paths.cache_dir / "rag",
                     rerank=scorer)


def _local_scorer(app_ctx: AppContext):
    """log P(question | passage) from the local model, whatever model embedded the index."""
    ref = app_ctx.registry.resolve("local")
    local = app_ctx.registry.provider(ref)
    return lambda prefixes, question: local.continuation_logprobs(prefixes, question, ref.model)


def query_cache(app_ctx: AppContext):
    from llmcli.inspect.embeddings import EmbeddingCache

    return EmbeddingCache(app_ctx.paths.data_dir / "embeddings.db")


def check_mode(mode: str) -> str:
    from llmcli.rag.search import MODES

    if mode not in MODES:
        from llmcli.core.errors import InvalidInput

        raise InvalidInput(f"unknown --mode '{mode}'", hint=f"use {', '.join(MODES)}")
    return mode
