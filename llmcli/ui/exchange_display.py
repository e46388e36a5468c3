"""What a person sees around a reply on a terminal: a spinner until the first token, retry
warnings on their own line, and typed keys kept off the streaming reply."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llmcli.environment import Environment


class TerminalDisplay:
    """The `exchange.interactive.Display` of the command layer and the chat REPL."""

    def __init__(self, env: Environment, label: str, *, spinner: bool = True):
        from llmcli.ui.status import Spinner

        self.env = env
        self._spinner = Spinner(env, f"{label} …") if spinner else None

    def waiting(self) -> None:
        if self._spinner is not None:
            self._spinner.start()

    def done_waiting(self) -> None:
        if self._spinner is not None:
            self._spinner.stop()

    def warn(self, text: str) -> None:
        from llmcli.ui.console import warn_line

        warn_line(self.env, text)

    def quiet_input(self) -> AbstractContextManager[object]:
        # No '^C' echo on a terminal: it would land in the middle of the live Markdown region.
        if not self.env.stdin_isatty:
            return nullcontext()
        from llmcli.ui.terminal import echo

        return echo(False, self.env.stdin)
