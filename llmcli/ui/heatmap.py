"""Heatmaps in the terminal: a coloured grid when colour is allowed, shading characters when not.

Cells that a mask hides (`None`: the future under a causal mask, keys outside a sliding window)
are drawn blank, so a zero weight and "cannot look there" stay distinguishable.
Wide matrices are cut into column blocks printed one under another rather than squeezed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

# A viridis-like ramp: dark blue (low) -> teal -> yellow (high). Rich downsamples truecolor to
# 256 or 16 colours when the terminal has fewer.
SEQUENTIAL = [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)]
# Blue (negative) -> light grey (zero) -> red (positive), for similarities and signed values.
DIVERGING = [(33, 102, 172), (146, 197, 222), (238, 238, 238), (244, 165, 130), (178, 24, 43)]
SHADES = "·░▒▓█"


@dataclass
class Heatmap:
    """A matrix with labels. `values[r][c]` is a float, or None for a masked cell."""

    values: Sequence[Sequence[float | None]]
    row_labels: Sequence[str]
    col_labels: Sequence[str]
    title: str = ""
    vmin: float = 0.0
    vmax: float = 1.0
    diverging: bool = False
    show_values: bool = False  # numbers inside the cells (small matrices)
    mask_label: str = "masked"

    def fraction(self, value: float) -> float:
        span = self.vmax - self.vmin
        f = (value - self.vmin) / span if span > 0 else 0.0
        return min(1.0, max(0.0, f))


def ramp(fraction: float, diverging: bool = False) -> tuple[int, int, int]:
    """Colour for a value in [0, 1] along the chosen ramp."""
    stops = DIVERGING if diverging else SEQUENTIAL
    x = min(1.0, max(0.0, fraction)) * (len(stops) - 1)
    i = min(int(x), len(stops) - 2)
    t = x - i
    a, b = stops[i], stops[i + 1]
    return tuple(round(a[k] + (b[k] - a[k]) * t) for k in range(3))  # type: ignore[return-value]


def shade(fraction: float) -> str:
    return SHADES[min(len(SHADES) - 1, int(fraction * len(SHADES)))]


def short(label: str, width: int) -> str:
    """Cut a label to `width` cells, marking the cut with an ellipsis."""
    from rich.cells import cell_len

    if cell_len(label) <= width:
        return label
    out = ""
    for ch in label:
        if cell_len(out + ch) > width - 1:
            break
        out += ch
    return out + "…"


def fit(label: str, width: int) -> str:
    """`short`, then padded with spaces to exactly `width` terminal cells."""
    from rich.cells import cell_len

    label = short(label, width)
    return label + " " * (width - cell_len(label))


def render_heatmap(console: Console, hm: Heatmap, *, color: bool) -> None:
    """Print the heatmap, its column header and a scale legend at the console's width."""
    render_heatmaps(console, [hm], color=color)


