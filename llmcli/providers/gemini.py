"""Gemini (Google's Developer API) on the maintained `google-genai` SDK.

Decisions:
- The `genai.Client` is kept as an attribute: a temporary Client closes its HTTP client as soon
  as only `.models` is referenced, and every later request fails.
- No SDK retries (google-genai retries nothing unless asked); core.runner does them, reading
  the 429's `RetryInfo.retryDelay`.
- Timeouts: `HttpOptions.timeout` is one number (milliseconds) for every phase and also asks the
  server to give up after that long (`X-Server-Timeout`), which would cut long streams. So it is
  left unset, and an httpx request hook sets per-phase limits instead: `connect_timeout` to
  connect, `read_timeout` for every wait for bytes, which stops a stalled stream. A request that
  sets its own timeout (the short one of `models`) keeps it.
- Keys: `GOOGLE_API_KEY` beats `GEMINI_API_KEY`, as in the SDK, so llmcli and a bare SDK script
  use the same key. The key is passed explicitly and sent only as the `x-goog-api-key` header.
- `vertexai=False` explicitly: GOOGLE_GENAI_USE_VERTEXAI in the environment must not reroute
  requests to Vertex AI with other credentials.
- Output tokens are candidates plus thinking tokens: Google bills both as output.
- A safety finish reason or a blocked prompt is a ContentBlocked error (text already streamed
  is kept by the runner, which marks the exchange interrupted).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from llmcli.core.errors import (
    ContentBlocked,
    InvalidInput,
    LlmcliError,
    MissingKey,
    ProviderError,
)
from llmcli.core.events import Event, Finish, ReasoningDelta, TextDelta, Usage
from llmcli.core.options import Options
from llmcli.core.provider import Capability, ModelInfo
from llmcli.providers import _http_errors as errs
from llmcli.providers import _sdk_errors, catalog
from llmcli.providers._sdk_base import SdkProvider

if TYPE_CHECKING:
    from llmcli.core.messages import ChatRequest

_FINISH = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
    "IMAGE_PROHIBITED_CONTENT": "content_filter",
    "IMAGE_RECITATION": "content_filter",
    "MALFORMED_FUNCTION_CALL": "tool_error",
    "UNEXPECTED_TOOL_CALL": "tool_error",
    "LANGUAGE": "unsupported_language",
    "OTHER": "other",
    "FINISH_REASON_UNSPECIFIED": "other",
}


def _thinking(options: Any) -> Any:
    """The `ThinkingConfig` for the options, or None when none was asked for. Thought
    summaries are asked for too unless thinking is off (budget 0)."""
    budget = getattr(options, "thinking_budget", None)
    level = getattr(options, "thinking_level", None)
    if budget is None and level is None:
        return None
    from google.genai import types

    return types.ThinkingConfig(
        thinking_budget=budget,
        thinking_level=level.upper() if level else None,
        include_thoughts=budget != 0,
    )


def normalise_finish(reason: Any) -> str | None:
    """Gemini's FinishReason enum (or an unknown string) in llmcli's vocabulary."""
    if reason is None:
        return None
    raw = str(getattr(reason, "value", reason)).upper()
    return _FINISH.get(raw, raw.lower())


# Gemini's names for the audio types `filetype` reports.
_GEMINI_MIME = {"audio/mpeg": "audio/mp3", "audio/x-wav": "audio/wav"}


def _parts(message: Any) -> list[Any]:
    """A turn's text and its attachments as `inline_data` parts (bytes, sent base64)."""
    if not message.attachments:
        return [{"text": message.content}]
    from google.genai import types

    parts: list[Any] = [types.Part(text=message.content)] if message.content else []
    for a in message.attachments:
        parts.append(types.Part.from_bytes(data=a.data, mime_type=_GEMINI_MIME.get(a.mime, a.mime)))
    return parts


class GeminiOptions(Options):
    """Core options plus Gemini's thinking settings (`ThinkingConfig`): a token budget (2.5
    models) or a level (3.x models). Either one also asks for thought summaries, which stream
    as reasoning."""

    thinking_budget: int | None = Field(
        None, ge=-1, le=32768,
        description="Thinking tokens, 0-32768 (0 = off where allowed, -1 = model decides)",
    )
    thinking_level: Literal["minimal", "low", "medium", "high"] | None = Field(
        None, description="Gemini 3 models: how much to think (minimal, low, medium, high)"
    )
    service_tier: Literal["standard", "flex", "priority"] | None = Field(
        None, description="Processing tier: standard, flex (half price, best effort), priority"
    )


