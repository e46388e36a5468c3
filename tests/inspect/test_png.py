"""--png images: matplotlib figures, and the dependency-free heatmap encoder."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest

from llmcli.core.errors import InvalidInput, StorageError, Unsupported
from llmcli.ui import png

PANEL = {"values": [[1.0, None], [0.25, 0.75]], "rows": ["a", "b"], "cols": ["a", "b"],
         "title": "head 0"}


def read_png(path):
    """Decode an 8-bit RGB PNG with filter 0 rows (what write_png produces)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        assert struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])[0] == \
            zlib.crc32(kind + body)
        chunks.setdefault(kind, b"")
        chunks[kind] += body
        pos += 12 + length
    w, h = struct.unpack(">II", chunks[b"IHDR"][:8])
    raw = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), np.uint8).reshape(h, 1 + 3 * w)
    assert not raw[:, 0].any()
    return raw[:, 1:].reshape(h, w, 3)


def test_write_png_round_trip(tmp_path):
    rgb = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3) * 10
    png.write_png(tmp_path / "x.png", rgb)
    assert np.array_equal(read_png(tmp_path / "x.png"), rgb)


def test_plain_heatmap_without_matplotlib(tmp_path, monkeypatch):
    monkeypatch.setattr(png, "have_matplotlib", lambda: False)
    out = png.heatmaps_png(tmp_path / "h.png", [PANEL, PANEL])
    pixels = read_png(out)
    assert pixels.shape == (16, 8 * 5, 3)  # two 2x2 panels, one-cell gap, 8x scale
    assert tuple(pixels[0, 8]) == (240, 240, 240)  # the masked cell
    assert tuple(pixels[0, 0]) == (253, 231, 37)  # weight 1: the top of the ramp
    with pytest.raises(Unsupported, match="matplotlib"):
        png.lines_png(tmp_path / "l.png", [0, 1], [{"series": {"a": [1, 2]}}])


def test_matplotlib_figures(tmp_path):
    pytest.importorskip("matplotlib")
    h = png.heatmaps_png(tmp_path / "h.png", [PANEL] * 4, title="t")
    lines = png.lines_png(tmp_path / "l.png", [0, 1, 2], [
        {"series": {"norm": [1.0, 2.0, 4.0]}, "ylabel": "L2"},
        {"series": {"p": [0.1, 0.5, 0.9]}, "notes": ["a", "b", "c"], "ylim": (0, 1)}])
    bars = png.bars_png(tmp_path / "b.png", [("p", ["▁Paris", "▁the"], [0.6, 0.4])],
                        highlight=["▁Paris"])
    for path in (h, lines, bars):
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        w, hgt = struct.unpack(">II", data[16:24])
        assert w > 200 and hgt > 100


def test_bad_targets(tmp_path):
    with pytest.raises(InvalidInput, match=r"\.png"):
        png.heatmaps_png(tmp_path / "x.jpg", [PANEL])
    with pytest.raises(StorageError, match="does not exist"):
        png.heatmaps_png(tmp_path / "missing" / "x.png", [PANEL])


def test_tokens_png_labels_each_row_with_its_own_tokens(tmp_path, monkeypatch):
    """Two tokenizers cut the same text differently: each cell names its own row's token, and
    a long model name is not cut to 16 characters."""
    pytest.importorskip("matplotlib")
    from types import SimpleNamespace

    views = [SimpleNamespace(model="tiktoken:o200k_base", error=None,
                             pieces=["O", "␣coração"], texts=["O", " coração"]),
             SimpleNamespace(model="tiktoken:cl100k_base", error=None,
                             pieces=["O", "␣cor", "ação"], texts=["O", " cor", "ação"])]
    drawn = {}

    def keep(fig, path):
        ax = fig.axes[0]
        drawn["cells"] = {(t.get_position(), t.get_text()) for t in ax.texts}
        drawn["rows"] = [t.get_text() for t in ax.get_yticklabels()]
        fig.savefig(path)

    monkeypatch.setattr(png, "_save", keep)
    png.tokens_png(tmp_path / "t.png", views)
    assert drawn["rows"] == ["tiktoken:o200k_base", "tiktoken:cl100k_base"]
    assert drawn["cells"] == {((0, 0), "O"), ((1, 0), "␣coração"),
                              ((0, 1), "O"), ((1, 1), "␣cor"), ((2, 1), "ação")}
