"""Structured output: read the JSON a reply was asked for, and check the keys it must have."""

from __future__ import annotations

import json
import re
from typing import Any

from llmcli.core.errors import ProviderError

_FENCE = re.compile(r"```(?:json|JSON)?\s*\n(.*?)\n?```", re.DOTALL)
_HINT = "lower the temperature or try a larger model; the raw reply is in 'llmcli logs list'"


def parse_json_reply(text: str, required_keys: list[str] | None = None) -> Any:
    """The JSON value in a reply: the whole text, a ```json fence, or the first {...} / [...].

    Raises ProviderError (the model did not do what was asked) with a one-line reason.
    """
    value = _decode(text)
    keys = required_keys or []
    if keys:
        if not isinstance(value, dict):
            raise ProviderError(
                f"the reply is JSON but not an object with keys {', '.join(keys)}", hint=_HINT
            )
        missing = [k for k in keys if k not in value]
        if missing:
            raise ProviderError(f"the reply's JSON lacks key{'s' if len(missing) > 1 else ''}: "
                                f"{', '.join(missing)}", hint=_HINT)
    return value


def _decode(text: str) -> Any:
    candidates = [text.strip()]
    candidates += [m.group(1).strip() for m in _FENCE.finditer(text)]
    first_error: json.JSONDecodeError | None = None
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except json.JSONDecodeError as exc:
            first_error = first_error or exc
    # Prose around the JSON: decode from the first bracket that starts a complete value.
    decoder = json.JSONDecoder()
    for match in re.finditer(r"[{\[]", text):
        try:
            value, _ = decoder.raw_decode(text, match.start())
            return value
        except json.JSONDecodeError:
            continue
    if not text.strip():
        raise ProviderError("the reply is empty, not JSON", hint=_HINT)
    detail = ""
    if first_error is not None:
        e = first_error
        detail = f": {e.msg} at line {e.lineno} column {e.colno}"
    raise ProviderError(f"the reply is not valid JSON{detail}", hint=_HINT)
