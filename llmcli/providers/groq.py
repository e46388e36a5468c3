"""Groq on its official `groq` SDK: chat and streaming, no embeddings.

Groq speaks the OpenAI wire format under `/openai/v1`, so this adapter reuses the OpenAI one
and changes only what differs:
- the client is `groq.Groq` (base URL is the host; the SDK adds `/openai/v1`), retries off;
- streamed usage arrives in `x_groq.usage` on the final chunk (groq 1.7 has no stream_options);
- `max_tokens` goes out as `max_completion_tokens`, and `top_k` is refused (the API has none);
- no EMBED capability: Groq's live service lists no embedding model, so asking to embed gives
  the core Unsupported error naming the providers that can.
- no LOGPROBS capability: the API rejects `logprobs`/`top_logprobs` with a 400, so the inherited
  `top_logprobs` option is refused before sending (InvalidInput naming the providers that have
  it), and `llmcli next -m groq` says the provider returns no token probabilities.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from llmcli.core.options import Options
from llmcli.core.provider import Capability, Provider
from llmcli.providers import catalog
from llmcli.providers.openai_compat import OpenAIOptions, OpenAIProvider

# Speech, text-to-speech and guard models in Groq's live list cannot hold a conversation.
_NOT_CHAT = ("whisper", "playai-tts", "orpheus", "distil-whisper")
_NOT_CHAT_PARTS = ("-guard-", "guard-", "-tts")
# Structured outputs: strict (constrained decoding) on gpt-oss, best-effort on these others.
_SCHEMA_STRICT = ("openai/gpt-oss-",)
_SCHEMA_BEST_EFFORT = ("meta-llama/llama-4-", "moonshotai/kimi-k2")


class GroqOptions(OpenAIOptions):
    """OpenAI's options with Groq's own values for reasoning and service tier
    (console.groq.com/docs/reasoning, /docs/service-tiers), and `reasoning_format`."""

    reasoning_effort: Literal["none", "default", "low", "medium", "high"] | None = Field(  # type: ignore[assignment]
        None, description="Reasoning models: none, default, low, medium, high (gpt-oss: low-high)"
    )
    reasoning_format: Literal["parsed", "raw", "hidden"] | None = Field(
        None, description="Reasoning shown apart (parsed), inline in <think> (raw) or not (hidden)"
    )
    service_tier: Literal["auto", "on_demand", "flex"] | None = Field(  # type: ignore[assignment]
        None, description="Processing tier: on_demand, flex (same price, may fail fast), auto"
    )


class GroqProvider(OpenAIProvider):
    """Chat and streaming through the official `groq` SDK."""

    name: ClassVar[str] = "groq"
    description: ClassVar[str] = "Groq LPU inference (Llama, gpt-oss, ...)"
    # Narrower than OpenAI's on purpose: no EMBED, no LOGPROBS (see the module docstring).
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.CHAT, Capability.STREAM, Capability.BATCH_JOBS, Capability.TOOLS}
    )
    options_model: ClassVar[type[Options]] = GroqOptions
    _passthrough_options: ClassVar[tuple[str, ...]] = (
        "reasoning_effort", "reasoning_format", "service_tier")
    key_env: ClassVar[tuple[str, ...]] = ("GROQ_API_KEY",)
    base_url_env: ClassVar[str | None] = "GROQ_BASE_URL"
    default_model: ClassVar[str] = catalog.DEFAULTS["groq"]
    default_base_url: ClassVar[str] = "https://api.groq.com"
    official_host: ClassVar[str] = "api.groq.com"
    refused_options: ClassVar[frozenset[str]] = frozenset({"top_k", "top_logprobs"})

    @property
    def is_endpoint(self) -> bool:
        return False  # named endpoints always use the OpenAI adapter

    def _make_client(self) -> Any:
        import groq

        return groq.Groq(
            api_key=self._key(),
            base_url=self.base_url,
            max_retries=0,
            timeout=groq.Timeout(**self._timeouts()),
        )

    def _quick_client(self) -> Any:
        import groq

        return self.client.with_options(timeout=groq.Timeout(**self._timeouts(quick=True)))

    def _max_tokens_field(self) -> str:
        return "max_completion_tokens"

    def _top_k_as_extra(self) -> bool:
        return False

    @classmethod
    def native_schema(cls, model: str) -> bool:
        """Groq's structured outputs (`response_format: json_schema`) exist on some models only
        (console.groq.com/docs/structured-outputs): the others get instruct-then-validate."""
        return model.startswith(_SCHEMA_STRICT + _SCHEMA_BEST_EFFORT)

    def _schema_strict(self, model: str) -> bool:
        return model.startswith(_SCHEMA_STRICT)

    def _add_stream_usage(self, kw: dict[str, Any], extra: dict[str, Any]) -> None:
        """Nothing to ask for: Groq always puts usage in `x_groq.usage` of the final chunk."""

    def _chunk_usage(self, chunk: Any) -> Any:
        x = getattr(chunk, "x_groq", None)
        usage = getattr(x, "usage", None) if x is not None else None
        return usage if usage is not None else chunk.usage

    def _skip_live(self, m: Any) -> bool:
        mid = m.id.lower()
        if getattr(m, "active", True) is False:
            return True
        return mid.startswith(_NOT_CHAT) or any(p in mid for p in _NOT_CHAT_PARTS)

    embed = Provider.embed  # back to "unsupported": Groq declares no EMBED capability
