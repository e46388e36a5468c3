"""Drawing the tour's steps: Rich renderables for a terminal, plain text for a pipe, and the
glossary. The full-screen navigator (learn_screen.py) shows the same renderables."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from llmcli.learn.texts import cell, label, step_text, texts

if TYPE_CHECKING:
    from rich.console import RenderableType

    from llmcli.environment import Environment
    from llmcli.learn.step import Step


def step_renderable(step: Step, lang: str, header: str = "") -> RenderableType:
    """The step's title, explanation and tables, as one Rich renderable."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    title, body = step_text(lang, step.name, step.say)
    parts: list[Any] = []
    if header:
        parts.append(Text(header, style="dim"))
    parts += [Text(title, style="bold cyan"), Text(body), Text("")]
    for t in step.tables:
        table = Table(title=label(lang, t.title), title_justify="left", header_style="bold",
                      expand=False, pad_edge=False, show_edge=False)
        for col in t.columns:
            table.add_column(label(lang, col), overflow="fold")
        for i, row in enumerate(t.rows):
            table.add_row(*(cell(lang, c) for c in row),
                          style="bold yellow" if i == t.highlight else None)
        parts += [table, Text("")]
    return Group(*parts)


def step_plain(step: Step, lang: str, width: int = 100) -> str:
    """The step as plain text (no colour, no box characters beyond Rich's simple rules)."""
    import io

    from rich.console import Console

    buf = io.StringIO()
    console = Console(file=buf, width=width, no_color=True, color_system=None,
                      force_terminal=False, highlight=False, emoji=False)
    console.print(step_renderable(step, lang))
    return "\n".join(line.rstrip() for line in buf.getvalue().splitlines()) + "\n"


def step_ansi(step: Step, lang: str, width: int, header: str = "") -> str:
    """The step drawn with colours at `width` columns (for the full-screen navigator)."""
    import io

    from rich.console import Console

    buf = io.StringIO()
    console = Console(file=buf, width=width, force_terminal=True, color_system="standard",
                      highlight=False, emoji=False)
    console.print(step_renderable(step, lang, header))
    return buf.getvalue()


def render_steps(env: Environment, steps: list[Step], lang: str, header: str) -> None:
    """Every step, one after the other (a pipe, or --step in a terminal)."""
    from llmcli.ui.console import stdout_console

    if env.stdout_isatty:
        console = stdout_console(env)
        for step in steps:
            console.print(step_renderable(step, lang, header))
        return
    width = env.width or 100
    env.stdout.write(header + "\n\n")
    for step in steps:
        env.stdout.write(step_plain(step, lang, width) + "\n")
    env.stdout.flush()


def glossary_rows(lang: str) -> list[list[str]]:
    from llmcli.learn.glossary import TERMS

    if lang == "pt":
        return [[t.pt, t.en, t.def_pt] for t in TERMS]
    return [[t.en, t.pt, t.def_en] for t in TERMS]


def render_glossary(env: Environment, lang: str) -> None:
    """The glossary: in a terminal a table, in a pipe tab-separated lines."""
    from llmcli.ui.tables import print_table

    heads = {"pt": ["português", "English", "definição"],
             "en": ["English", "português", "definition"]}[lang]
    if env.stdout_isatty:
        print_table(env, heads, glossary_rows(lang), title=texts(lang).UI["glossary"])
    else:
        print_table(env, heads, glossary_rows(lang))
