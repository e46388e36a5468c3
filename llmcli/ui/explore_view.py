"""Drawing the token explorer (full screen and plain text) and the beam-search view of `next`.

The explorer's screen is built as lines of (style, text) fragments for an exact width and
height: prompt_toolkit draws them full screen, and the plain (pipe) mode prints their text.
Styles are prompt_toolkit style strings; plain output ignores them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from llmcli.ui.bars import bar, percent

if TYPE_CHECKING:
    from llmcli.environment import Environment

# The explorer (llmcli.learn.explore_session.Explorer) and its words (one language of
# llmcli.learn.explore_text.TEXT) are passed in: rendering imports no capability.
Explorer = Any
BranchSummary = Any
Words = Mapping[str, str]
Line = list[tuple[str, str]]
HOW_STYLE = {"sampled": "fg:ansigreen", "picked": "fg:ansiyellow bold", "typed": "fg:ansimagenta"}
DIM = "fg:ansibrightblack"


def tr(words: Words, key: str, **values: object) -> str:
    text = words[key]
    return text.format(**values) if values else text


def cells(text: str) -> int:
    from rich.cells import cell_len

    return cell_len(text)


def clip(text: str, width: int) -> str:
    """`text` cut to `width` terminal cells (an ellipsis marks the cut)."""
    if cells(text) <= width:
        return text
    out = ""
    for ch in text:
        if cells(out + ch) > width - 1:
            break
        out += ch
    return out + "…"


def wrap_fragments(fragments: Line, width: int) -> list[Line]:
    """Fragments wrapped to `width` cells (hard wrap, newlines honoured)."""
    lines: list[Line] = [[]]
    used = 0
    for style, text in fragments:
        for ch in text:
            if ch == "\n":
                lines.append([])
                used = 0
                continue
            w = cells(ch)
            if used + w > width:
                lines.append([])
                used = 0
            line = lines[-1]
            if line and line[-1][0] == style:
                line[-1] = (style, line[-1][1] + ch)
            else:
                line.append((style, ch))
            used += w
    return lines


def text_of(line: Line) -> str:
    return "".join(t for _, t in line)


# -- the explorer ------------------------------------------------------------------------------
def path_fragments(ex: Explorer) -> Line:
    """The prompt (dim) then each chosen token, coloured by how it was chosen."""
    out: Line = [(DIM, ex.prompt)]
    texts = ex.tokenizer.token_texts([c.id for c in ex.path])
    for choice, text in zip(ex.path, texts, strict=True):
        out.append((HOW_STYLE[choice.how], text.replace("\n", "↵\n")))
    return out


def candidate_lines(ex: Explorer, words: Words, width: int, rows: int) -> list[Line]:
    """The header (entropy) and up to `rows - 1` candidates, the sampled one marked."""
    step = ex.step
    if step is None:
        return [[("fg:ansired", clip(tr(words, "ended"), width))]]
    head = tr(words, "candidates", bits=step.entropy)
    if step.sample_entropy is not None:
        head += " · " + tr(words, "sampling_entropy", bits=step.sample_entropy)
    lines: list[Line] = [[("bold", clip(head, width))]]
    sample = step.sample_entropy is not None
    mark = tr(words, "sampled_mark")
    piece_w = max(6, min(18, width - 40))
    if sample:  # two probability columns: say which is which
        labels = f"{'':>2}  {'':<{piece_w}} {tr(words, 'col_p'):>7} {tr(words, 'col_sample'):>9}"
        lines.append([(DIM, clip(labels, width))])
    shown = step.candidates[: max(1, rows - len(lines))]
    bar_w = max(0, min(20, width - (4 + piece_w + 8 + (10 if sample else 0) + 2 + cells(mark) + 2)))
    for number, c in enumerate(shown, start=1):
        is_sampled = c.id == step.sampled.id
        cols = f"{number:>2}  {_fit(c.piece, piece_w)} {percent(c.prob):>7}"
        if sample:
            cols += f" {percent(c.sample_prob):>9}"
        line: Line = [("bold" if is_sampled else "", cols)]
        if bar_w >= 4:
            line.append(("fg:ansicyan", "  " + bar(c.prob, bar_w)))
        if is_sampled:
            line.append(("fg:ansigreen bold", "  " + mark))
        lines.append(line)
    if not any(c.id == step.sampled.id for c in shown):  # drawn from outside the top rows
        s = step.sampled
        extra = f" →  {_fit(s.piece, piece_w)} {percent(s.prob):>7} " + tr(
            words, "outside", rank=s.rank, vocab=ex.vocab_size)
        if len(lines) >= rows and len(lines) > 2:
            lines.pop()
        lines.append([("fg:ansigreen bold", clip(extra + "  " + mark, width))])
    return lines


def _fit(piece: str, width: int) -> str:
    text = clip(piece, width)
    return text + " " * (width - cells(text))


def settings_line(ex: Explorer, words: Words, model: str, options: dict[str, Any]) -> str:
    chosen = ", ".join(f"{k}={v}" for k, v in options.items() if k != "seed")
    seed = options.get("seed")
    return (f"{model} · {chosen or tr(words, 'no_options')} · "
            + (f"{tr(words, 'seed')} {seed}" if seed is not None else tr(words, "no_seed")))


def screen(ex: Explorer, words: Words, width: int, height: int, *, model: str,
           options: dict[str, Any], message: str = "", compare: bool = False,
           input_rows: int = 0) -> list[Line]:
    """Exactly `height` lines of at most `width` cells: title, text, candidates (or the
    branches side by side), the last message, the keys. `input_rows` are left for an input
    line drawn below."""
    width = max(20, width)
    keys = tr(words, "keys_back" if compare else "keys")
    key_lines = wrap_fragments([(DIM, keys)], width)
    bottom = [*key_lines, [("fg:ansiyellow", clip(message, width))]]
    title: Line = [("bold reverse", clip(f" {tr(words, 'title')} · "
                                         + settings_line(ex, words, model, options), width - 1)
                    + " ")]
    room = max(3, height - 1 - len(bottom) - input_rows)
    if compare:
        body = [[("bold", tr(words, "compare_title"))], *compare_lines(ex.compare(), words, width)]
        middle = body[:room]
    else:
        text = wrap_fragments(path_fragments(ex), width)
        cand_rows = min(len(ex.step.candidates) + 1 if ex.step else 1, max(2, room - 2))
        text_rows = max(1, room - cand_rows - 1)
        middle = text[-text_rows:] + [[]] * (text_rows - len(text[-text_rows:])) + [[]]
        middle += candidate_lines(ex, words, width, cand_rows)
    middle += [[]] * (room - len(middle))
    return [title, *middle[:room], *bottom][: max(1, height - input_rows)]


def compare_lines(summaries: list[BranchSummary], words: Words, width: int) -> list[Line]:
    """Branches in columns (as many as fit at 24+ cells each; more wrap to further rows)."""
    per_row = max(1, min(len(summaries), (width + 3) // 27))
    col_w = (width - 3 * (per_row - 1)) // per_row
    out: list[Line] = []
    for lo in range(0, len(summaries), per_row):
        group = summaries[lo : lo + per_row]
        columns = [_column(s, words, col_w) for s in group]
        height = max(len(c) for c in columns)
        for r in range(height):
            line: Line = []
            for k, col in enumerate(columns):
                cell = col[r] if r < len(col) else []
                pad = col_w - cells(text_of(cell))
                line += [*cell, ("", " " * pad)]
                if k < len(columns) - 1:
                    line.append((DIM, " │ "))
            out.append(line)
        out.append([])
    return out


def _column(s: BranchSummary, words: Words, width: int) -> list[Line]:
    name = s.name or tr(words, "current")
    if s.name and s.current:
        name += " " + tr(words, "current")
    rows: list[Line] = [[("bold", clip(name, width))]]
    stats = [f"{tr(words, 'tokens')} {s.tokens} · {tr(words, 'logprob')} {s.logprob:.2f}",
             f"{tr(words, 'perplexity')} {s.perplexity:.2f}",
             f"{tr(words, 'mean_entropy')} {s.mean_entropy:.2f} {tr(words, 'bits')}"]
    if s.diverges_at is not None:
        stats.append(tr(words, "diverges", k=s.diverges_at + 1))
    rows += [[(DIM, clip(x, width))] for x in stats]
    rows += wrap_fragments([("", s.text.replace("\n", "↵\n"))], width)
    return rows


def choice_message(words: Words, choice: Any) -> str:
    return tr(words, "added", piece=choice.piece, how=tr(words, f"how_{choice.how}"),
              p=percent(choice.prob), rank=choice.rank)


def plain(lines: list[Line]) -> str:
    """Lines as plain text (styles dropped, trailing spaces trimmed)."""
    return "\n".join(text_of(line).rstrip() for line in lines)


def plain_step(ex: Explorer, words: Words, width: int) -> str:
    """The text so far and the candidates, for the scripted (pipe) mode."""
    text = wrap_fragments(path_fragments(ex), width)
    rows = len(ex.step.candidates) + 1 if ex.step else 1
    return plain(text) + "\n" + plain(candidate_lines(ex, words, width, rows))


def final_state(ex: Explorer, words: Words, width: int, *, model: str,
                options: dict[str, Any]) -> str:
    """What stays in the terminal after quitting the full screen (which leaves nothing of
    itself): the settings, the text as it ended and the last step's candidates, at any size."""
    head = clip(f"{tr(words, 'title')} · {settings_line(ex, words, model, options)}", width)
    return head + "\n" + plain_step(ex, words, width)


