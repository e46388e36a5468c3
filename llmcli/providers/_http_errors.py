"""Turn SDK and HTTP failures into llmcli's error taxonomy, the same way for every provider.

The three SDKs raise different things: the Stainless SDKs (openai, groq) raise
`APIStatusError` subclasses with `.status_code` and `.body`, wrap transport failures in
`APIConnectionError` / `APITimeoutError`, but let raw httpx/httpx2 errors escape while a stream
is being iterated; google-genai raises `errors.APIError` with `.code` / `.status` / `.details`
and never wraps transport errors. Classes are recognised by name along the MRO, so nothing here
imports an SDK, httpx or httpx2 (httpx2 is a fork with the same class names).
"""

from __future__ import annotations

import difflib
import email.utils
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from llmcli.core.errors import (
    AuthError,
    ContextTooLong,
    InvalidInput,
    LlmcliError,
    ProviderError,
    RateLimited,
    TimeoutError_,
    UnknownModel,
    Unreachable,
)

# Modules whose exceptions we translate; anything else (a bug in our code) propagates as is.
_SDK_ROOTS = frozenset({"openai", "groq", "google", "httpx", "httpx2", "httpcore", "h11"})
_DEBUG_HEADERS = (
    "x-request-id",
    "request-id",
    "x-goog-request-id",
    "retry-after",
    "retry-after-ms",
)
_BODY_LIMIT = 2000
# How providers say a model is gone: Groq's `model_decommissioned` message, OpenAI's "has been
# deprecated" for a shut-down id.
_RETIRED_WORDS = re.compile(
    r"decommissioned|has been deprecated|been retired|been shut ?down|no longer supported",
    re.IGNORECASE,
)
_BUSY_WORDS = re.compile(r"overloaded|try again|high demand", re.IGNORECASE)
_CONTEXT_WORDS = re.compile(
    r"context[_ ]length|context window|maximum context|too many tokens|input token count|"
    r"exceeds the maximum number of tokens|reduce the length|prompt is too long",
    re.IGNORECASE,
)


@dataclass
class ErrorContext:
    """What an adapter knows when a call fails: used for messages and hints."""

    provider: str
    base_url: str
    model: str | None = None
    key_env: tuple[str, ...] = ()
    connect_timeout: float | None = None
    read_timeout: float | None = None
    suggest: Callable[[], Iterable[str]] | None = None
    # The model's announced retirement (catalog or live list), when it has one.
    retirement: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    def key_hint(self) -> str:
        where = " or ".join(self.key_env)
        if where:
            return f"check {where}, or run 'llmcli keys set {self.provider}'"
        return f"check the key configured for '{self.provider}'"


# -- small parsers ------------------------------------------------------------------------------


def parse_retry_after(headers: Mapping[str, str] | None, now: float | None = None) -> float | None:
    """Seconds to wait from `retry-after-ms` (ms) or `retry-after` (seconds or an HTTP date)."""
    if not headers:
        return None
    ms = _header(headers, "retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    value = _header(headers, "retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def parse_duration(value: Any) -> float | None:
    """A protobuf Duration as JSON ('23s', '1.5s', '0.250s') in seconds."""
    if isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str):
        return None
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*s\s*", value)
    return float(m.group(1)) if m else None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:  # plain dicts are case-sensitive; httpx Headers are not
        lowered = name.lower()
        for k, v in headers.items():
            if k.lower() == lowered:
                return v
    return value


def debug_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    """Response headers worth showing with --debug: request ids, rate limits, retry hints."""
    out: dict[str, str] = {}
    for k, v in (headers or {}).items():
        low = k.lower()
        if low.startswith("x-ratelimit-") or low in _DEBUG_HEADERS:
            out[low] = v
    return out


