"""The token explorer full screen (prompt_toolkit): keys act at once, the screen is redrawn
from llmcli.ui.explore_view at the terminal's size (80x20 and up; resizes redraw).

Keys: Enter or n takes the sampled token, 1-9 pick a candidate, p asks for any candidate's
number, t for text to add, b for a branch name, o for a branch to open; u or Backspace
undoes; c shows the branches side by side (any key goes back); q quits, Ctrl-C too (exit 130).
Each action is a command line handed to `run` (llmcli.learn.explore_commands.run_command), so
the keys and the scripted mode do exactly the same things.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from llmcli.ui.explore_view import Words, screen, tr

ASK = {"p": "ask_pick", "t": "ask_type", "b": "ask_branch", "o": "ask_open"}


def run_screen(ex: Any, words: Words, run: Callable[[str], Any], *, model: str,
               options: dict[str, Any]) -> None:
    """Run until q; raises KeyboardInterrupt on Ctrl-C."""
    from prompt_toolkit.application import Application
    from prompt_toolkit.buffer import Buffer
    from prompt_toolkit.filters import Condition
    from prompt_toolkit.key_binding import KeyBindings
    from prompt_toolkit.layout import ConditionalContainer, HSplit, Layout, VSplit, Window
    from prompt_toolkit.layout.controls import BufferControl, FormattedTextControl

    state: dict[str, Any] = {"message": "", "compare": False, "asking": None}
    buffer = Buffer(multiline=False)
    asking = Condition(lambda: state["asking"] is not None)
    comparing = Condition(lambda: bool(state["compare"]))
    free = ~asking & ~comparing

    def body() -> list[tuple[str, str]]:
        size = app.output.get_size()
        lines = screen(ex, words, size.columns, size.rows, model=model, options=options,
                       message=state["message"], compare=state["compare"],
                       input_rows=1 if state["asking"] else 0)
        out: list[tuple[str, str]] = []
        for i, line in enumerate(lines):
            out += line
            if i < len(lines) - 1:
                out.append(("", "\n"))
        return out

    def do(line: str) -> None:
        outcome = run(line)
        state["message"] = " ".join(outcome.lines)
        state["compare"] = outcome.compare
        if outcome.quit:
            app.exit()

    kb = KeyBindings()

    @kb.add("enter", filter=free)
    @kb.add("n", filter=free)
    def _next(event: Any) -> None:
        do("n")

    for digit in "123456789":
        kb.add(digit, filter=free)(lambda event, d=digit: do(f"p {d}"))

    @kb.add("u", filter=free)
    @kb.add("backspace", filter=free)
    def _undo(event: Any) -> None:
        do("u")

    @kb.add("c", filter=free)
    def _compare(event: Any) -> None:
        do("c")

    @kb.add("q", filter=free)
    def _quit(event: Any) -> None:
        do("q")

    for verb in ASK:
        kb.add(verb, filter=free)(lambda event, v=verb: _ask(event, v))

    def _ask(event: Any, verb: str) -> None:
        state["asking"] = verb
        buffer.reset()
        event.app.layout.focus(buffer)

    @kb.add("enter", filter=asking)
    def _answer(event: Any) -> None:
        verb, text = state["asking"], buffer.text
        state["asking"] = None
        buffer.reset()
        event.app.layout.focus(main)
        do(f"{verb} {text}")

    @kb.add("escape", filter=asking)
    def _cancel(event: Any) -> None:
        state["asking"] = None
        buffer.reset()
        event.app.layout.focus(main)

    @kb.add("<any>", filter=comparing)
    @kb.add("enter", filter=comparing)
    def _back(event: Any) -> None:
        state["compare"] = False

    @kb.add("c-c")
    def _interrupt(event: Any) -> None:
        event.app.exit(exception=KeyboardInterrupt())

    label = Window(FormattedTextControl(lambda: [("bold", tr(words, ASK[state["asking"]]))]
                                        if state["asking"] else []), dont_extend_width=True)
    ask_row = ConditionalContainer(VSplit([label, Window(BufferControl(buffer), height=1)]),
                                   filter=asking)
    main = Window(FormattedTextControl(body, focusable=True), wrap_lines=False)
    layout = Layout(HSplit([main, ask_row]), focused_element=main)
    app: Application[None] = Application(layout=layout, key_bindings=kb, full_screen=True)
    app.ttimeoutlen = 0.05  # Escape cancels at once
    app.run()
