"""The provider protocol: one class per adapter, capabilities declared rather than assumed."""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from llmcli.core.errors import Unsupported
from llmcli.core.events import Event
from llmcli.core.options import Options

if TYPE_CHECKING:
    from llmcli.core.messages import ChatRequest


class Capability(StrEnum):
    CHAT = "chat"
    STREAM = "stream"
    EMBED = "embed"
    TOKENIZE = "tokenize"
    COUNT_TOKENS = "count_tokens"
    LOGPROBS = "logprobs"
    BATCH_JOBS = "batch_jobs"  # an asynchronous batch service (files + jobs) at batch prices
    TOOLS = "tools"  # function calling (core/tools.py)


class ModelInfo(BaseModel):
    """A model as `llmcli models` shows it. Prices are USD per million tokens."""

    model_config = ConfigDict(extra="forbid")

    id: str
    provider: str
    description: str | None = None
    context_window: int | None = None
    price_in: float | None = None
    price_out: float | None = None
    price_date: str | None = None
    capabilities: list[str] = Field(default_factory=list)
    aliases: list[str] = Field(default_factory=list)
    live: bool = False
    # Lifecycle (ISO dates): when the provider announced the retirement, when the model stops
    # answering, and what it names instead. None when nothing has been announced.
    deprecated: str | None = None
    shutdown: str | None = None
    replacement: str | None = None
    # The share of the standard price the `flex` service tier costs (OpenAI: Batch API rates,
    # half; Groq: the same price). None when the provider has no flex tier.
    flex_factor: float | None = None

    def cost(self, input_tokens: int | None, output_tokens: int | None,
             *, tier: str | None = None) -> float | None:
        """USD for one exchange, or None when the price or a count is unknown. Output tokens
        include reasoning tokens, which every provider bills as output. `tier="flex"` applies
        the flex price; `tier="priority"` has no price in the catalog (None: unknown)."""
        if self.price_in is None or self.price_out is None or tier == "priority":
            return None
        if input_tokens is None or output_tokens is None:
            return None
        usd = (input_tokens * self.price_in + output_tokens * self.price_out) / 1_000_000
        if tier == "flex" and self.flex_factor is not None:
            usd *= self.flex_factor
        return usd


class ProviderSettings(BaseModel):
    """What the registry hands an adapter: its key, endpoint and network limits."""

    model_config = ConfigDict(extra="forbid")

    name: str
    api_key: str | None = None
    base_url: str | None = None
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    extra: dict[str, Any] = Field(default_factory=dict)


class Provider:
    """Base class of every adapter.

    Subclasses set the class attributes, implement `chat`, and override the optional methods
    for the capabilities they declare. SDKs are imported inside methods, never at module level.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.CHAT, Capability.STREAM})
    options_model: ClassVar[type[Options]] = Options
    needs_key: ClassVar[bool] = True
    key_env: ClassVar[tuple[str, ...]] = ()
    base_url_env: ClassVar[str | None] = None
    default_model: ClassVar[str] = ""
    # Names how `embed` computes vectors when the model name alone does not (see
    # llmcli.core.embedder_id); bump it when the same model starts giving different vectors.
    embed_revision: ClassVar[str] = ""
    # Fields of `options_model` the provider's own API refuses (a compatible server behind a
    # named endpoint of the same adapter may take them); refused naming the providers that do.
    refused_options: ClassVar[frozenset[str]] = frozenset()
    # Completion mode (`--raw`: the text sent as is, no chat template); chat APIs have none.
    completion_mode: ClassVar[bool] = False

    def __init__(self, settings: ProviderSettings):
        self.settings = settings

    @classmethod
    def choose_default(cls, extra: dict[str, Any]) -> str:
        """The model used when none is named; an adapter may consult what it knows is live."""
        return cls.default_model

    @classmethod
    def refuse_retired(cls, provider_name: str, model: str, extra: dict[str, Any]) -> None:
        """Raise RetiredModel for a model its provider has shut down; called before the
        adapter is built, so a retired model is named as such even when no key is set."""

    @classmethod
    def takes_input(cls, provider_name: str, model: str, kind: str) -> bool | None:
        """Whether `model` reads attachments of `kind` (image, pdf, audio): True, False, or
        None when the provider cannot tell (the request is sent and the provider decides).
        An adapter that does not send content parts says False."""
        return False

    @classmethod
    def models_taking(cls, kind: str) -> list[str]:
        """Models of this provider that read attachments of `kind` (for error messages)."""
        return []

    # -- required -------------------------------------------------------------------------
    def chat(self, request: ChatRequest, *, stream: bool = True) -> Iterator[Event]:
        """Yield events for one exchange; raise `LlmcliError` subclasses on failure."""
        raise NotImplementedError

    # -- optional ---------------------------------------------------------------------------
    def known_models(self) -> list[ModelInfo]:
        """The built-in list: works offline, carries context windows and prices."""
        return []

    def list_models(self) -> list[ModelInfo]:
        """The provider's live list when it can be had; the built-in list otherwise."""
        return self.known_models()

    def model_info(self, model: str) -> ModelInfo | None:
        for info in self.known_models():
            if info.id == model or model in info.aliases:
                return info
        return None

    def embed(self, texts: list[str], model: str) -> list[list[float]]:
        raise self.unsupported(Capability.EMBED)

    def count_tokens(self, text: str, model: str) -> int:
        raise self.unsupported(Capability.COUNT_TOKENS)

    def tokenize(self, text: str, model: str) -> list[tuple[int, str]]:
        raise self.unsupported(Capability.TOKENIZE)

    def warm_up(self, model: str) -> None:
        """Pay start-up costs (SDK import, client, weights) before the clock of a request starts.

        Chat does this while the user types; compare and batch before their first cell."""

    def close(self) -> None:
        """Release clients and files."""

    # -- helpers ----------------------------------------------------------------------------
    def has(self, capability: Capability) -> bool:
        return capability in self.capabilities

    def unsupported(self, capability: Capability) -> Unsupported:
        from llmcli.core.registry import providers_with

        others = ", ".join(providers_with(capability)) or "none"
        return Unsupported(
            f"provider '{self.name}' has no {capability.value.replace('_', ' ')} support",
            hint=f"providers that have it: {others}",
        )
