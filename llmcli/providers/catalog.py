"""Built-in model lists: what `llmcli models` shows offline, where costs come from, and when
each model is retired.

The catalog is as of CATALOG_DATE. Every figure carries the source it was read from and that
source's date (SOURCES, and `src` per model); where a figure could not be confirmed from the
provider's own page it says so. Prices are pay-as-you-go list prices in USD per million tokens
(input, output), standard tier, text only; `None` means no published price was confirmed.
Lifecycle dates are ISO dates: `deprecated` (announced), `shutdown` (stops answering),
`replacement` (what the provider names instead). A live listing never carries prices, and
only OpenAI's carries shutdown dates, so these are the only ones llmcli knows otherwise.

`inputs` says which attachment kinds (-a: image, pdf, audio) a model reads, from the
providers' pages (SOURCES "openai-inputs", "groq-vision", "gemini-inputs"); `None` means not
confirmed, and then an attachment is sent and the provider's answer decides.
"""

from __future__ import annotations

from dataclasses import dataclass

from llmcli.core.provider import Capability, ModelInfo

CATALOG_DATE = "2026-12-06"

_CHAT = [Capability.CHAT.value, Capability.STREAM.value]
_EMBED = [Capability.EMBED.value]
_GEMINI_CHAT = [*_CHAT, Capability.COUNT_TOKENS.value]
_OPENAI_CHAT = [*_CHAT, Capability.LOGPROBS.value]  # GPT-4o/4.1 return top_logprobs


@dataclass(frozen=True)
class Source:
    """Where a figure was read, when the page was read (or dated), and what was not confirmed."""

    url: str
    read: str
    note: str = ""


SOURCES: dict[str, Source] = {
    "openai-deprecations": Source(
        "https://developers.openai.com/api/docs/deprecations",
        "2026-12-06",
        "stored copy, undated: rows for gpt-5/gpt-5-mini (shutdown 2026-12-11, notice "
        "2026-06-11) read on the page itself; the 2027-01-14 rows (announced 2026-10-14) and "
        "the 2026-10-23 rows as copied from it by ImportStatic (2026-10-15) and dev.to/max_bob "
        "(2026-10-28, checked against GET /v1/models shutdown_date)",
    ),
    "openai-gpt-6-luna": Source(
        "https://developers.openai.com/api/docs/models/gpt-6-luna",
        "2026-12-06",
        "price, context window and endpoints from OpenAI's model page (page undated)",
    ),
    "openai-2026-06": Source(
        "https://openai.com/api/pricing", "2026-06", "prices kept from the 2026-06 catalog"
    ),
    "groq-deprecations": Source(
        "https://console.groq.com/docs/deprecations",
        "2026-12-06",
        "the search tool returned only the page's introduction: the 2026-08-16 shutdown of "
        "the Llama models and the gpt-oss replacements are as stated in issue #23 and "
        "corroborated by papi-ai/groq v0.15.2 release notes (2026-07-31)",
    ),
    "groq-models": Source(
        "https://console.groq.com/docs/models",
        "2026-06-04",
        "prices and windows from Groq's models page as stored (its rows' names were cut: "
        "gpt-oss-20b's is the 1,000 tok/s row, as hivebook's May 2026 copy says); date from "
        "TokenMix's check of Groq's pricing page (2026-06-04)",
    ),
    "gemini-deprecations": Source(
        "https://ai.google.dev/gemini-api/docs/deprecations",
        "2026-11-10",
        "Gemini 3 rows read on the page itself; the 2026-12-01 shutdown of gemini-2.5-flash/"
        "-pro, their replacements and '2.5-flash-lite is not deprecated' as quoted from it "
        "by aideprecations (read 2026-11-10)",
    ),
    "gemini-3.5-flash-lite": Source(
        "https://ai.google.dev/gemini-api/docs/models/gemini-3.5-flash-lite",
        "2026-07",
        "window from Google's model page (updated 2026-07); price $0.30/$2.50 NOT read on "
        "Google's pricing page: quoted from it by yoagent v0.27.6 notes and APIYI",
    ),
    "gemini-2026-06": Source(
        "https://ai.google.dev/gemini-api/docs/pricing", "2026-06", "kept from the 2026-06 catalog"
    ),
    "gemini-embedding-004": Source(
        "https://ai.google.dev/gemini-api/docs/changelog",
        "2026-01",
        "text-embedding-004 shut down 2026-01-14, as listed from Google's changelog in "
        "langgenius/dify-official-plugins#2515; not read on Google's page",
    ),
    "openai-inputs": Source(
        "https://platform.openai.com/docs/guides/images-vision",
        "2026-12-06",
        "image input on GPT-4o and GPT-4.1 models; PDF file parts on the models that take "
        "images (platform.openai.com/docs/guides/pdf-files); audio input only on the "
        "-audio-preview models, which the catalog does not list",
    ),
    "groq-vision": Source(
        "https://console.groq.com/docs/vision",
        "2026-12-06",
        "stored copy, undated: Llama 4 Scout is Groq's vision model (base64 images up to 4 "
        "MB). Not in the offline list: whether it outlived the 2026-08-16 Llama shutdown was "
        "not confirmed; when a live list has it, it takes images",
    ),
    "gemini-inputs": Source(
        "https://ai.google.dev/gemini-api/docs/document-processing",
        "2026-12-06",
        "Gemini 2.5 and later read images, PDFs and audio as inline data (ai.google.dev "
        "vision, document-processing and audio pages)",
    ),
    "openai-flex": Source(
        "https://platform.openai.com/docs/guides/flex-processing",
        "2026-12-06",
        "'Tokens are priced at Batch API rates' (half the standard price); which models have "
        "flex is on OpenAI's pricing page, not read: the factor applies to every catalog model",
    ),
    "groq-flex": Source(
        "https://console.groq.com/docs/flex-processing",
        "2026-12-06",
        "'Pricing matches the on-demand tier' (flex trades reliability for rate limits)",
    ),
    "gemini-flex": Source(
        "https://ai.google.dev/gemini-api/docs/optimization",
        "2026-12-06",
        "Flex: '50% discount' on standard pricing (Preview); priority (75-100% more) not priced",
    ),
    "unconfirmed": Source("", CATALOG_DATE, "not confirmed by any source the search tool found"),
}


