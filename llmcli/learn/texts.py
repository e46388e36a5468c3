"""Which language the tour speaks, and its texts in that language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llmcli.core.errors import InvalidInput

LANGS = ("pt", "en")


def pick_lang(choice: str | None, environ: Mapping[str, str]) -> str:
    """--lang wins; else the locale (LC_ALL, then LC_MESSAGES, then LANG: pt_* -> pt);
    English otherwise."""
    if choice is not None:
        lang = choice.strip().lower()
        if lang not in LANGS:
            raise InvalidInput(f"unknown language '{choice}'", hint="use --lang pt or --lang en")
        return lang
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        if value:
            return "pt" if value.lower().startswith("pt") else "en"
    return "en"


def texts(lang: str) -> Any:
    """The module with STEPS, LABELS and UI for `lang`."""
    if lang == "pt":
        from llmcli.learn import texts_pt as module
    else:
        from llmcli.learn import texts_en as module
    return module


def label(lang: str, key: str) -> str:
    """A table title or column: '=literal' is shown as is (token pieces, positions)."""
    if key.startswith("="):
        return key[1:]
    return texts(lang).LABELS[key]


def step_text(lang: str, name: str, say: Mapping[str, Any]) -> tuple[str, str]:
    """(title, body) of a step with the run's numbers filled in."""
    entry = texts(lang).STEPS[name]
    return entry["title"].format(**say), entry["body"].format(**say)
