"""Horizontal bars made of block characters (eighths), or of '#' when the output is plain."""

from __future__ import annotations

EIGHTHS = " ▏▎▍▌▋▊▉█"


def bar(fraction: float, width: int, *, unicode: bool = True) -> str:
    """A bar `fraction` of `width` cells long, padded to `width`."""
    fraction = min(1.0, max(0.0, fraction))
    if width <= 0:
        return ""
    if not unicode:
        n = round(fraction * width)
        return ("#" * n).ljust(width)
    eighths = round(fraction * width * 8)
    full, rest = divmod(eighths, 8)
    out = "█" * full + (EIGHTHS[rest] if rest else "")
    return out.ljust(width)


def percent(p: float | None) -> str:
    """A probability as a short percentage: '41.3%', '0.02%', '<0.01%', '-' when absent."""
    if p is None:
        return "-"
    if p == 0:
        return "0"
    if p < 0.0001:
        return "<0.01%"
    if p < 0.01:
        return f"{p * 100:.2f}%"
    return f"{p * 100:.1f}%"
