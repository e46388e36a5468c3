"""Moved to `llmcli.exchange.tokens` (every exchange checks the window before sending); the
names stay importable from here."""

from llmcli.exchange.tokens import (  # noqa: F401
    ESTIMATE,
    EXACT_ABOVE,
    PER_MESSAGE,
    Count,
    Fit,
    TokenMeter,
    estimate,
)
