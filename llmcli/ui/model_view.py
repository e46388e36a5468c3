"""Rendering of the local model's insides: attention maps, per-layer norms and logit lens,
next-token distributions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from llmcli.ui.inspect_view import console_for, whole_lines

if TYPE_CHECKING:
    from llmcli.environment import Environment


def _labels(pieces: list[str]) -> list[str]:
    return [f"{k} {p}" for k, p in enumerate(pieces)]


def render_attention(env: Environment, view: Any) -> None:
    """One heatmap per selected head (side by side when they fit): queries down, keys across."""
    from llmcli.ui.heatmap import Heatmap, render_heatmaps

    console = console_for(env)
    window = f", window {view.window}" if view.layer_type == "local" and view.window else ""
    console.print(f"{view.model} · layer {view.layer} ({view.layer_type}{window}) · "
                  f"{len(view.ids)} tokens · row = token attending, column = token attended to",
                  markup=False, soft_wrap=whole_lines(console), style="bold")
    if view.note:
        console.print(view.note, markup=False, soft_wrap=whole_lines(console), style="dim")
    labels = _labels(view.pieces)
    cols = [str(k) for k in range(len(labels))]
    maps = [Heatmap(values=w, row_labels=labels, col_labels=cols, title=f"head {h}",
                    mask_label="masked (a token cannot look ahead" + (
                        " or past the window)" if window else ")"))
            for h, w in zip(view.heads, view.weights, strict=True)]
    render_heatmaps(console, maps, color=env.color)
    if len(view.heads) == 1:
        _strongest(console, view.pieces, view.weights[0], skip_first=_is_special(view.pieces[0]))


def _is_special(piece: str) -> bool:
    return piece.startswith("<") and piece.endswith(">") and not piece.startswith("<0x")


def _strongest(console: Any, pieces: list[str], weights: list[list[float | None]], *,
               skip_first: bool) -> None:
    """For each token, the token it attends to most; the first token (<bos>) soaks up much of
    every row, so it is passed over when something else is there."""
    parts = []
    for q, row in enumerate(weights):
        cells = [(w, k) for k, w in enumerate(row)
                 if w is not None and (k > 0 or q == 0 or not skip_first)]
        best = max(cells)
        parts.append(f"{pieces[q]}→{pieces[best[1]]} {best[0]:.2f}")
    head = f"strongest (besides {pieces[0]})" if skip_first else "strongest"
    console.print(f"{head}: " + " · ".join(parts), markup=False, soft_wrap=whole_lines(console))


def render_attention_from(env: Environment, view: Any) -> None:
    """Rows are the tokens looked at, columns the layers: where one token attends, layer by
    layer."""
    from llmcli.ui.heatmap import Heatmap, render_heatmap

    console = console_for(env)
    q = view.position
    heads = f"head {view.head}" if view.head is not None else "mean of heads"
    console.print(f"{view.model} · where token {q} {view.pieces[q]} attends · {heads}",
                  markup=False, soft_wrap=whole_lines(console), style="bold")
    if view.note:
        console.print(view.note, markup=False, soft_wrap=whole_lines(console), style="dim")
    layers = len(view.weights)
    values = [[view.weights[layer][k] for layer in range(layers)] for k in range(q + 1)]
    cols = [str(i) for i in range(layers)]
    glob = ", ".join(str(i) for i, t in enumerate(view.layer_types) if t == "global")
    title = f"columns: layers 0–{layers - 1}" + (f" (global: {glob})" if glob else "")
    render_heatmap(console, Heatmap(values=values, row_labels=_labels(view.pieces[: q + 1]),
                                    col_labels=cols, title=title,
                                    mask_label="outside the sliding window"), color=env.color)


def render_layers(env: Environment, view: Any) -> None:
    """A table: per layer the residual norm, what attention and the feed-forward added, and
    the logit lens's top guesses."""
    from llmcli.ui.bars import bar, percent
    from llmcli.ui.heatmap import fit

    console = console_for(env)
    pos = view.position
    console.print(f"{view.model} · position {pos} {view.pieces[pos]} · embedding norm "
                  f"{view.embedding_norm:.1f}", markup=False, soft_wrap=whole_lines(console),
                  style="bold")
    top = view.final[0] if view.final else None
    width = max(50, console.width)
    lens_w = max(12, width - 46)
    biggest = max(r.residual_norm for r in view.rows) or 1.0
    dim = "dim"
    console.print(f"{'layer':<9}{'residual':>9} {'':10}{'+attn':>8}{'+ffn':>8}  "
                  f"{'p(' + (top.piece if top else '?') + ')':>8}  logit lens", markup=False,
                  style=dim, no_wrap=True, overflow="ellipsis")
    for r in view.rows:
        lens = ", ".join(f"{g.piece} {percent(g.prob)}" for g in r.lens[:3])
        line = (f"{r.layer:>2} {r.layer_type:<6}{r.residual_norm:>9.1f} "
                f"{bar(r.residual_norm / biggest, 10)}"
                f"{r.attn_norm:>8.1f}{r.ffn_norm:>8.1f}  {percent(r.final_prob):>8}  "
                f"{fit(lens, lens_w).rstrip()}")
        console.print(line, markup=False, no_wrap=True, overflow="ellipsis")
    if view.final:
        guesses = ", ".join(f"{g.piece} {percent(g.prob)}" for g in view.final)
        console.print(f"model output: {guesses}", markup=False, soft_wrap=whole_lines(console))


