"""A spinner on stderr while waiting for the first token; silent when stderr is not a terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llmcli.environment import Environment


class Spinner:
    def __init__(self, env: Environment, label: str):
        self.env = env
        self.label = label
        self._status = None

    def start(self) -> None:
        if not self.env.stderr_isatty:
            return
        from llmcli.ui.console import stderr_console

        self._status = stderr_console(self.env).status(self.label, spinner="dots")
        self._status.start()

    def stop(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None
