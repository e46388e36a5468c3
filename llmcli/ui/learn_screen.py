"""Walking through the tour in a terminal: a full-screen navigator (prompt_toolkit) with
next/back/scroll keys that redraws at any size, or one step per Enter on a plain terminal."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from llmcli.learn.texts import texts
from llmcli.ui.learn_view import step_ansi, step_renderable

if TYPE_CHECKING:
    from llmcli.environment import Environment
    from llmcli.learn.step import Step


@dataclass
class Pager:
    """Which step is shown and how far it is scrolled; the screen's whole state."""

    count: int
    index: int = 0
    offset: int = 0
    glossary: bool = False
    _lines: dict[tuple[int, int, bool], list[str]] = field(default_factory=dict)

    def next(self) -> None:
        if self.index < self.count - 1:
            self.index, self.offset = self.index + 1, 0

    def back(self) -> None:
        if self.index > 0:
            self.index, self.offset = self.index - 1, 0

    def scroll(self, delta: int, total: int, height: int) -> None:
        self.offset = max(0, min(self.offset + delta, max(0, total - height)))


def run_fullscreen(steps: list[Step], lang: str, header: str, start: int = 0) -> None:
    """The full-screen tour on the real terminal; returns when the user quits."""
    from prompt_toolkit import Application
    from prompt_toolkit.formatted_text import ANSI
    from prompt_toolkit.key_binding import KeyBindings
    from prompt_toolkit.layout import HSplit, Layout, Window
    from prompt_toolkit.layout.controls import FormattedTextControl

    ui = texts(lang).UI
    pager = Pager(len(steps), index=start)
    app: Application

    def size() -> tuple[int, int]:
        s = app.output.get_size()
        return max(20, s.columns), max(3, s.rows - 1)  # one row for the status bar

    def lines() -> list[str]:
        width, _ = size()
        key = (pager.index, width, pager.glossary)
        if key not in pager._lines:
            if pager.glossary:
                text = glossary_ansi(lang, width)
            else:
                text = step_ansi(steps[pager.index], lang, width, header)
            pager._lines[key] = text.rstrip("\n").split("\n")
        return pager._lines[key]

    def body():
        _, height = size()
        return ANSI("\n".join(lines()[pager.offset:pager.offset + height]))

    def status():
        width, height = size()
        total = len(lines())
        more = " ↓" if pager.offset + height < total else ""
        where = ui["step_of"].format(i=pager.index + 1, n=len(steps))
        text = f" {where}{more} · {ui['keys']}"
        return [("reverse", text[:width].ljust(width))]

    kb = KeyBindings()

    @kb.add("right")
    @kb.add("n")
    @kb.add("space")
    @kb.add("enter")
    def _next(event) -> None:
        pager.glossary = False
        pager.next()

    @kb.add("left")
    @kb.add("p")
    @kb.add("b")
    @kb.add("backspace")
    def _back(event) -> None:
        pager.glossary = False
        pager.back()

    @kb.add("down")
    @kb.add("j")
    def _down(event) -> None:
        pager.scroll(1, len(lines()), size()[1])

    @kb.add("up")
    @kb.add("k")
    def _up(event) -> None:
        pager.scroll(-1, len(lines()), size()[1])

    @kb.add("pagedown")
    def _page_down(event) -> None:
        pager.scroll(size()[1] - 1, len(lines()), size()[1])

    @kb.add("pageup")
    def _page_up(event) -> None:
        pager.scroll(-(size()[1] - 1), len(lines()), size()[1])

    @kb.add("g")
    def _glossary(event) -> None:
        pager.glossary, pager.offset = not pager.glossary, 0

    @kb.add("q")
    @kb.add("escape")
    @kb.add("c-c")
    def _quit(event) -> None:
        event.app.exit()

    layout = Layout(HSplit([
        Window(FormattedTextControl(body), wrap_lines=False),
        Window(FormattedTextControl(status), height=1),
    ]))
    app = Application(layout=layout, key_bindings=kb, full_screen=True, mouse_support=False)
    app.run()


def glossary_ansi(lang: str, width: int) -> str:
    import io

    from rich.console import Console
    from rich.table import Table

    from llmcli.ui.learn_view import glossary_rows

    table = Table(title=texts(lang).UI["glossary"], title_justify="left", header_style="bold")
    for col in ({"pt": ["português", "English", "definição"],
                 "en": ["English", "português", "definition"]}[lang]):
        table.add_column(col, overflow="fold")
    for row in glossary_rows(lang):
        table.add_row(*row)
    buf = io.StringIO()
    Console(file=buf, width=width, force_terminal=True, color_system="standard",
            highlight=False).print(table)
    return buf.getvalue()


def run_enter_mode(env: Environment, steps: list[Step], lang: str, header: str,
                   start: int = 0) -> None:
    """One step at a time on a plain terminal: Enter for the next, 'b' back, 'q' to stop."""
    from llmcli.ui.console import stdout_console

    ui = texts(lang).UI
    console = stdout_console(env)
    index = start
    while True:
        console.print(step_renderable(steps[index], lang, header))
        if index == len(steps) - 1:
            console.print(ui["end"])
            return
        env.stderr.write(f"[{ui['step_of'].format(i=index + 1, n=len(steps))}] "
                         f"{ui['enter']} ")
        env.stderr.flush()
        answer = env.stdin.readline()
        if isinstance(answer, bytes):
            answer = answer.decode("utf-8", "replace")
        if not answer:  # end of input: stop where we are
            env.stderr.write("\n")
            return
        choice = answer.strip().lower()
        if choice == "q":
            return
        index = max(0, index - 1) if choice == "b" else index + 1
