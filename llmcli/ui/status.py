"""A spinner on stderr while waiting for the first token; silent when stderr is not a terminal.

Only one display may own the bottom of the terminal at a time: the local model's first-use
progress bar pauses the running spinner (`pause_spinners`) and starts it again when done, so
the two never take turns on the same line."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llmcli.environment import Environment

_running: list[Spinner] = []


class Spinner:
    def __init__(self, env: Environment, label: str):
        self.env = env
        self.label = label
        self._status = None

    @property
    def running(self) -> bool:
        return self._status is not None

    def start(self) -> None:
        if not self.env.stderr_isatty or self._status is not None:
            return
        from llmcli.ui.console import stderr_console

        self._status = stderr_console(self.env).status(self.label, spinner="dots")
        self._status.start()
        _running.append(self)

    def stop(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None
        if self in _running:
            _running.remove(self)


def pause_spinners() -> list[Spinner]:
    """Stop every running spinner (another display takes the line); returns them, to resume."""
    paused = list(_running)
    for spinner in paused:
        spinner.stop()
    return paused
