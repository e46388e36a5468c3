"""The response cache (`--cache`): an identical request answered from the log, no call made.

The key is the SHA-256 of the canonical JSON (sorted keys, no spaces) of the WHOLE
`ChatRequest` dump plus the provider's name: model, messages, options, schema, and whatever
fields later features add to the request (tools, attachments) are part of it without a change
here. Every logged exchange stores its key (exchange/record.py), so any earlier complete reply
can answer; the hit is logged again, marked `cached`.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llmcli.core.messages import ChatRequest
    from llmcli.core.response import Response
    from llmcli.store.logs import LogStore


def cache_key(provider: str, request: ChatRequest) -> str:
    """The request's key: the same for identical requests to the same provider, and different
    when any field differs."""
    # serialize_as_any: `options` is declared as the base Options, and a provider's own fields
    # (reasoning_effort, service_tier...) would otherwise be left out of the dump
    dump = request.model_dump(mode="json", serialize_as_any=True)
    doc = {"provider": provider, "request": dump}
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def lookup(logs: LogStore, provider: str, request: ChatRequest) -> Response | None:
    """The logged answer to this exact request, as a response marked cached (cost 0: no call
    was made), or None."""
    from llmcli.core.response import Response, Timings, UsageInfo

    started = time.perf_counter()
    row = logs.cached_reply(cache_key(provider, request))
    if row is None:
        return None
    usage = UsageInfo(input_tokens=row["input_tokens"], output_tokens=row["output_tokens"],
                      reasoning_tokens=row["reasoning_tokens"])
    if usage.input_tokens is not None or usage.output_tokens is not None:
        usage.total_tokens = (usage.input_tokens or 0) + (usage.output_tokens or 0)
    return Response(
        text=row["reply"],
        model=row["model"],
        provider=row["provider"],
        usage=usage,
        timings=Timings(total=time.perf_counter() - started),
        finish_reason=row["finish_reason"],
        cost=0.0,
        reasoning=row["reasoning"],
        cached=True,
    )