@dataclass(frozen=True)
class Entry:
    """One model of the catalog. `tier` groups interchangeable models (small, large, embed)."""

    id: str
    context: int | None
    price_in: float | None
    price_out: float | None
    caps: list[str]
    description: str
    tier: str
    src: str
    deprecated: str | None = None
    shutdown: str | None = None
    replacement: str | None = None
    dates_src: str | None = None


_TEXT: tuple[str, ...] = ()
_VISION = ("image", "pdf")
_ALL_INPUTS = ("image", "pdf", "audio")
# Which attachment kinds each model reads (the sources are named in the module docstring).
_INPUTS: dict[str, dict[str, tuple[str, ...]]] = {
    "openai": {m: _VISION for m in ("gpt-4.1-mini", "gpt-4o-mini", "gpt-4.1-nano", "gpt-4.1",
                                     "gpt-4o")},
    "groq": {"openai/gpt-oss-20b": _TEXT, "openai/gpt-oss-120b": _TEXT,
             "llama-3.1-8b-instant": _TEXT, "llama-3.3-70b-versatile": _TEXT,
             "meta-llama/llama-4-scout-17b-16e-instruct": ("image",)},
    "gemini": {m: _ALL_INPUTS for m in ("gemini-3.5-flash-lite", "gemini-2.5-flash-lite",
                                         "gemini-2.5-flash", "gemini-3.8-flash",
                                         "gemini-2.5-pro")},
}


