"""Per-SDK entry points of the error mapping: openai/groq (Stainless) and google-genai.

Both return None for an exception that does not come from an SDK or its HTTP stack, so a bug
in llmcli itself is never disguised as a provider error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llmcli.core.errors import LlmcliError, ProviderError, RateLimited
from llmcli.providers._http_errors import (
    ErrorContext,
    HttpFailure,
    _class_names,
    _header,
    _short,
    body_text,
    from_status,
    is_sdk_error,
    parse_duration,
    transport_error,
)


def map_stainless(exc: BaseException, ctx: ErrorContext) -> LlmcliError | None:
    """openai / groq errors (and raw httpx errors from their streams); None if not theirs."""
    if not is_sdk_error(exc):
        return None
    names = _class_names(exc)
    if "APIStatusError" in names:
        body = getattr(exc, "body", None)
        inner = _inner_error(body)
        response = getattr(exc, "response", None)
        headers = getattr(response, "headers", None)
        return from_status(
            HttpFailure(
                status=getattr(exc, "status_code", None),
                message=str(inner.get("message") or "") if inner else _plain(body),
                code=_str_or_none(inner.get("code")) if inner else None,
                headers=headers,
                body=body if body is not None else getattr(response, "text", None),
                request_id=getattr(exc, "request_id", None) or _rid(headers),
            ),
            ctx,
        )
    found = transport_error(exc, ctx)
    if found is not None:
        return found
    debug = {"provider": ctx.provider, "error": f"{type(exc).__name__}: {exc}"}
    if "APIResponseValidationError" in names:
        return ProviderError(
            f"{ctx.provider} sent a reply llmcli could not read", hint="retry", debug=debug
        )
    # An `{"error": ...}` frame inside a 200 stream: no status, only the provider's message.
    inner = _inner_error(getattr(exc, "body", None)) or {}
    kind = " ".join(str(inner.get(k) or "") for k in ("type", "code")).lower()
    message = _short(str(inner.get("message") or getattr(exc, "message", "") or exc))
    if "body" in vars(exc):
        debug["error_body"] = body_text(getattr(exc, "body", None))
    if "rate_limit" in kind:
        return RateLimited(
            f"{ctx.provider} rate limit reached mid-reply: {message}",
            hint="retry later",
            debug=debug,
        )
    retryable = any(w in kind for w in ("server", "overloaded", "internal", "unavailable"))
    return ProviderError(
        f"{ctx.provider} reported an error mid-reply: {message}",
        hint="retry" if retryable else None,
        retryable=retryable,
        debug=debug,
    )


def map_genai(exc: BaseException, ctx: ErrorContext) -> LlmcliError | None:
    """google-genai exceptions and the raw httpx2 errors it lets through; None if not theirs."""
    if not is_sdk_error(exc):
        return None
    names = _class_names(exc)
    if "APIError" in names and isinstance(getattr(exc, "code", None), int):
        details = getattr(exc, "details", None)
        err = _inner_error(details) or {}
        reason = None
        retry = None
        for item in err.get("details") or []:
            if not isinstance(item, dict):
                continue
            kind = str(item.get("@type", ""))
            if kind.endswith("ErrorInfo") and item.get("reason"):
                reason = str(item["reason"])
            elif kind.endswith("RetryInfo"):
                retry = parse_duration(item.get("retryDelay"))
        response = getattr(exc, "response", None)
        headers = getattr(response, "headers", None)
        return from_status(
            HttpFailure(
                status=exc.code,  # type: ignore[attr-defined]
                message=str(getattr(exc, "message", "") or ""),
                code=_str_or_none(getattr(exc, "status", None)),
                reason=reason,
                headers=headers,
                body=details if details is not None else getattr(response, "text", None),
                request_id=_rid(headers),
                retry_after=retry,
            ),
            ctx,
        )
    found = transport_error(exc, ctx)
    if found is not None:
        return found
    return ProviderError(
        f"{ctx.provider} sent a reply llmcli could not read ({type(exc).__name__})",
        hint="retry",
        debug={"provider": ctx.provider, "error": f"{type(exc).__name__}: {exc}"},
    )


def _inner_error(body: Any) -> dict[str, Any] | None:
    """The `error` object of an envelope (groq, gemini) or the object itself (openai)."""
    if isinstance(body, dict):
        inner = body.get("error")
        return inner if isinstance(inner, dict) else body
    return None


def _plain(body: Any) -> str:
    if isinstance(body, str) and body.lstrip().startswith("<"):
        return ""  # an HTML error page says nothing a user can act on
    return str(body) if body else ""


def _str_or_none(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _rid(headers: Mapping[str, str] | None) -> str | None:
    if not headers:
        return None
    for name in ("x-request-id", "request-id", "x-goog-request-id"):
        value = _header(headers, name)
        if value:
            return value
    return None