def closest(name: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """The model names nearest to what the user typed."""
    pool = sorted(set(candidates))
    hits = difflib.get_close_matches(name, pool, n=n, cutoff=0.4)
    if not hits:  # 'llama-70b' should find 'llama-3.3-70b-versatile'
        parts = [p for p in re.split(r"[-_:/.]", name.lower()) if len(p) > 1]
        hits = [c for c in pool if parts and all(p in c.lower() for p in parts)][:n]
    return hits


def body_text(body: Any) -> str:
    """An error body for --debug, cut to a readable size."""
    if body is None:
        return ""
    text = body if isinstance(body, str) else repr(body)
    return text if len(text) <= _BODY_LIMIT else text[:_BODY_LIMIT] + "…"


def _class_names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def is_sdk_error(exc: BaseException) -> bool:
    """True when the exception comes from an SDK or its HTTP stack (and is ours to translate)."""
    return any(cls.__module__.split(".")[0] in _SDK_ROOTS for cls in type(exc).__mro__)


# -- transport ---------------------------------------------------------------------------------


def transport_error(exc: BaseException, ctx: ErrorContext) -> LlmcliError | None:
    """Timeouts, refused connections, proxies and broken streams; None if `exc` is none of those."""
    chain = [exc]
    cause = exc.__cause__ or exc.__context__
    while cause is not None and len(chain) < 5:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    names: set[str] = set()
    for e in chain:
        names |= _class_names(e)
    where = _host(ctx.base_url)
    debug = {"provider": ctx.provider, "base_url": ctx.base_url, "cause": _describe_chain(chain)}
    if "ConnectTimeout" in names:
        return TimeoutError_(
            f"could not connect to {ctx.provider} at {where} within {_secs(ctx.connect_timeout)}",
            hint="check the network or proxy, or raise connect_timeout in the config",
            debug=debug,
        )
    if names & {
        "ReadTimeout",
        "WriteTimeout",
        "PoolTimeout",
        "TimeoutException",
        "APITimeoutError",
    }:
        return TimeoutError_(
            f"{ctx.provider} sent nothing for {_secs(ctx.read_timeout)} (read timeout)",
            hint="retry, or wait longer with --timeout SECONDS (or LLMCLI_TIMEOUT)",
            debug=debug,
        )
    if "ProxyError" in names:
        return Unreachable(
            f"the proxy refused the connection to {ctx.provider} at {where}",
            hint="check HTTPS_PROXY / HTTP_PROXY and NO_PROXY",
            debug=debug,
        )
    if names & {"RemoteProtocolError", "ReadError", "IncompleteRead"}:
        # The server closed the connection mid-reply: worth a retry if nothing was shown yet.
        return ProviderError(
            f"{ctx.provider} closed the connection before the reply was complete",
            hint="retry; if it keeps happening the server or a proxy is cutting the stream",
            retryable=True,
            debug=debug,
        )
    if names & {"ConnectError", "NetworkError", "APIConnectionError", "TransportError"}:
        return Unreachable(
            f"cannot reach {ctx.provider} at {where}",
            hint="check the network, the base URL, and HTTPS_PROXY / NO_PROXY",
            debug=debug,
        )
    return None


def _describe_chain(chain: list[BaseException]) -> str:
    return " <- ".join(f"{type(e).__name__}: {e}" for e in chain)


def _host(url: str) -> str:
    m = re.match(r"^[a-z]+://([^/]+)", url or "")
    return m.group(1) if m else (url or "?")


def _secs(value: float | None) -> str:
    return f"{value:g}s" if value is not None else "the time limit"


# -- HTTP statuses -----------------------------------------------------------------------------


@dataclass
class HttpFailure:
    """One failed HTTP exchange, normalised from whichever SDK raised it."""

    status: int | None
    message: str = ""
    code: str | None = None  # provider error code: invalid_api_key, model_not_found, NOT_FOUND...
    reason: str | None = None  # Gemini ErrorInfo.reason, e.g. API_KEY_INVALID
    headers: Mapping[str, str] | None = None
    body: Any = None
    request_id: str | None = None
    retry_after: float | None = None  # from the body (Gemini RetryInfo); headers are read here


def from_status(f: HttpFailure, ctx: ErrorContext) -> LlmcliError:
    """Map a failed status onto the taxonomy with a one-line message and a hint."""
    status = f.status
    label = f"HTTP {status}" + (f" {f.code}" if f.code else "")
    debug: dict[str, Any] = {"provider": ctx.provider, "status": status}
    if f.request_id:
        debug["request_id"] = f.request_id
    if f.code:
        debug["error_code"] = f.code
    if f.reason:
        debug["error_reason"] = f.reason
    debug.update(debug_headers(f.headers))
    if f.body is not None:
        debug["error_body"] = body_text(f.body)
    msg = _short(f.message)
    code = (f.code or "").lower()
    if (
        f.reason == "API_KEY_INVALID"
        or status == 401
        or code in {"invalid_api_key", "unauthenticated"}
    ):
        return AuthError(
            f"{ctx.provider} rejected the API key ({label})", hint=ctx.key_hint(), debug=debug
        )
    if _is_retired(f, ctx, msg):
        from llmcli.providers.lifecycle import retired_error

        return retired_error(ctx.provider, ctx.model or "?", ctx.retirement, debug)
    if status == 403:
        return AuthError(
            f"{ctx.provider} refused access ({label}): {msg}"
            if msg
            else f"{ctx.provider} refused access ({label})",
            hint=f"the key may lack access to this model or API; {ctx.key_hint()}",
            debug=debug,
        )
    if status == 429:
        if code == "insufficient_quota":  # a billing problem: retrying cannot help
            return ProviderError(
                f"{ctx.provider} quota exhausted ({label})",
                hint="check the plan and billing of this account",
                status=status,
                debug=debug,
            )
        wait = parse_retry_after(f.headers)
        if wait is None:
            wait = f.retry_after
        when = f"retry in {wait:g}s" if wait is not None else "wait a moment and retry"
        return RateLimited(
            f"{ctx.provider} rate limit reached ({label})", retry_after=wait, hint=when, debug=debug
        )
    if status == 404:
        if _about_model(f, ctx):
            return unknown_model(ctx, debug)
        return ProviderError(
            f"{ctx.provider} answered 404 Not Found: {msg or 'no such endpoint'}",
            hint=f"check the base URL ({ctx.base_url})",
            status=status,
            debug=debug,
        )
    if status in (400, 413, 422) and (
        code in {"context_length_exceeded", "string_above_max_length"} or _CONTEXT_WORDS.search(msg)
    ):
        return ContextTooLong(
            f"the prompt is too long for {ctx.model or 'this model'}: {msg}",
            hint="shorten the prompt or history, or pick a model with a larger context window",
            debug=debug,
        )
    if status in (400, 409, 413, 422):
        return InvalidInput(
            f"{ctx.provider} rejected the request ({label}): {msg or 'bad request'}",
            hint="check the options and the model name",
            debug=debug,
        )
    retryable = status is not None and (status == 408 or status >= 500)
    what = "server error" if status is not None and status >= 500 else "error"
    return ProviderError(
        f"{ctx.provider} {what} ({label})" + (f": {msg}" if msg else ""),
        hint="the service may be overloaded or down; retry later" if retryable else None,
        status=status,
        retryable=retryable,
        debug=debug,
    )


def unknown_model(ctx: ErrorContext, debug: dict[str, Any] | None = None) -> UnknownModel:
    """UnknownModel naming the closest known models (from the live list or the catalog)."""
    names: list[str] = []
    if ctx.suggest is not None and ctx.model:
        try:
            names = closest(ctx.model, ctx.suggest())
        except Exception:  # suggestions are a courtesy; never hide the real error behind them
            names = []
    hint = (
        f"did you mean {', '.join(names)}? See 'llmcli models {ctx.provider}'"
        if names
        else f"see 'llmcli models {ctx.provider}' for the models it has"
    )
    return UnknownModel(f"{ctx.provider} has no model '{ctx.model}'", hint=hint, debug=debug)


def _is_retired(f: HttpFailure, ctx: ErrorContext, msg: str) -> bool:
    """A provider saying the model is gone: Groq's 400 `model_decommissioned`, a retired-words
    message, or a 404 (Gemini: also a 503 that is not "overloaded") for a model whose
    retirement has been announced: Gemini withdraws models that way, sometimes before the
    announced date, and OpenAI answers `model_not_found` for a shut-down id."""
    if not ctx.model:
        return False
    code = (f.code or "").lower()
    if code == "model_decommissioned":
        return True
    if f.status in (400, 404, 410) and _RETIRED_WORDS.search(msg):
        return True
    if ctx.retirement is None:
        return False
    if f.status in (404, 410):
        return True
    # Gemini's 503 UNAVAILABLE is also "overloaded, retry": only another message means withdrawn.
    return f.status == 503 and code == "unavailable" and not _BUSY_WORDS.search(msg)


def _about_model(f: HttpFailure, ctx: ErrorContext) -> bool:
    code = (f.code or "").lower()
    if code in {"model_not_found", "not_found"} or "model" in f.message.lower():
        return True
    return bool(ctx.model and ctx.model in f.message)


def _short(message: str | None) -> str:
    if not message:
        return ""
    line = " ".join(str(message).split())
    return line if len(line) <= 300 else line[:300] + "…"


# -- timeouts ----------------------------------------------------------------------------------


def timeout_parts(connect: float, read: float) -> dict[str, float]:
    """httpx per-phase timeouts: `read` bounds every wait for bytes, so a stalled stream stops."""
    return {"connect": connect, "read": read, "write": read, "pool": read}


LIST_CONNECT_TIMEOUT = 3.0
LIST_READ_TIMEOUT = 8.0


def quick_timeouts(connect: float, read: float) -> tuple[float, float]:
    """Short limits for `models` listings, which must fall back fast when offline."""
    return min(connect, LIST_CONNECT_TIMEOUT), min(read, LIST_READ_TIMEOUT)