# Within a tier, newest first: a live list without the default falls back to the first listed.
_TABLE: dict[str, list[Entry]] = {
    "openai": [
        Entry("gpt-6-luna", 1_050_000, 0.10, 0.50, _CHAT, "GPT-6 Luna, efficient reasoning",
              "small", "openai-gpt-6-luna"),
        Entry("gpt-4.1-mini", 1_047_576, 0.40, 1.60, _OPENAI_CHAT, "GPT-4.1 mini, 1M context",
              "small", "openai-2026-06", "2026-10-14", "2027-01-14", "gpt-6-luna",
              "openai-deprecations"),
        Entry("gpt-4o-mini", 128_000, 0.15, 0.60, _OPENAI_CHAT, "small, cheap GPT-4o",
              "small", "openai-2026-06", "2026-10-14", "2027-01-14", "gpt-6-luna",
              "openai-deprecations"),
        Entry("gpt-5-mini", None, None, None, _CHAT, "GPT-5 mini", "small", "unconfirmed",
              "2026-06-11", "2026-12-11", "gpt-6.1-terra", "openai-deprecations"),
        Entry("gpt-4.1-nano", 1_047_576, 0.10, 0.40, _OPENAI_CHAT, "smallest GPT-4.1",
              "small", "openai-2026-06", None, "2026-10-23", "gpt-5.6-luna",
              "openai-deprecations"),
        Entry("o4-mini", None, None, None, _CHAT, "o4-mini (reasoning)", "small",
              "unconfirmed", None, "2026-10-23", "gpt-5.6-terra", "openai-deprecations"),
        Entry("o3-mini", None, None, None, _CHAT, "o3-mini (reasoning)", "small",
              "unconfirmed", None, "2026-10-23", "gpt-5.6-sol", "openai-deprecations"),
        Entry("gpt-4.1", 1_047_576, 2.00, 8.00, _OPENAI_CHAT, "GPT-4.1, 1M context", "large",
              "openai-2026-06", "2026-10-14", "2027-01-14", "gpt-6-luna",
              "openai-deprecations"),
        Entry("gpt-4o", 128_000, 2.50, 10.00, _OPENAI_CHAT, "GPT-4o", "large",
              "openai-2026-06", "2026-10-14", "2027-01-14", "gpt-6-luna",
              "openai-deprecations"),
        Entry("gpt-5", None, None, None, _CHAT, "GPT-5", "large", "unconfirmed",
              "2026-06-11", "2026-12-11", "gpt-6.1-sol", "openai-deprecations"),
        Entry("text-embedding-3-small", 8_191, 0.02, 0.0, _EMBED, "embeddings, 1536 dims",
              "embed", "openai-2026-06"),
        Entry("text-embedding-3-large", 8_191, 0.13, 0.0, _EMBED, "embeddings, 3072 dims",
              "embed", "openai-2026-06"),
    ],
    "groq": [
        Entry("openai/gpt-oss-20b", 131_072, 0.075, 0.30, _CHAT, "gpt-oss 20B (reasoning)",
              "small", "groq-models"),
        Entry("llama-3.1-8b-instant", 131_072, 0.05, 0.08, _CHAT, "Llama 3.1 8B", "small",
              "groq-models", None, "2026-08-16", "openai/gpt-oss-20b", "groq-deprecations"),
        Entry("openai/gpt-oss-120b", 131_072, 0.15, 0.60, _CHAT, "gpt-oss 120B (reasoning)",
              "large", "groq-models"),
        Entry("llama-3.3-70b-versatile", 131_072, 0.59, 0.79, _CHAT, "Llama 3.3 70B", "large",
              "groq-models", None, "2026-08-16", "openai/gpt-oss-120b", "groq-deprecations"),
    ],
    "gemini": [
        Entry("gemini-3.5-flash-lite", 1_048_576, 0.30, 2.50, _GEMINI_CHAT,
              "fast and cheap, minimal thinking by default", "small", "gemini-3.5-flash-lite"),
        Entry("gemini-2.5-flash-lite", 1_048_576, 0.10, 0.40, _GEMINI_CHAT,
              "cheapest 2.5 model, not deprecated", "small", "gemini-2026-06"),
        Entry("gemini-2.5-flash", 1_048_576, 0.30, 2.50, _GEMINI_CHAT, "2.5 Flash", "small",
              "gemini-2026-06", None, "2026-12-01", "gemini-3.5-flash-lite",
              "gemini-deprecations"),
        Entry("gemini-3.8-flash", None, None, None, _GEMINI_CHAT, "strongest Flash (3.8)",
              "large", "gemini-deprecations"),
        Entry("gemini-2.5-pro", 1_048_576, 1.25, 10.00, _GEMINI_CHAT, "2.5 Pro", "large",
              "gemini-2026-06", None, "2026-12-01", "gemini-3.8-flash", "gemini-deprecations"),
        Entry("gemini-embedding-001", 2_048, 0.15, 0.0, _EMBED, "embeddings, up to 3072 dims",
              "embed", "gemini-2026-06"),
        Entry("text-embedding-004", 2_048, None, None, _EMBED, "older embeddings, 768 dims",
              "embed", "gemini-embedding-004", None, "2026-01-14", "gemini-embedding-001",
              "gemini-embedding-004"),
    ],
}