# -- beam search in `next --beam` --------------------------------------------------------------
def render_beam(env: Environment, view: Any) -> None:
    """Per step the beams kept and the extensions pruned (cumulative log p), then the best
    beam beside greedy and sampled decoding, scored alike."""
    from llmcli.ui.inspect_view import console_for

    console = console_for(env)
    dim = "dim"
    width = max(40, console.width)
    console.print(f"{view.model} · beam search: {view.width} beams, up to {view.max_tokens} "
                  f"tokens · score = log p / tokens^{view.length_penalty:g}",
                  markup=False, style="bold", soft_wrap=False)
    console.print(f"prompt: {view.prompt}", markup=False, soft_wrap=False, style=dim)
    text_w = width - 20
    for step in view.steps:
        console.print(f"step {step.index + 1}", markup=False, style=dim)
        for p in step.kept + step.pruned:
            kept = p.label == "kept"
            end = " ■" if p.finished else ""
            line = f"  {p.label:<7}{p.logprob:>9.2f}  {_tail(p.text, text_w - len(end))}{end}"
            console.print(line, markup=False, no_wrap=True, overflow="ellipsis",
                          style=("bold") if kept else dim)
    console.print()
    console.print(f"  {'':<8}{'log p':>8}{'score':>8}{'tokens':>7}  text", markup=False,
                  style=dim, no_wrap=True)
    for p in [view.best, *view.others]:
        end = " ■" if p.finished else ""
        console.print(f"  {p.label:<8}{p.logprob:>8.2f}{p.score:>8.3f}{len(p.ids):>7}  "
                      f"{p.text}{end}", markup=False, soft_wrap=False,
                      style=("bold green") if p.label == "beam" else None)
    sampled = ", ".join(f"{k}={v}" for k, v in view.options.items()) or "temperature 1"
    console.print(f"■ ended with the end-of-text token · sampled with {sampled}"
                  + ("" if "seed" in view.options else " (no seed: it changes from run to run)"),
                  markup=False, style=dim, soft_wrap=False)


def _tail(text: str, width: int) -> str:
    """The end of `text` within `width` cells (the newest tokens are at the end)."""
    if cells(text) <= width:
        return text
    out = ""
    for ch in reversed(text):
        if cells(ch + out) > width - 1:
            break
        out = ch + out
    return "…" + out
