"""Writing an exchange to the log: the one call every command makes, on its own thread
(sqlite3 connections belong to the thread that opened them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llmcli.core.messages import ChatRequest
    from llmcli.core.response import Response
    from llmcli.store.logs import LogStore


def log_exchange(
    logs: LogStore,
    request: ChatRequest,
    response: Response,
    *,
    conversation_id: str | None = None,
    batch_id: str | None = None,
    comparison_id: str | None = None,
    template: str | None = None,
    prompt: str | None = None,
    asked: ChatRequest | None = None,
) -> int:
    """Write one row (whatever the response's status) and return its id; the response keeps
    it as `log_id`. Raises StorageError when the database cannot be written. The row keeps the
    request's cache key, so `--cache` can answer the same request from it later; when
    `request` is a tool transcript, `asked` is the request as first sent, whose key that is."""
    from llmcli.exchange.cache import cache_key

    log_id = logs.log(
        request,
        response,
        conversation_id=conversation_id,
        batch_id=batch_id,
        comparison_id=comparison_id,
        template=template,
        cache_key=cache_key(response.provider, asked or request),
        prompt=prompt,
    )
    response.log_id = log_id
    return log_id