# `service_tier=flex`: the share of the standard price it costs, per provider (SOURCES above).
FLEX_FACTOR: dict[str, tuple[float, str]] = {
    "openai": (0.5, "openai-flex"),
    "groq": (1.0, "groq-flex"),
    "gemini": (0.5, "gemini-flex"),
}

# The model each provider uses when none is named (providers' class attributes read these).
DEFAULTS: dict[str, str] = {
    "openai": "gpt-6-luna",
    "groq": "openai/gpt-oss-20b",
    "gemini": "gemini-3.5-flash-lite",
}


def entries(provider: str) -> list[Entry]:
    return list(_TABLE.get(provider, []))


def entry(provider: str, model: str) -> Entry | None:
    """The catalog's entry for a model (a `models/` prefix, as Gemini ids have, is ignored)."""
    bare = model.removeprefix("models/")
    return next((e for e in _TABLE.get(provider, []) if e.id == bare), None)


def inputs(provider: str, model: str) -> tuple[str, ...] | None:
    """The attachment kinds a model reads; None when the catalog does not know."""
    return _INPUTS.get(provider, {}).get(model.removeprefix("models/"))


def models_taking(provider: str, kind: str, today: str | None = None) -> list[str]:
    """The provider's catalog models (not shut down by `today`) that read `kind`."""
    return [m.id for m in known(provider, today) if kind in (inputs(provider, m.id) or ())]


def _info(provider: str, e: Entry) -> ModelInfo:
    return ModelInfo(
        id=e.id,
        provider=provider,
        description=e.description,
        context_window=e.context,
        price_in=e.price_in,
        price_out=e.price_out,
        price_date=SOURCES[e.src].read if e.price_in is not None else None,
        capabilities=list(e.caps),
        deprecated=e.deprecated,
        shutdown=e.shutdown,
        replacement=e.replacement,
        flex_factor=FLEX_FACTOR[provider][0] if provider in FLEX_FACTOR else None,
    )


def known(provider: str, today: str | None = None) -> list[ModelInfo]:
    """The built-in list for a provider ('openai', 'groq', 'gemini'); empty for others.

    With `today` (ISO date), models shut down on or before it are left out: they cannot be
    used, and asking for one names its replacement."""
    return [
        _info(provider, e)
        for e in _TABLE.get(provider, [])
        if today is None or e.shutdown is None or e.shutdown > today
    ]


def merge_live(provider: str, live: list[ModelInfo]) -> list[ModelInfo]:
    """A live listing with windows, prices and lifecycle filled in from the catalog where known.

    A shutdown date the provider lists itself (OpenAI's `shutdown_date`) wins over ours."""
    out = []
    for m in live:
        e = entry(provider, m.id)
        if e is not None:
            base = _info(provider, e)
            m = m.model_copy(
                update={
                    "context_window": m.context_window or base.context_window,
                    "price_in": base.price_in,
                    "price_out": base.price_out,
                    "price_date": base.price_date,
                    "flex_factor": base.flex_factor,
                    "description": m.description or base.description,
                    "capabilities": m.capabilities or base.capabilities,
                    "deprecated": m.deprecated or base.deprecated,
                    "shutdown": m.shutdown or base.shutdown,
                    "replacement": m.replacement or base.replacement,
                }
            )
        out.append(m)
    return out
