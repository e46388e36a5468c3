"""OpenAI and OpenAI-compatible servers (Ollama, llama.cpp, vLLM, LM Studio) on the `openai` SDK.

The same class serves the `openai` provider and every named endpoint of the config
(`[endpoints.ollama] base_url = "http://127.0.0.1:11434/v1"`): the registry hands it
`ProviderSettings(name="ollama", base_url=..., api_key=None)`.

Decisions:
- The SDK's own retries are off (`max_retries=0`): core.runner retries the same way for every
  provider, and never after the first token.
- Timeouts are httpx per-phase limits: `read_timeout` bounds every wait for bytes, so a stream
  that stalls is stopped, however long the whole reply takes.
- `top_k` is not part of the OpenAI API. OpenAI itself refuses unknown parameters, so the
  `openai` provider refuses it before sending (whatever OPENAI_BASE_URL says), naming the
  providers that take it; named endpoints (llama.cpp, vLLM, Ollama) get it as an extra body field.
- `max_tokens` is sent as `max_completion_tokens` to api.openai.com (the only name its newer
  models accept) and as `max_tokens` to compatible servers (the name they all understand).
- `raw` requests are sent as an ordinary single user message: chat APIs have no raw mode.
- `top_logprobs=N` (0-20) goes out as `logprobs=true, top_logprobs=N`; each token comes back as
  TokenLogprobs, streamed or not. LOGPROBS is declared: api.openai.com (GPT-4o, GPT-4.1) and
  llama.cpp server / vLLM return them (reasoning models answer 400 -> InvalidInput). A subclass
  without LOGPROBS (Groq rejects the field) refuses the option before sending anything.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar, Literal
from urllib.parse import urlparse

from pydantic import Field

from llmcli.core.errors import (
    ContentBlocked,
    InvalidInput,
    LlmcliError,
    MissingKey,
    ProviderError,
)
from llmcli.core.events import (
    Event,
    Finish,
    ReasoningDelta,
    Usage,
)
from llmcli.core.options import Options
from llmcli.core.provider import Capability, ModelInfo
from llmcli.providers import _http_errors as errs
from llmcli.providers import _sdk_errors, catalog
from llmcli.providers._reasoning import ThinkSplitter, reasoning_text, reasoning_tokens
from llmcli.providers._sdk_base import SdkProvider
from llmcli.providers.openai_wire import (
    content_parts,
    normalise_finish,
    response_format,
    token_logprobs,
)

if TYPE_CHECKING:
    from llmcli.core.messages import ChatRequest

PLACEHOLDER_KEY = "not-needed"  # the SDK refuses an empty key; keyless servers ignore this one

# Live OpenAI listings also hold image, audio and moderation models that cannot chat.
_NOT_TEXT = ("dall-e", "whisper", "tts", "gpt-image", "sora", "davinci", "babbage", "moderation")
_NOT_TEXT_PARTS = ("-realtime", "-audio", "-transcribe", "-tts", "-search")


class OpenAIOptions(Options):
    """Core options plus the chat-completions API's log-probabilities, reasoning effort and
    service tier."""

    top_logprobs: int | None = Field(
        None, ge=0, le=20, description="Log-probabilities of this many alternatives per token, 0-20"
    )
    reasoning_effort: Literal["none", "minimal", "low", "medium", "high"] | None = Field(
        None, description="Reasoning models: how much to think (none, minimal, low, medium, high)"
    )
    service_tier: Literal["auto", "default", "flex", "priority"] | None = Field(
        None, description="Processing tier: auto, default, flex (half price, slower), priority"
    )


class OpenAIProvider(SdkProvider):
    """Chat, streaming and embeddings through the official `openai` SDK."""

    name: ClassVar[str] = "openai"
    description: ClassVar[str] = "OpenAI and OpenAI-compatible servers (Ollama, llama.cpp, vLLM)"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.CHAT, Capability.STREAM, Capability.EMBED, Capability.LOGPROBS,
         Capability.BATCH_JOBS, Capability.TOOLS}
    )
    options_model: ClassVar[type[Options]] = OpenAIOptions
    key_env: ClassVar[tuple[str, ...]] = ("OPENAI_API_KEY",)
    base_url_env: ClassVar[str | None] = "OPENAI_BASE_URL"
    default_model: ClassVar[str] = catalog.DEFAULTS["openai"]
    default_embed_model: ClassVar[str] = "text-embedding-3-small"
    default_base_url: ClassVar[str] = "https://api.openai.com/v1"
    official_host: ClassVar[str] = "api.openai.com"
    # top_k: not on the official API; compatible servers take it
    refused_options: ClassVar[frozenset[str]] = frozenset({"top_k"})

    # -- configuration --------------------------------------------------------------------------
    @property
    def is_endpoint(self) -> bool:
        """A named OpenAI-compatible endpoint from the config, not the provider itself."""
        return self.settings.name != self.name

    @property
    def base_url(self) -> str:
        """Endpoint base URL; for the provider itself the SDK variable beats the config file."""
        if self.is_endpoint:
            if not self.settings.base_url:
                raise InvalidInput(
                    f"endpoint '{self.settings.name}' has no base_url",
                    hint=f"add base_url under [endpoints.{self.settings.name}] in the config",
                )
            return self.settings.base_url
        return super().base_url

    @property
    def is_official(self) -> bool:
        return urlparse(self.base_url).hostname == self.official_host

    def _key(self) -> str:
        key = self.settings.api_key
        if key:
            return key
        if self.is_endpoint:
            # Never fall back to OPENAI_API_KEY: that would send the OpenAI key to another server.
            return PLACEHOLDER_KEY
        raise MissingKey(
            f"no API key for provider '{self.name}'",
            hint=f"set {' or '.join(self.key_env)}, or run 'llmcli keys set {self.name}'",
        )

    def _error_key_env(self) -> tuple[str, ...]:
        return () if self.is_endpoint else self.key_env

    def _make_client(self) -> Any:
        import openai

        return openai.OpenAI(
            api_key=self._key(),
            base_url=self.base_url,
            max_retries=0,
            timeout=openai.Timeout(**self._timeouts()),
        )

    def _timeouts(self, quick: bool = False) -> dict[str, float]:
        connect, read = self.settings.connect_timeout, self.settings.read_timeout
        if quick:
            connect, read = errs.quick_timeouts(connect, read)
        return errs.timeout_parts(connect, read)

    def _quick_client(self) -> Any:
        import openai

        return self.client.with_options(timeout=openai.Timeout(**self._timeouts(quick=True)))

    def _map(self, exc: BaseException, model: str | None) -> LlmcliError | None:
        return _sdk_errors.map_stainless(exc, self._context(model))

    # -- chat -----------------------------------------------------------------------------------
    def chat(self, request: ChatRequest, *, stream: bool = True) -> Iterator[Event]:
        """Stream (or fetch whole) one reply; usage and a normalised finish reason come last."""
        with self._mapped_errors(request.model):
            kwargs = self._chat_kwargs(request, stream)
            if stream:
                yield from self._stream(kwargs)
            else:
                yield from self._complete(kwargs)

    def _messages(self, request: ChatRequest) -> list[dict[str, Any]]:
        from llmcli.providers.openai_tools import wire_message

        out = []
        for m in request.messages:
            wire = wire_message(m)
            if m.attachments:
                wire["content"] = content_parts(m.content, m.attachments)
            out.append(wire)
        return out

    def _chat_kwargs(self, request: ChatRequest, stream: bool) -> dict[str, Any]:
        o = request.options
        kw: dict[str, Any] = {"model": request.model, "messages": self._messages(request)}
        extra: dict[str, Any] = {}
        if o.temperature is not None:
            kw["temperature"] = o.temperature
        if o.top_p is not None:
            kw["top_p"] = o.top_p
        if o.max_tokens is not None:
            kw[self._max_tokens_field()] = o.max_tokens
        if o.seed is not None:
            kw["seed"] = o.seed
        if o.stop:
            kw["stop"] = list(o.stop)
        if o.top_k is not None:
            if not self.is_endpoint or not self._top_k_as_extra():
                from llmcli.core.registry import option_refused

                raise option_refused(self.settings.name, "top_k")
            extra["top_k"] = o.top_k
        top_logprobs = getattr(o, "top_logprobs", None)
        if top_logprobs is not None:
            if not self.has(Capability.LOGPROBS):
                from llmcli.core.registry import providers_with

                others = ", ".join(providers_with(Capability.LOGPROBS)) or "local"
                raise InvalidInput(
                    f"{self.settings.name} returns no token probabilities "
                    "for the option 'top_logprobs'",
                    hint=f"providers that have them: {others}",
                )
            kw["logprobs"] = True
            kw["top_logprobs"] = top_logprobs
        for name in self._passthrough_options:
            value = getattr(o, name, None)
            if value is not None:
                kw[name] = value
        if request.json_schema is not None and self.native_schema(request.model):
            kw["response_format"] = response_format(
                request.json_schema, strict=self._schema_strict(request.model))
        if request.tools:
            from llmcli.providers.openai_tools import wire_tools

            kw["tools"] = wire_tools(request.tools)
        if stream:
            kw["stream"] = True
            self._add_stream_usage(kw, extra)
        if extra:
            kw["extra_body"] = extra
        return kw

    # Options sent under their own name, as the SDK's keyword of the same name.
    _passthrough_options: ClassVar[tuple[str, ...]] = ("reasoning_effort", "service_tier")

    def _max_tokens_field(self) -> str:
        return "max_completion_tokens" if self.is_official else "max_tokens"

    @classmethod
    def native_schema(cls, model: str) -> bool:
        """OpenAI and the compatible servers (llama.cpp, Ollama, vLLM) take `json_schema`."""
        return True

    def _schema_strict(self, model: str) -> bool:
        return True

    def _top_k_as_extra(self) -> bool:
        return True

    def _add_stream_usage(self, kw: dict[str, Any], extra: dict[str, Any]) -> None:
        kw["stream_options"] = {"include_usage": True}

    def _complete(self, kwargs: dict[str, Any]) -> Iterator[Event]:
        resp = self.client.chat.completions.create(**kwargs)
        choice = resp.choices[0] if resp.choices else None
        if choice is None:
            raise ProviderError(f"{self.settings.name} sent a reply with no choices", hint="retry")
        yield from token_logprobs(getattr(choice, "logprobs", None))
        thought = reasoning_text(choice.message)
        if thought:
            yield ReasoningDelta(thought)
        text = choice.message.content if choice.message else None
        if text:
            splitter = ThinkSplitter()
            yield from splitter.feed(text)
            yield from splitter.flush()
        if choice.message is not None and choice.message.tool_calls:
            from llmcli.providers.openai_tools import whole_calls

            yield from whole_calls(choice.message.tool_calls)
        yield from self._finish(resp.usage, choice.finish_reason)

    def _stream(self, kwargs: dict[str, Any]) -> Iterator[Event]:
        from llmcli.providers.openai_tools import CallAssembler

        usage = None
        reason = None
        splitter = ThinkSplitter()
        calls = CallAssembler()
        with self.client.chat.completions.create(**kwargs) as chunks:
            for chunk in chunks:
                choices = chunk.choices
                if choices:
                    choice = choices[0]
                    yield from token_logprobs(getattr(choice, "logprobs", None))
                    delta = choice.delta
                    thought = reasoning_text(delta)
                    if thought:
                        yield ReasoningDelta(thought)
                    if delta is not None and delta.content:
                        yield from splitter.feed(delta.content)
                    if delta is not None and delta.tool_calls:
                        calls.add(delta.tool_calls)
                    if choice.finish_reason:
                        reason = choice.finish_reason
                found = self._chunk_usage(chunk)
                if found is not None:
                    usage = found
        yield from splitter.flush()
        if reason is None:
            # The body ended without a finish reason: the server stopped mid-reply.
            raise ProviderError(
                f"{self.settings.name} ended the stream before the reply was complete",
                hint="retry",
                retryable=True,
            )
        yield from calls.events()
        yield from self._finish(usage, reason)

    def _chunk_usage(self, chunk: Any) -> Any:
        return chunk.usage

    def _finish(self, usage: Any, reason: str | None) -> Iterator[Event]:
        if usage is not None:
            yield Usage(
                input_tokens=getattr(usage, "prompt_tokens", None),
                output_tokens=getattr(usage, "completion_tokens", None),
                reasoning_tokens=reasoning_tokens(usage),
            )
        normalised = normalise_finish(reason)
        yield Finish(normalised)
        if normalised == "content_filter":
            raise ContentBlocked(
                f"{self.settings.name} stopped the reply: its content filter was triggered",
                hint="rephrase the prompt",
            )

    def batch_service(self) -> Any:
        """The Batch API (files + jobs) through this provider's client."""
        from llmcli.providers.batch_api import StainlessBatchService

        if self.is_endpoint:  # Ollama, llama.cpp, vLLM serve no files/batches endpoints
            from llmcli.core.errors import Unsupported

            raise Unsupported(f"endpoint '{self.settings.name}' has no batch jobs",
                              hint="providers that have them: gemini, groq, openai; without "
                              "--provider-batch a synchronous batch runs any model")

        return StainlessBatchService(self)

    # -- models ---------------------------------------------------------------------------------
    def known_models(self) -> list[ModelInfo]:
        return [] if self.is_endpoint else catalog.known(self.name, self._today().isoformat())

    def _check_can_list(self) -> None:
        if not self.settings.api_key and not self.is_endpoint:
            raise MissingKey(f"no API key for provider '{self.name}'")

    def _merge_live(self, live: list[ModelInfo]) -> list[ModelInfo]:
        return live if self.is_endpoint else super()._merge_live(live)

    def _live_models(self) -> list[ModelInfo]:
        page = self._quick_client().models.list()
        out = []
        for m in sorted(page.data or [], key=lambda m: m.id):
            if not self.is_endpoint and self._skip_live(m):
                continue
            caps = _EMBED_CAPS if "embed" in m.id else _CHAT_CAPS
            window = getattr(m, "context_window", None)  # Groq lists it; OpenAI does not
            shutdown = getattr(m, "shutdown_date", None)  # OpenAI's, optional (YYYY-MM-DD)
            out.append(
                ModelInfo(
                    id=m.id,
                    provider=self.settings.name,
                    capabilities=caps,
                    context_window=window if isinstance(window, int) else None,
                    shutdown=shutdown if isinstance(shutdown, str) and shutdown else None,
                    live=True,
                )
            )
        return out

    def _skip_live(self, m: Any) -> bool:
        mid = m.id.lower()
        return mid.startswith(_NOT_TEXT) or any(p in mid for p in _NOT_TEXT_PARTS)

    # -- embeddings -----------------------------------------------------------------------------
    def embed(self, texts: list[str], model: str) -> list[list[float]]:
        """One vector per text, in order. The SDK asks for base64 and decodes it to floats."""
        if not texts:
            raise InvalidInput("nothing to embed", hint="give at least one text")
        with self._mapped_errors(model):
            resp = self.client.embeddings.create(model=model, input=list(texts))
        data = sorted(resp.data or [], key=lambda d: d.index)
        if len(data) != len(texts):
            raise ProviderError(
                f"{self.settings.name} returned {len(data)} embeddings for {len(texts)} texts"
            )
        return [list(d.embedding) for d in data]

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


_CHAT_CAPS = [Capability.CHAT.value, Capability.STREAM.value]
_EMBED_CAPS = [Capability.EMBED.value]
