"""How numbers are written for people and for machines, in one place.

Costs are plain decimal dollars (never `7.8e-06`); in JSON, durations are rounded to the
millisecond and costs to a fixed ten decimals, and a model is always `provider:model`. A
pipe's tables follow JSON's rule with bare numbers: `*_s` columns in seconds to the
millisecond, `cost_usd` in dollars to ten decimals.
"""

from __future__ import annotations

import json
import os
from decimal import Decimal
from typing import Any

COST_DECIMALS = 10  # a ten-billionth of a dollar: one token at the lowest batch price is 3.75e-08
SECONDS_DECIMALS = 3  # the millisecond
# JSON keys whose numbers are seconds (a `*_s` key too), and those that are dollars
SECONDS_KEYS = frozenset({"ttft", "total", "waited", "held", "backoff", "started", "wall",
                          "seconds", "embed_seconds", "duration", "waited_max", "elapsed"})
COST_KEYS = frozenset({"cost", "cost_usd", "estimated_cost", "price"})


def usd(value: float | None) -> str:
    """Dollars for a person: `$0`, `$0.0000078`, `$0.0123`, `$1.25`, `$1,234.50`."""
    if value is None:
        return "-"
    if value == 0:
        return "$0"
    sign, v = ("-", -value) if value < 0 else ("", value)
    if v >= 1:
        return f"{sign}${v:,.2f}"
    if v >= 0.01:  # cents, and two more digits when they are not zero: $0.50, $0.0123
        text = f"{v:.4f}"
        while text.endswith("0") and len(text.split(".")[1]) > 2:
            text = text[:-1]
    else:  # two significant digits, written out
        text = plain(float(f"{v:.2g}"))
    return f"{sign}${text}"


def plain(value: float) -> str:
    """A float without an exponent (7.8e-06 -> 0.0000078)."""
    return format(Decimal(repr(value)), "f")


def usd_bare(value: float | None) -> str:
    """Dollars for a machine (a pipe's table): a bare decimal to COST_DECIMALS, `-` unknown."""
    return "-" if value is None else plain(round(value, COST_DECIMALS))


def seconds_bare(value: float | None) -> str:
    """Seconds for a machine (a pipe's table): to the millisecond, `-` unknown."""
    return "-" if value is None else f"{value:.{SECONDS_DECIMALS}f}"


def json_ready(data: Any) -> Any:
    """`data` with JSON's conventions applied: seconds to the millisecond, costs to ten
    decimals, `model` as `provider:model` where a record holds both."""
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            if isinstance(key, str) and (key in SECONDS_KEYS or key.endswith("_s")):
                value = _rounded(value)  # a number, or a spread {median, min, max}
            elif isinstance(value, float) and isinstance(key, str) and (
                    key in COST_KEYS or key.startswith("cost")):
                value = _Cost(round(value, COST_DECIMALS))
            out[key] = json_ready(value)
        model, provider = out.get("model"), out.get("provider")
        if isinstance(model, str) and isinstance(provider, str) and ":" not in model and provider:
            out["model"] = f"{provider}:{model}"
        return out
    if isinstance(data, list | tuple):
        return [json_ready(v) for v in data]
    return data


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, SECONDS_DECIMALS)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    return value


class _Cost(float):
    """A cost: written as a plain decimal by `dumps`."""


# A cost travels through json.dumps as this marked string, then is written as a bare number;
# the random part keeps a user's text from ever looking like one.
_MARK = f"\x00usd{os.urandom(4).hex()}:"
_ESCAPED = _MARK.replace("\x00", "\\u0000")


def _marked(data: Any) -> Any:
    if isinstance(data, _Cost):
        return f"{_MARK}{plain(float(data))}\x00"
    if isinstance(data, dict):
        return {k: _marked(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_marked(v) for v in data]
    return data


def dumps(data: Any, **kw: Any) -> str:
    """json.dumps with `json_ready` applied and costs written as plain decimals."""
    text = json.dumps(_marked(json_ready(data)), **kw)
    if _ESCAPED not in text:
        return text
    import re

    # json.dumps escapes the NUL: "\u0000usdXXXX:0.0000078\u0000" -> 0.0000078
    return re.sub('"' + re.escape(_ESCAPED) + r'([-0-9.]+)\\u0000"', r"\1", text)
