"""Built-in model lists: what `llmcli models` shows offline, and where costs come from.

Prices are the providers' published pay-as-you-go list prices in USD per million tokens
(input, output), standard tier, text only, as of PRICE_DATE; for Gemini 2.5 Pro the rate for
prompts up to 200k tokens. Providers change them: a live listing never carries prices, so these
are the only ones llmcli knows. `None` means no published price was confirmed.
"""

from __future__ import annotations

from llmcli.core.provider import Capability, ModelInfo

PRICE_DATE = "2026-06"

_CHAT = [Capability.CHAT.value, Capability.STREAM.value]
_EMBED = [Capability.EMBED.value]
_GEMINI_CHAT = [*_CHAT, Capability.COUNT_TOKENS.value]
_OPENAI_CHAT = [*_CHAT, Capability.LOGPROBS.value]  # GPT-4o/4.1 return top_logprobs

# provider -> [(id, context window, price in, price out, capabilities, description)]
_TABLE: dict[str, list[tuple[str, int | None, float | None, float | None, list[str], str]]] = {
    "openai": [
        ("gpt-4o-mini", 128_000, 0.15, 0.60, _OPENAI_CHAT, "small, cheap GPT-4o"),
        ("gpt-4o", 128_000, 2.50, 10.00, _OPENAI_CHAT, "GPT-4o"),
        ("gpt-4.1-nano", 1_047_576, 0.10, 0.40, _OPENAI_CHAT, "smallest GPT-4.1"),
        ("gpt-4.1-mini", 1_047_576, 0.40, 1.60, _OPENAI_CHAT, "GPT-4.1 mini, 1M context"),
        ("gpt-4.1", 1_047_576, 2.00, 8.00, _OPENAI_CHAT, "GPT-4.1, 1M context"),
        ("text-embedding-3-small", 8_191, 0.02, 0.0, _EMBED, "embeddings, 1536 dims"),
        ("text-embedding-3-large", 8_191, 0.13, 0.0, _EMBED, "embeddings, 3072 dims"),
    ],
    "groq": [
        ("llama-3.1-8b-instant", 131_072, 0.05, 0.08, _CHAT, "Llama 3.1 8B, fastest"),
        ("llama-3.3-70b-versatile", 131_072, 0.59, 0.79, _CHAT, "Llama 3.3 70B"),
        ("openai/gpt-oss-20b", 131_072, None, None, _CHAT, "gpt-oss 20B (reasoning)"),
        ("openai/gpt-oss-120b", 131_072, None, None, _CHAT, "gpt-oss 120B (reasoning)"),
    ],
    "gemini": [
        ("gemini-2.5-flash", 1_048_576, 0.30, 2.50, _GEMINI_CHAT, "fast, thinking by default"),
        ("gemini-2.5-flash-lite", 1_048_576, 0.10, 0.40, _GEMINI_CHAT, "cheapest 2.5 model"),
        ("gemini-2.5-pro", 1_048_576, 1.25, 10.00, _GEMINI_CHAT, "strongest 2.5 model"),
        ("gemini-embedding-001", 2_048, 0.15, 0.0, _EMBED, "embeddings, up to 3072 dims"),
        ("text-embedding-004", 2_048, None, None, _EMBED, "older embeddings, 768 dims"),
    ],
}


def known(provider: str) -> list[ModelInfo]:
    """The built-in list for a provider ('openai', 'groq', 'gemini'); empty for others."""
    return [
        ModelInfo(
            id=model_id,
            provider=provider,
            description=desc,
            context_window=ctx,
            price_in=pin,
            price_out=pout,
            price_date=PRICE_DATE if pin is not None else None,
            capabilities=list(caps),
        )
        for model_id, ctx, pin, pout, caps, desc in _TABLE.get(provider, [])
    ]


def merge_live(provider: str, live: list[ModelInfo]) -> list[ModelInfo]:
    """A live listing with context windows and prices filled in from the catalog where known."""
    table = {m.id: m for m in known(provider)}
    out = []
    for m in live:
        base = table.get(m.id)
        if base is not None:
            m = m.model_copy(
                update={
                    "context_window": m.context_window or base.context_window,
                    "price_in": base.price_in,
                    "price_out": base.price_out,
                    "price_date": base.price_date,
                    "description": m.description or base.description,
                    "capabilities": m.capabilities or base.capabilities,
                }
            )
        out.append(m)
    return out
