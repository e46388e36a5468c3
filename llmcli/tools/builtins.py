"""The built-in tools, safe by default: they read no files, run nothing, reach no network.

`now` gives the date and time in an IANA zone; `calculate` evaluates arithmetic without
`eval` (tools/calculator.py). Each is a plain function: its type hints and docstring become
its schema, as for a --functions file.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

# Injected by tests (a fixed instant); None means the real clock.
CLOCK: Callable[[], datetime] | None = None


def now(zone: str = "UTC") -> str:
    """Current date and time in a time zone.

    zone: an IANA time zone name such as Europe/Lisbon, America/Sao_Paulo or UTC.
    """
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        tz = ZoneInfo(zone.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone '{zone}' (use an IANA name like Europe/Lisbon)"
                         ) from None
    instant = CLOCK() if CLOCK is not None else datetime.now(UTC)
    local = instant.astimezone(tz)
    return f"{local.isoformat(timespec='seconds')} ({local.strftime('%A')}, {local.tzname()})"


def calculate(expression: str) -> str:
    """Evaluate an arithmetic expression exactly as written.

    expression: numbers with + - * / // % ** and parentheses; sqrt, abs, round, floor, ceil,
    log, log10, exp, sin, cos, tan, min, max; the constants pi and e. Example: (17*23)+sqrt(2)
    """
    from llmcli.tools.calculator import evaluate

    value = evaluate(expression)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


BUILTINS: dict[str, Callable[..., Any]] = {"now": now, "calculate": calculate}