class _DropBothKeysWarning(logging.Filter):
    """llmcli picks the key itself; the SDK's 'Both GOOGLE_API_KEY and GEMINI_API_KEY' is noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "GEMINI_API_KEY are set" not in record.getMessage()


class GeminiProvider(SdkProvider):
    """Chat, streaming, embeddings and token counting through `google-genai`."""

    name: ClassVar[str] = "gemini"
    description: ClassVar[str] = "Google Gemini (Developer API)"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.CHAT, Capability.STREAM, Capability.EMBED, Capability.COUNT_TOKENS,
         Capability.BATCH_JOBS, Capability.TOOLS}
    )
    options_model: ClassVar[type[Options]] = GeminiOptions
    key_env: ClassVar[tuple[str, ...]] = ("GOOGLE_API_KEY", "GEMINI_API_KEY")
    base_url_env: ClassVar[str | None] = "GOOGLE_GEMINI_BASE_URL"
    default_model: ClassVar[str] = catalog.DEFAULTS["gemini"]
    default_embed_model: ClassVar[str] = "gemini-embedding-001"
    default_base_url: ClassVar[str] = "https://generativelanguage.googleapis.com/"

    # -- configuration --------------------------------------------------------------------------
    def _make_client(self) -> Any:
        key = self.settings.api_key
        if not key:
            raise MissingKey(
                f"no API key for provider '{self.name}'",
                hint=f"set {' or '.join(self.key_env)}, or run 'llmcli keys set {self.name}'",
            )
        from google import genai
        from google.genai import types

        limits = errs.timeout_parts(self.settings.connect_timeout, self.settings.read_timeout)

        def apply_timeouts(request: Any) -> None:
            current = request.extensions.get("timeout") or {}
            if all(v is None for v in current.values()):  # the SDK passed "no limit at all"
                request.extensions["timeout"] = dict(limits)

        options: dict[str, Any] = {
            "base_url": self.base_url,
            "client_args": {"event_hooks": {"request": [apply_timeouts]}},
        }
        version = self.settings.extra.get("api_version")
        if version:
            options["api_version"] = str(version)
        sdk_log = logging.getLogger("google_genai._api_client")
        quiet = _DropBothKeysWarning()
        sdk_log.addFilter(quiet)
        try:
            return genai.Client(
                api_key=key, vertexai=False, http_options=types.HttpOptions(**options)
            )
        finally:
            sdk_log.removeFilter(quiet)

    def _map(self, exc: BaseException, model: str | None) -> LlmcliError | None:
        return _sdk_errors.map_genai(exc, self._context(model))

    def _call(self, for_model: str | None, fn: Any, /, **kwargs: Any) -> Any:
        with self._mapped_errors(for_model):
            return fn(**kwargs)

    # -- chat -----------------------------------------------------------------------------------
    def chat(self, request: ChatRequest, *, stream: bool = True) -> Iterator[Event]:
        """Stream or fetch one reply; usage from the last chunk; finish reason normalised."""
        with self._mapped_errors(request.model):
            contents, config = self._request(request)
            models = self.client.models
            if stream:
                # A generator: nothing is sent until the first next(); closing it ends the request.
                chunks = models.generate_content_stream(
                    model=request.model, contents=contents, config=config
                )
                with contextlib.closing(chunks):
                    yield from self._events(chunks)
            else:
                reply = models.generate_content(
                    model=request.model, contents=contents, config=config
                )
                yield from self._events([reply])

    def _request(self, request: ChatRequest) -> tuple[list[dict[str, Any]], Any]:
        from google.genai import types

        turns = request.turns
        if not turns:
            raise InvalidInput("nothing to send: the conversation has no user message")
        from llmcli.providers.gemini_tools import wire_contents, wire_tools

        contents = wire_contents(turns, _parts)
        o = request.options
        config = types.GenerateContentConfig(
            system_instruction=request.system,
            temperature=o.temperature,
            top_p=o.top_p,
            top_k=o.top_k,
            max_output_tokens=o.max_tokens,
            seed=o.seed,
            stop_sequences=list(o.stop) if o.stop else None,
            response_mime_type="application/json" if request.json_schema is not None else None,
            response_json_schema=request.json_schema,
            thinking_config=_thinking(o),
            service_tier=getattr(o, "service_tier", None),
            tools=wire_tools(request.tools) if request.tools else None,
        )
        return contents, config

    @classmethod
    def native_schema(cls, model: str) -> bool:
        """`response_json_schema` with `application/json` (standard JSON Schema)."""
        return True

    def _events(self, chunks: Any) -> Iterator[Event]:
        from llmcli.providers.gemini_tools import call_event

        usage = None
        reason = None
        n_calls = 0
        for chunk in chunks:
            feedback = chunk.prompt_feedback
            if feedback is not None and feedback.block_reason:
                why = str(getattr(feedback.block_reason, "value", feedback.block_reason))
                raise ContentBlocked(
                    f"gemini blocked the prompt ({why})",
                    hint="rephrase the prompt; Gemini's safety filter refused it",
                    debug={"block_reason": why},
                )
            candidates = chunk.candidates
            if candidates:
                cand = candidates[0]
                content = cand.content
                if content is not None and content.parts:
                    for part in content.parts:
                        if part.text:  # thoughts are shown apart, never as the reply
                            yield ReasoningDelta(part.text) if part.thought else TextDelta(
                                part.text)
                        elif part.function_call is not None:
                            yield call_event(part.function_call, n_calls,
                                             getattr(part, "thought_signature", None))
                            n_calls += 1
                if cand.finish_reason:
                    reason = cand.finish_reason
            if chunk.usage_metadata is not None:
                usage = chunk.usage_metadata  # cumulative: the last one wins
        if reason is None:
            raise ProviderError(
                "gemini ended the reply before it was complete (no finish reason)",
                hint="retry",
                retryable=True,
            )
        if usage is not None:
            out = usage.candidates_token_count
            if usage.thoughts_token_count:
                out = (out or 0) + usage.thoughts_token_count
            yield Usage(input_tokens=usage.prompt_token_count, output_tokens=out,
                        reasoning_tokens=usage.thoughts_token_count)
        normalised = normalise_finish(reason)
        yield Finish(normalised)
        if normalised == "content_filter":
            why = str(getattr(reason, "value", reason))
            raise ContentBlocked(
                f"gemini stopped the reply: safety filter ({why})",
                hint="rephrase the prompt",
                debug={"finish_reason": why},
            )

    # -- models ---------------------------------------------------------------------------------
    def _live_models(self) -> list[ModelInfo]:
        connect, read = errs.quick_timeouts(
            self.settings.connect_timeout, self.settings.read_timeout
        )
        config = {"page_size": 100, "http_options": {"timeout": int(max(connect, read) * 1000)}}
        out = []
        for m in self.client.models.list(config=config):
            actions = set(m.supported_actions or [])
            caps = []
            if "generateContent" in actions:
                caps += [Capability.CHAT.value, Capability.STREAM.value]
            if "countTokens" in actions:
                caps.append(Capability.COUNT_TOKENS.value)
            if actions & {"embedContent", "batchEmbedContents"}:
                caps.append(Capability.EMBED.value)
            if not caps or not m.name:
                continue
            out.append(
                ModelInfo(
                    id=m.name.removeprefix("models/"),
                    provider=self.settings.name,
                    description=m.display_name or None,
                    context_window=m.input_token_limit,
                    capabilities=caps,
                    live=True,
                )
            )
        return sorted(out, key=lambda m: m.id)

    # -- embeddings and tokens ------------------------------------------------------------------
    def embed(self, texts: list[str], model: str) -> list[list[float]]:
        """One vector per text via batchEmbedContents (the SDK's only embedding call here)."""
        if not texts:
            raise InvalidInput("nothing to embed", hint="give at least one text")
        resp = self._call(
            model, self.client.models.embed_content, model=model, contents=list(texts)
        )
        vectors = [list(e.values or []) for e in (resp.embeddings or [])]
        if len(vectors) != len(texts):
            raise ProviderError(f"gemini returned {len(vectors)} embeddings for {len(texts)} texts")
        return vectors

    def count_tokens(self, text: str, model: str) -> int:
        """Gemini's own count for `text` as one user turn."""
        resp = self._call(model, self.client.models.count_tokens, model=model, contents=text)
        if resp.total_tokens is None:
            raise ProviderError("gemini returned no token count", hint="retry")
        return int(resp.total_tokens)

    def batch_service(self) -> Any:
        """Batch mode: inline requests, or an uploaded file past the inline limit
        (providers/gemini_batch.py)."""
        from llmcli.providers.gemini_batch import GeminiBatchService

        return GeminiBatchService(self)

    def close(self) -> None:
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.close()
            self._client = None