def render_next(env: Environment, result: Any) -> None:
    """Per step: the top tokens with their probability after each sampling stage as columns,
    a bar for the final distribution, and the token sampling picked."""
    from rich.text import Text

    from llmcli.ui.bars import bar, percent
    from llmcli.ui.heatmap import fit

    console = console_for(env)
    dim = "dim"
    settings = ", ".join(f"{k}={v}" for k, v in result.options.items()) or (
        "no options: temperature 1, no filters")
    if "seed" not in result.options and result.steps and result.steps[0].chosen_id is not None:
        settings += " · no seed: the pick may change from run to run"
    console.print(f"{result.model} · {settings}", markup=False,
                  style="bold")
    width = max(30, console.width)
    for step in result.steps:
        console.print()
        if len(result.steps) > 1 or step.note:
            console.print(f"step {step.index + 1}" + (f" · {step.note}" if step.note else ""),
                          markup=False, style=dim, soft_wrap=whole_lines(console))
        stages = _fitting_stages(step.stages, width)
        head = f"  {'token':<15}" + "".join(f"{_short(s):>8}" for s in stages)
        bar_w = max(0, min(24, width - len(head) - 2))
        console.print(head, markup=False, style=dim, no_wrap=True, overflow="ellipsis")
        for row in step.top:
            last = row.probs.get(stages[-1]) if stages else None
            picked = _is_pick(row, step)
            line = Text(("→ " if picked else "  ") + f"{fit(row.piece, 15)}" + "".join(
                f"{percent(row.probs.get(s)):>8}" for s in stages),
                style="bold" if picked else "")
            if bar_w >= 4:
                line.append("  " + bar(last or 0.0, bar_w).rstrip(),
                            ("green" if picked else "cyan") if env.color else "")
            console.print(line, no_wrap=True, overflow="ellipsis")
        masked = getattr(step, "masked", None)  # a grammar stage (--schema) ran
        if masked is not None:
            removed = ", ".join(repr(p) for p in step.masked_top[:6]) or "none"
            console.print(f"  grammar: removed {masked:,} tokens; of the model's top "
                          f"{len(step.top)}: {removed}", markup=False, style=dim,
                          soft_wrap=whole_lines(console))
        if step.chosen_piece and not any(_is_pick(r, step) for r in step.top):
            console.print(f"→ {step.chosen_piece} (outside the top {len(step.top)})",
                          markup=False)
    if result.steps:
        console.print(f"→ marks the token sampling picks; columns: "
                      f"{_legend(_fitting_stages(result.steps[0].stages, width))}",
                      markup=False, style=dim)
    if result.text is not None and len(result.steps) > 1:
        console.print()
        from rich.text import Text

        # one Text: two prints would each wrap as if they began at column 0
        console.print(Text.assemble(f"text: {result.prompt}", (result.text, "bold green")),
                      soft_wrap=whole_lines(console))


def _short(stage: str) -> str:
    return {"softmax": "p", "grammar": "gram", "temperature": "temp", "penalty": "rep",
            "top_k": "top-k", "top_p": "top-p", "min_p": "min-p",
            "logprob": "p"}.get(stage, stage[:7])


def _is_pick(row: Any, step: Any) -> bool:
    if row.id is None:  # a remote provider: tokens are known by their text only
        return bool(step.chosen_piece) and row.piece == step.chosen_piece
    return row.id == step.chosen_id


def _fitting_stages(stages: list[str], width: int) -> list[str]:
    """All stages when they fit; on a narrow terminal the first and the last (what sampling
    draws from), the middle ones dropped (--json keeps them all)."""
    if 17 + 8 * len(stages) <= width or len(stages) <= 2:
        return stages
    return [stages[0], stages[-1]]


def _legend(stages: list[str]) -> str:
    names = {"softmax": "p = the model's softmax",
             "grammar": "gram = after the grammar mask (--schema)",
             "penalty": "rep = after repetition penalty",
             "temperature": "temp = after temperature", "top_k": "top-k", "top_p": "top-p",
             "min_p": "min-p", "logprob": "p = the provider's probability"}
    return ", ".join(names.get(s, s) for s in stages)
