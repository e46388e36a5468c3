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
    from llmcli.exchange.request import resolve_embedding

    ref, name, provider = resolve_embedding(app_ctx.registry, spec)
    return f"{ref.provider}:{name}", lambda texts: provider.embed(texts, name)  # type: ignore[attr-defined]


def default_model(app_ctx: AppContext) -> str:
    return str(app_ctx.settings.raw.get("rag", {}).get("embed_model") or DEFAULT_EMBED_MODEL)


def open_retriever(app_ctx: AppContext, name: str, model: str | None = None,
                   conn=None) -> Retriever:
    """The index `name` ready to search, with its own model's embedder (-m must agree)."""
    from llmcli.rag.index import get_index
    from llmcli.rag.retrieve import Retriever, check_model

    conn = conn if conn is not None else app_ctx.logs.conn
    info = get_index(conn, name)
    if model is not None:
        key, embed = embedder(app_ctx, model)
        check_model(info, key)
    else:
        _, embed = embedder(app_ctx, info.embed_model)
    return Retriever(conn, info, embed, query_cache(app_ctx), app_ctx.paths.cache_dir / "rag")


def query_cache(app_ctx: AppContext):
    from llmcli.inspect.embeddings import EmbeddingCache

    return EmbeddingCache(app_ctx.paths.data_dir / "embeddings.db")


def check_mode(mode: str) -> str:
    from llmcli.rag.search import MODES

    if mode not in MODES:
        from llmcli.core.errors import InvalidInput

        raise InvalidInput(f"unknown --mode '{mode}'", hint=f"use {', '.join(MODES)}")
    return mode
