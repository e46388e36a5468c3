"""`--png FILE`: images of the inspection views for slides and notebooks.

matplotlib (the optional extra `llmcli[png]`) draws labelled figures. Without it, heatmaps are
still written, unlabelled, by a tiny PNG encoder (numpy + zlib); charts then need matplotlib.
matplotlib is imported only here and only when an image is asked for.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from llmcli.core.errors import InvalidInput, StorageError, Unsupported

INSTALL_HINT = "pip install 'llmcli[png]' (matplotlib) for labelled images"


def have_matplotlib() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _pyplot() -> Any:
    import warnings

    import matplotlib

    matplotlib.use("Agg", force=True)  # no display: draw into files only
    import matplotlib.pyplot as plt

    # Token labels may hold emoji the bundled font lacks; a missing glyph is not worth a warning.
    warnings.filterwarnings("ignore", message="Glyph .* missing from", category=UserWarning)
    return plt


def _check_target(path: Path) -> Path:
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise InvalidInput(f"--png wants a .png file name, got '{path.name}'")
    if not path.parent.exists():
        raise StorageError(f"directory {path.parent} does not exist", hint="create it first")
    return path


def _save(fig: Any, path: Path) -> None:
    try:
        fig.savefig(path, dpi=120, bbox_inches="tight")
    except OSError as exc:
        raise StorageError(f"cannot write {path}: {exc.strerror}") from None
    finally:
        import matplotlib.pyplot as plt

        plt.close(fig)


# -- heatmaps ------------------------------------------------------------------------------------
def heatmaps_png(path: Path, panels: Sequence[dict[str, Any]], *, title: str = "",
                 cmap: str = "viridis", vmin: float = 0.0, vmax: float = 1.0) -> Path:
    """One or more heatmaps side by side. Each panel: values ([r][c], None = masked),
    rows (labels), cols (labels), title."""
    import numpy as np

    path = _check_target(path)
    if not panels:
        raise InvalidInput("nothing to draw")
    arrays = [np.array([[np.nan if v is None else v for v in row] for row in p["values"]],
                       dtype=float) for p in panels]
    if not have_matplotlib():
        write_png(path, _tile(arrays, vmin, vmax))
        return path
    plt = _pyplot()
    n = len(panels)
    cols = min(n, 2 if n <= 4 else 3)
    rows = (n + cols - 1) // cols
    size = max(4.0, min(12.0, 0.28 * arrays[0].shape[1] + 2))
    fig, axes = plt.subplots(rows, cols, figsize=(size * cols, size * rows * 0.9), squeeze=False)
    # Masked cells: light grey, distinct from a zero weight.
    colour_map = plt.get_cmap(cmap).with_extremes(bad="#f0f0f0")
    image = None
    for k, ax in enumerate(axes.flat):
        if k >= n:
            ax.axis("off")
            continue
        p = panels[k]
        image = ax.imshow(np.ma.masked_invalid(arrays[k]), cmap=colour_map, vmin=vmin, vmax=vmax,
                          aspect="auto", interpolation="nearest")
        ax.set_title(p.get("title", ""), fontsize=10)
        _ticks(ax, p.get("rows", []), p.get("cols", []))
        _cell_labels(ax, p.get("cells"), arrays[k], vmin, vmax)
    if image is not None:
        fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.8)
    if title:
        fig.suptitle(title)
    _save(fig, path)
    return path


def _ticks(ax: Any, rows: Sequence[str], cols: Sequence[str]) -> None:
    small = 8 if max(len(rows), len(cols)) <= 40 else 6
    if rows:  # model names ('gemini:gemini-3.5-flash-lite') are longer than token labels
        ax.set_yticks(range(len(rows)), [r[:32] for r in rows], fontsize=small)
    if cols:
        ax.set_xticks(range(len(cols)), [c[:16] for c in cols], fontsize=small, rotation=90)


def _cell_labels(ax: Any, cells: Sequence[Sequence[str | None]] | None, values: Any,
                 vmin: float, vmax: float) -> None:
    """Text written in each cell (its own row's token), dark on bright cells, light on dark."""
    if not cells:
        return
    span = (vmax - vmin) or 1.0
    for r, row in enumerate(cells):
        for c, text in enumerate(row):
            if not text:
                continue
            bright = (values[r, c] - vmin) / span > 0.6
            ax.text(c, r, text[:16], ha="center", va="center", rotation=90, fontsize=7,
                    color="black" if bright else "white")


# -- charts --------------------------------------------------------------------------------------
def lines_png(path: Path, x: Sequence[Any], panels: Sequence[dict[str, Any]], *,
              title: str = "", xlabel: str = "") -> Path:
    """Line charts stacked over a shared x axis (e.g. layers). Each panel: series
    {name: values}, ylabel, and optional notes (one label per x, written beside the points of
    the panel's first series)."""
    path = _check_target(path)
    if not have_matplotlib():
        raise Unsupported("charts need matplotlib", hint=INSTALL_HINT)
    plt = _pyplot()
    fig, axes = plt.subplots(len(panels), 1, figsize=(9, 3.6 * len(panels)), sharex=True,
                             squeeze=False)
    xs = list(x)
    for ax, panel in zip(axes[:, 0], panels, strict=True):
        for name, values in panel["series"].items():
            ax.plot(xs, list(values), marker="o", label=name)
        notes = panel.get("notes")
        if notes:
            first = list(next(iter(panel["series"].values())))
            for xi, yi, note in zip(xs, first, notes, strict=True):
                ax.annotate(note, (xi, yi), textcoords="offset points", xytext=(0, 6),
                            ha="center", fontsize=7, rotation=60)
        ax.set_ylabel(panel.get("ylabel", ""))
        if panel.get("ylim"):
            ax.set_ylim(*panel["ylim"])
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    axes[-1, 0].set_xlabel(xlabel)
    axes[-1, 0].set_xticks(xs)
    if title:
        fig.suptitle(title)
    _save(fig, path)
    return path


def bars_png(path: Path, groups: Sequence[tuple[str, Sequence[str], Sequence[float]]], *,
             title: str = "", highlight: Sequence[str | None] = ()) -> Path:
    """Horizontal bar charts side by side: (title, labels, values) per panel; the label named
    in `highlight[k]` is drawn in another colour (the sampled token)."""
    path = _check_target(path)
    if not have_matplotlib():
        raise Unsupported("charts need matplotlib", hint=INSTALL_HINT)
    plt = _pyplot()
    n = len(groups)
    rows = max(len(g[1]) for g in groups) if groups else 1
    fig, axes = plt.subplots(1, n, figsize=(3.6 * n + 1, 0.35 * rows + 1.5), squeeze=False)
    for k, (name, labels, values) in enumerate(groups):
        ax = axes[0][k]
        pick = highlight[k] if k < len(highlight) else None
        colours = ["#d62728" if lab == pick else "#1f77b4" for lab in labels]
        ax.barh(range(len(labels)), list(values), color=colours)
        ax.set_yticks(range(len(labels)), [lab[:18] for lab in labels], fontsize=8)
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.set_title(name, fontsize=10)
    if title:
        fig.suptitle(title)
    _save(fig, path)
    return path


# -- matplotlib-free heatmap ---------------------------------------------------------------------
def _tile(arrays: Sequence[Any], vmin: float, vmax: float, scale: int = 8) -> Any:
    """Panels side by side as RGB pixels (viridis-like ramp, masked cells light grey)."""
    import numpy as np

    from llmcli.ui.heatmap import SEQUENTIAL

    stops = np.array(SEQUENTIAL, dtype=float)
    h = max(a.shape[0] for a in arrays)
    gap = 1
    width = sum(a.shape[1] for a in arrays) + gap * (len(arrays) - 1)
    out = np.full((h, width, 3), 255, dtype=np.uint8)
    x = 0
    for a in arrays:
        span = (vmax - vmin) or 1.0
        f = np.clip((np.nan_to_num(a, nan=vmin) - vmin) / span, 0, 1) * (len(stops) - 1)
        i = np.minimum(f.astype(int), len(stops) - 2)
        t = (f - i)[..., None]
        rgb = stops[i] * (1 - t) + stops[i + 1] * t
        rgb[np.isnan(a)] = (240, 240, 240)
        out[: a.shape[0], x : x + a.shape[1]] = rgb.round().astype(np.uint8)
        x += a.shape[1] + gap
    return np.repeat(np.repeat(out, scale, axis=0), scale, axis=1)


def write_png(path: Path, rgb: Any) -> None:
    """Write an [h, w, 3] uint8 array as an 8-bit RGB PNG (filter 0 on every row)."""
    import numpy as np

    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    h, w, _ = rgb.shape
    raw = np.concatenate([np.zeros((h, 1), np.uint8), rgb.reshape(h, w * 3)], axis=1).tobytes()

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")
    try:
        Path(path).write_bytes(png)
    except OSError as exc:
        raise StorageError(f"cannot write {path}: {exc.strerror}") from None


# -- tokenize and embed --------------------------------------------------------------------------
def tokens_png(path: Path, views: Sequence[Any]) -> Path:
    """`tokenize --png`: one row per model, one cell per token, brighter for a token that
    covers more characters: how each tokenizer cuts the same text."""
    shown = [v for v in views if not v.error and v.texts]
    if not shown:
        raise InvalidInput("no tokens to draw", hint="--png needs a tokenizer that gives tokens")
    width = max(len(v.texts) for v in shown)
    longest = max(max(len(t) for t in v.texts) for v in shown) or 1
    values = [[len(t) for t in v.texts] + [None] * (width - len(v.texts)) for v in shown]
    # Each model cuts the text its own way: a cell is labelled with its own row's token (a
    # column axis of the first model's tokens would misname every other row).
    panel = {"values": values, "rows": [v.model for v in shown],
             "cols": [str(i) for i in range(width)],
             "cells": [list(v.pieces) for v in shown],
             "title": "characters per token (token index →)"}
    return heatmaps_png(path, [panel], title="how each model cuts the text", vmin=0,
                        vmax=float(longest))


def similarity_png(path: Path, model: str, texts: Sequence[str],
                   similarity: Sequence[Sequence[float]]) -> Path:
    """`embed --png`: the cosine-similarity matrix of the texts."""
    low = min(0.0, min(min(row) for row in similarity))
    labels = [t[:16] for t in texts]
    return heatmaps_png(path, [{"values": similarity, "rows": labels, "cols": labels,
                                "title": "cosine similarity"}], title=model, vmin=low, vmax=1.0)
