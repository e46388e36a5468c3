"""Rendering of token views, embeddings and nearest neighbours.

In a colour terminal the text is painted token by token; without colour (NO_COLOR, a pipe)
tokens are separated by '|' and listed one per line, so the same facts survive in plain text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from llmcli.environment import Environment
    from llmcli.inspect.tokens import TokenView

# Pastel backgrounds with black text: readable on dark and light terminals alike. A 16-colour
# terminal would fold the pastels into two or three colours, so it gets distinct ANSI ones.
TOKEN_COLOURS = ["#ffd6a5", "#caffbf", "#9bf6ff", "#bdb2ff", "#ffc6ff", "#fdffb6"]
TOKEN_COLOURS_16 = ["bright_yellow", "bright_green", "bright_cyan", "bright_magenta", "yellow",
                    "cyan"]
DISPLAY_LIMIT = 2000  # tokens painted in a terminal before "… N more"
PLAIN_LIMIT = 200  # tokens listed one per line without colour


def console_for(env: Environment) -> Console:
    from llmcli.ui.console import stdout_console

    return stdout_console(env)


def whole_lines(console: Console) -> bool:
    """A pipe gets each line whole, for grep; a terminal gets it wrapped between words (the
    terminal itself would cut a word in two)."""
    return not console.is_terminal


def _visible(text: str) -> str:
    """Whitespace a reader would not see, made visible inside a painted span."""
    return text.replace("\n", "↵\n").replace("\t", "→")


# -- tokens --------------------------------------------------------------------------------------
def render_token_views(env: Environment, views: Sequence[TokenView]) -> None:
    """Each model's tokens one under another, with count and characters per token."""
    console = console_for(env)
    for k, view in enumerate(views):
        if k:
            console.print()
        _summary(console, view, env.color)
        if view.error or not view.ids:
            continue
        limit = DISPLAY_LIMIT if env.color else PLAIN_LIMIT
        if env.color:
            _painted(console, view, limit)
        else:
            _plain_tokens(console, view, limit)
        hidden = (view.count or 0) - min(view.shown, limit)
        if hidden > 0:
            console.print(f"… {hidden:,} more tokens not shown (--ids or --json list them all)",
                          markup=False)


def _summary(console: Console, view: TokenView, color: bool) -> None:
    from rich.text import Text

    line = Text()
    line.append(view.model, "bold cyan" if color else None)
    if view.error:
        line.append(f"  error: {view.error}", "red" if color else None)
        console.print(line, soft_wrap=whole_lines(console))
        return
    kind = "tokens" if view.exact else "tokens (estimate)"
    line.append(f"  {view.count:,} {kind}" if view.count is not None else "  no count")
    line.append(f" · {view.chars:,} chars")
    if view.chars_per_token is not None:
        line.append(f" · {view.chars_per_token:.2f} chars/token")
    line.append(f" · {view.tokenizer}", "dim" if color else None)
    console.print(line, soft_wrap=whole_lines(console))
    if view.note:
        console.print(view.note, style="dim italic" if color else None, markup=False,
                      soft_wrap=whole_lines(console))


def _painted(console: Console, view: TokenView, limit: int) -> None:
    from rich.text import Text

    limit = min(view.shown, limit)
    body = Text()
    chips = Text()
    rich_colours = console.color_system in ("truecolor", "256")
    palette = TOKEN_COLOURS if rich_colours else TOKEN_COLOURS_16
    for k in range(limit):
        style = f"black on {palette[k % len(palette)]}"
        body.append(_visible(view.texts[k]) or "\u200b", style)
        chips.append(view.pieces[k], style)
        chips.append(f"{view.ids[k]}", "dim")
        chips.append(" ")
    console.print(body)
    console.print(chips)


def _plain_tokens(console: Console, view: TokenView, limit: int) -> None:
    limit = min(view.shown, limit)
    console.print("|".join(view.pieces[:limit]), markup=False, soft_wrap=True)
    width = max(len(str(i)) for i in view.ids[:limit])
    for k in range(limit):
        console.print(f"{k:>5}  {view.ids[k]:>{width}}  {view.pieces[k]}", markup=False,
                      soft_wrap=True)


def write_ids(env: Environment, ids: Sequence[int]) -> None:
    env.stdout.write(" ".join(str(i) for i in ids))


# -- embeddings ----------------------------------------------------------------------------------
def render_embeddings(env: Environment, result: Any) -> None:
    """Dimension, norm and first values of each vector; a similarity heatmap for several."""
    from rich.table import Table

    from llmcli.ui.heatmap import Heatmap, render_heatmap, short

    console = console_for(env)
    console.print(f"{result.model} · dimension {result.dimension}", markup=False,
                  style="bold")
    table = Table(show_edge=False, header_style="bold", box=None)
    for col in ("#", "text", "norm", "first values"):
        table.add_column(col, overflow="ellipsis", no_wrap=True)
    for k, (text, vec) in enumerate(zip(result.texts, result.vectors, strict=True)):
        first = " ".join(f"{v:+.3f}" for v in vec[:6])
        table.add_row(str(k), short(text, 30), f"{result.norms[k]:.3f}", first + " …")
    console.print(table)
    if len(result.texts) > 1:
        console.print()
        labels = [f"{k} {t}" for k, t in enumerate(result.texts)]
        render_heatmap(console, Heatmap(
            values=result.similarity, row_labels=labels,
            col_labels=[str(k) for k in range(len(labels))],
            title="cosine similarity", vmin=-1.0, vmax=1.0, diverging=True,
            show_values=True), color=env.color)


def render_similar(env: Environment, result: Any) -> None:
    """Nearest lines to a query, best first, with a bar for the score."""
    from llmcli.ui.bars import bar
    from llmcli.ui.heatmap import fit

    console = console_for(env)
    console.print(
        f"{result.model} · {result.lines} lines · {result.embedded} embedded now, "
        f"{result.cached} from cache", markup=False, style="dim")
    width = max(40, console.width)
    text_w = max(10, width - 30)
    for rank, hit in enumerate(result.hits, 1):
        line = f"{rank:>3}. {hit.score:+.3f} {bar(max(hit.score, 0.0), 10)} "
        line += f"{fit(hit.text, text_w).rstrip()}  (line {hit.line})"
        console.print(line, markup=False, no_wrap=True, overflow="ellipsis")


def render_token_neighbours(env: Environment, result: Any) -> None:
    """For each token: its id, embedding norm, first values and nearest vocabulary tokens."""
    from llmcli.ui.heatmap import Heatmap, render_heatmap

    console = console_for(env)
    console.print(f"{result.model} · token-embedding table {result.vocab_size:,} × "
                  f"{result.dimension}", markup=False, style="bold")
    for entry in result.entries:
        console.print()
        head = f"{entry.word!r} → token {entry.id} {entry.piece}  norm {entry.norm:.3f}  "
        head += "[" + " ".join(f"{v:+.3f}" for v in entry.first) + " …]"
        console.print(head, markup=False, style="cyan" if env.color else None,
                      soft_wrap=whole_lines(console))
        parts = [f"{n.piece} {n.score:.2f}" for n in entry.neighbours]
        console.print("  nearest: " + ", ".join(parts), markup=False,
                      soft_wrap=whole_lines(console))
    if len(result.entries) > 1:
        console.print()
        labels = [f"{e.piece}" for e in result.entries]
        render_heatmap(console, Heatmap(
            values=result.similarity, row_labels=labels, col_labels=labels,
            title="cosine similarity of the embedding rows", vmin=-1.0, vmax=1.0,
            diverging=True, show_values=True), color=env.color)