def render_heatmaps(console: Console, maps: Sequence[Heatmap], *, color: bool) -> None:
    """Heatmaps with the same rows side by side when the width allows (the heads of a layer),
    else one under another; a map wider than the console is cut into column blocks."""
    from rich.cells import cell_len

    # 16 colours cannot carry a ramp: such terminals get the shading characters.
    color = color and console.color_system in ("truecolor", "256")
    dim = "dim" if color else None
    if not maps:
        return
    first = maps[0]
    rows = len(first.values)
    cols = len(first.values[0]) if rows else 0
    if not rows or not cols:
        console.print(first.title, "(empty)", markup=False)
        return
    label_w = min(18, max(cell_len(label) for label in first.row_labels))
    width = max(20, console.width)
    for cell in (6,) if first.show_values else (2, 1):
        total = label_w + 1 + len(maps) * (cols * cell + 2) - 2
        if len(maps) > 1 and total <= width:
            _side_by_side(console, maps, cell, label_w, color)
            _print_legend(console, first, color)
            return
    for hm in maps:
        if hm.title:
            console.print(hm.title, style="bold" if color else None, markup=False)
        cell = 6 if hm.show_values else (2 if label_w + 1 + 2 * cols <= width else 1)
        per_block = max(1, (width - label_w - 1) // cell)
        for lo in range(0, cols, per_block):
            hi = min(cols, lo + per_block)
            if lo or hi < cols:
                console.print(f"columns {lo}–{hi - 1}", style=dim, markup=False)
            console.print(_header(hm, lo, hi, cell, label_w), markup=False, style=dim)
            for r in range(rows):
                console.print(_row(hm, r, lo, hi, cell, label_w, color), no_wrap=True, crop=False)
    _print_legend(console, first, color)


def _side_by_side(console: Console, maps: Sequence[Heatmap], cell: int, label_w: int,
                  color: bool) -> None:
    from rich.text import Text

    cols = len(maps[0].values[0])
    block = cols * cell
    titles = Text(" " * (label_w + 1))
    header = " " * (label_w + 1)
    for k, hm in enumerate(maps):
        gap = "  " if k else ""
        titles.append(gap + fit(hm.title, block), "bold" if color else None)
        header += gap + _header(hm, 0, cols, cell, 0)[1:].ljust(block)[:block]
    console.print(titles, no_wrap=True, crop=False)
    console.print(header.rstrip(), markup=False, style="dim" if color else None)
    for r in range(len(maps[0].values)):
        line = Text(fit(maps[0].row_labels[r], label_w) + " ")
        for k, hm in enumerate(maps):
            if k:
                line.append("  ")
            line.append_text(_cells(hm, r, 0, cols, cell, color))
        console.print(line, no_wrap=True, crop=False)


def _header(hm: Heatmap, start: int, stop: int, cell: int, label_w: int) -> str:
    line = [" " * (label_w + 1)]
    if hm.show_values:
        for c in range(start, stop):
            line.append(_rjust(short(hm.col_labels[c], cell - 1), cell - 1) + " ")
        return "".join(line)
    # Column indices every 5th column (every 10th on 1-char cells), aligned to their cell.
    step = 5 if cell >= 2 else 10
    text = ""
    for c in range(start, stop):
        pos = (c - start) * cell
        if c % step == 0 and len(text) <= pos:
            text = text.ljust(pos) + str(c)
    return line[0] + text


def _row(hm: Heatmap, r: int, start: int, stop: int, cell: int, label_w: int, color: bool) -> Text:
    from rich.text import Text

    text = Text(fit(hm.row_labels[r], label_w) + " ")
    text.append_text(_cells(hm, r, start, stop, cell, color))
    return text


def _cells(hm: Heatmap, r: int, start: int, stop: int, cell: int, color: bool) -> Text:
    from rich.color import Color
    from rich.style import Style
    from rich.text import Text

    black, white = Color.from_rgb(0, 0, 0), Color.from_rgb(255, 255, 255)
    text = Text()
    for c in range(start, stop):
        value = hm.values[r][c]
        if value is None:
            text.append("·".center(cell) if color else " " * cell, style="dim" if color else None)
            continue
        f = hm.fraction(value)
        if hm.show_values:
            body = f"{value:5.2f} "
        elif color:
            body = " " * cell
        else:
            body = shade(f) * cell
        if not color:
            text.append(body)
            continue
        rgb = ramp(f, hm.diverging)
        text.append(body, Style(bgcolor=Color.from_rgb(*rgb),
                                color=black if sum(rgb) > 380 else white))
    return text


def _legend(hm: Heatmap, color: bool) -> Text:
    from rich.color import Color
    from rich.style import Style
    from rich.text import Text

    text = Text("scale ")
    text.append(f"{hm.vmin:g} ")
    for k in range(10):
        f = k / 9
        if color:
            text.append(" ", Style(bgcolor=Color.from_rgb(*ramp(f, hm.diverging))))
        else:
            text.append(shade(f))
    text.append(f" {hm.vmax:g}")
    if any(v is None for row in hm.values for v in row):
        text.append(f"   {'blank' if not color else '·'} = {hm.mask_label}")
    return text


def _rjust(label: str, width: int) -> str:
    from rich.cells import cell_len

    return " " * (width - cell_len(label)) + label


def _print_legend(console: Console, hm: Heatmap, color: bool) -> None:
    if hm.show_values and not color:
        return  # the numbers are in the cells; a shading scale would explain nothing
    console.print(_legend(hm, color))
