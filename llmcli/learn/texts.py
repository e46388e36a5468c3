"""Which language the tour speaks, and its texts in that language."""

from __future__ import annotations

import re
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


def localize(lang: str, value: Any) -> Any:
    """Numbers written the reader's way: Portuguese uses a decimal comma and a dot between
    thousands (25,3; 262.144; 28,75%). Ints below 10,000 (positions, layers) stay bare;
    vectors stay in code notation. A {"pt": ..., "en": ...} value is a phrase in each
    language."""
    if isinstance(value, dict):
        return value[lang]
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        text = f"{value:,}" if abs(value) >= 10_000 else str(value)
    elif isinstance(value, float):
        text = str(value)
    elif isinstance(value, str) and _PERCENT.match(value):
        text = value
    else:
        return value
    if lang == "pt":
        text = text.translate(_PT)
    return text


def cell(lang: str, value: Any) -> str:
    """A table cell: floats and percentages localized, ids and positions as they are."""
    if isinstance(value, int | str) and not (isinstance(value, str) and _PERCENT.match(value)):
        return str(value).replace("\n", "⏎")
    return str(localize(lang, value))


_PERCENT = re.compile(r"^-?\d+(\.\d+)?%$")
_PT = str.maketrans({",": ".", ".": ","})


def step_text(lang: str, name: str, say: Mapping[str, Any]) -> tuple[str, str]:
    """(title, body) of a step with the run's numbers filled in."""
    entry = texts(lang).STEPS[name]
    values = {k: localize(lang, v) for k, v in say.items()}
    return entry["title"].format(**values), entry["body"].format(**values)
