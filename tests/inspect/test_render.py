"""Rendering of the inspection views at several widths, with colour and under NO_COLOR."""

from __future__ import annotations

import io
import re

import pytest

from llmcli.environment import Environment
from llmcli.ui import model_view
from llmcli.ui.bars import bar, percent
from llmcli.ui.heatmap import Heatmap, ramp, render_heatmaps, shade

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def env(*, tty: bool, width: int, no_color: bool = False) -> Environment:
    out = io.StringIO()
    return Environment(stdin=io.BytesIO(), stdout=out, stderr=io.StringIO(), stdin_isatty=False,
                       stdout_isatty=tty, stderr_isatty=False,
                       environ={"NO_COLOR": "1"} if no_color else {}, width=width)


def console(e: Environment):
    from llmcli.ui.console import stdout_console

    return stdout_console(e)


def causal(n: int) -> list[list[float | None]]:
    return [[1.0 / (q + 1) if k <= q else None for k in range(n)] for q in range(n)]


def test_bar_and_percent():
    assert bar(0.5, 10) == "█████     "
    assert bar(1.0, 4) == "████" and bar(0.0, 3) == "   "
    assert bar(0.5, 10, unicode=False) == "#####     "
    assert len(bar(0.33, 7)) == 7
    assert percent(0.4128) == "41.3%" and percent(0.00004) == "<0.01%" and percent(None) == "-"


def test_ramp_ends_and_shades():
    assert ramp(0.0) == (68, 1, 84) and ramp(1.0) == (253, 231, 37)
    assert ramp(0.5, diverging=True) == (238, 238, 238)
    assert shade(0.0) == "·" and shade(1.0) == "█"


@pytest.mark.parametrize("width", [30, 60, 100, 200])
def test_heatmap_fits_width_and_keeps_mask_blank(width):
    e = env(tty=True, width=width, no_color=True)
    labels = [f"{k} tok{k}" for k in range(40)]
    hm = Heatmap(causal(40), labels, [str(k) for k in range(40)], title="head 0")
    render_heatmaps(console(e), [hm], color=False)
    text = e.stdout.getvalue()
    assert "\x1b[" not in text
    for line in text.splitlines():
        assert len(line) <= width
    row0 = next(line for line in text.splitlines() if line.startswith("0 tok0"))
    assert "█" in row0 and row0.rstrip().endswith("█")  # token 0 sees only itself
    if width < 50:
        assert "columns 0–" in text  # cut into blocks rather than squeezed


def test_heatmap_colour_cells_and_masked_dots(monkeypatch):
    monkeypatch.setenv("COLORTERM", "truecolor")
    e = env(tty=True, width=100)
    hm = Heatmap(causal(4), ["a", "b", "c", "d"], ["0", "1", "2", "3"])
    render_heatmaps(console(e), [hm], color=True)
    text = e.stdout.getvalue()
    assert "\x1b[48;2;253;231;37m" in text  # weight 1.0: the top of the ramp as background
    plain = ANSI.sub("", text)
    assert "·" in plain and "█" not in plain  # masked cells dotted, weights only coloured


def test_heatmap_on_16_colours_uses_shades(monkeypatch):
    monkeypatch.delenv("COLORTERM", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    e = env(tty=True, width=100)
    hm = Heatmap(causal(4), ["a", "b", "c", "d"], ["0", "1", "2", "3"])
    c = console(e)
    assert c.color_system == "standard"
    render_heatmaps(c, [hm], color=True)
    assert "█" in e.stdout.getvalue()


def test_heads_side_by_side_when_they_fit():
    maps = [Heatmap(causal(6), [str(k) for k in range(6)], [str(k) for k in range(6)],
                    title=f"head {h}") for h in range(4)]
    wide = env(tty=True, width=100, no_color=True)
    render_heatmaps(console(wide), maps, color=False)
    first = wide.stdout.getvalue().splitlines()[0]
    assert all(f"head {h}" in first for h in range(4))
    narrow = env(tty=True, width=30, no_color=True)
    render_heatmaps(console(narrow), maps, color=False)
    lines = narrow.stdout.getvalue().splitlines()
    assert [line for line in lines if line.startswith("head ")] == [f"head {h}" for h in range(4)]


def test_similarity_values_shown():
    e = env(tty=False, width=80)
    hm = Heatmap([[1.0, 0.5], [0.5, 1.0]], ["0 cat", "1 dog"], ["0", "1"], vmin=-1,
                 diverging=True, show_values=True)
    render_heatmaps(console(e), [hm], color=False)
    assert " 1.00  0.50" in e.stdout.getvalue()


class _Row:
    def __init__(self, id, piece, probs):
        self.id, self.piece, self.probs = id, piece, probs


class _Step:
    def __init__(self):
        self.index, self.note = 0, None
        self.stages = ["softmax", "temperature", "top_k"]
        self.top = [_Row(1, "▁Paris", {"softmax": 0.4, "temperature": 0.6, "top_k": 0.7}),
                    _Row(2, "▁the", {"softmax": 0.3, "temperature": 0.3, "top_k": 0.3}),
                    _Row(3, "▁a", {"softmax": 0.1, "temperature": 0.05, "top_k": 0.0})]
        self.chosen_id, self.chosen_piece = 2, "▁the"


class _Result:
    def __init__(self):
        self.model, self.prompt, self.text = "local:gemma", "The capital of France is", " the"
        self.options = {"temperature": 0.7, "top_k": 2}
        self.steps = [_Step()]


@pytest.mark.parametrize("width", [40, 80, 160])
@pytest.mark.parametrize("colour", [True, False])
def test_next_token_view(width, colour):
    e = env(tty=colour, width=width)
    model_view.render_next(e, _Result())
    text = ANSI.sub("", e.stdout.getvalue())
    assert "temperature=0.7, top_k=2" in text
    lines = text.splitlines()
    picked = [line for line in lines if line.startswith("→ ▁")]
    assert len(picked) == 1 and picked[0].startswith("→ ▁the")
    header = next(line for line in lines if line.strip().startswith("token"))
    assert "top-k" in header and ("temp" in header) == (width >= 50)
    paris = next(line for line in lines if line.startswith("  ▁Paris"))
    assert "40.0%" in paris and "70.0%" in paris and ("60.0%" in paris) == (width >= 50)
    assert ("\x1b[" in e.stdout.getvalue()) == colour
    for line in lines:
        assert len(line) <= width
