"""promptfoo provider ids onto llmcli's `provider:model` names.

`openai:gpt-4.1`, `openai:chat:gpt-4.1` and `openai:responses:gpt-4.1` are `openai:gpt-4.1`;
`groq:M` is `groq:M`; `google:M`, `vertex:M` and `gemini:M` are `gemini:M`. Anything else is
given to llmcli as it is (`local`, an alias, a configured OpenAI-compatible endpoint), so an
unknown id fails with llmcli's own 'unknown model' line naming what exists.
"""

from __future__ import annotations

from typing import Any

from llmcli.eval.suite import ProviderSpec

_OPENAI_KINDS = ("chat:", "responses:", "completion:")


def llmcli_name(promptfoo_id: str) -> str:
    """The llmcli model spec for a promptfoo provider id."""
    provider, sep, rest = promptfoo_id.partition(":")
    if not sep:
        return promptfoo_id
    if provider == "openai":
        for kind in _OPENAI_KINDS:
            if rest.startswith(kind):
                rest = rest[len(kind):]
                break
        return f"openai:{rest}"
    if provider in ("google", "vertex", "gemini"):
        return f"gemini:{rest.removeprefix('chat:')}"
    if provider == "groq":
        return f"groq:{rest}"
    return promptfoo_id


def model_specs(providers: list[ProviderSpec], flags: list[str]) -> list[tuple[str, str,
                                                                              dict[str, Any]]]:
    """(label, llmcli spec, options) per model: the -m flags when given (they replace the
    suite's providers), else the suite's, with a provider's `config` as its options."""
    if flags:
        return [(f, f, {}) for f in flags]
    out = []
    for p in providers:
        spec = llmcli_name(p.id)
        out.append((p.label or spec, spec, dict(p.config)))
    return out
