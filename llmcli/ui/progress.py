"""Progress of the local model's one-time weight conversion, on stderr."""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llmcli.environment import Environment

_instances: weakref.WeakSet[ConversionProgress] = weakref.WeakSet()
_held = False


def hold(on: bool, *, show: bool = True) -> None:
    """While another program owns the terminal (the chat's prompt, during which the model
    warms up in the background), the bar is not drawn; released (`show`), it shows where the
    conversion is, while the chat waits for it."""
    global _held
    _held = on
    if not on and show:
        for progress in list(_instances):
            progress.flush()


class ConversionProgress:
    """A `fn(stage, fraction)` hook: a bar on a terminal, one line per stage otherwise.

    Called only on the first use of a model file; later starts never see it.
    """

    def __init__(self, env: Environment):
        self.env = env
        self._progress: Any = None
        self._task: Any = None
        self._stage: str | None = None
        self._paused: list[Any] = []
        self._pending: tuple[str, float] | None = None
        _instances.add(self)

    def flush(self) -> None:
        """Draw what arrived while held."""
        pending, self._pending = self._pending, None
        if pending is not None:
            self._bar(*pending)

    def __call__(self, stage: str, fraction: float) -> None:
        if self.env.stderr_isatty and _held:
            self._pending = (stage, fraction)
        elif self.env.stderr_isatty:
            self._bar(stage, fraction)
        elif stage != self._stage:
            self._stage = stage
            if stage != "done":
                self.env.stderr.write(f"llmcli: first use of this model file: {stage}…\n")
                self.env.stderr.flush()

    def _bar(self, stage: str, fraction: float) -> None:
        if self._progress is None:
            if stage == "done":
                return
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            from llmcli.ui.console import stderr_console
            from llmcli.ui.status import pause_spinners

            # The one display on the line while the weights convert: the spinner waits.
            self._paused = pause_spinners()
            self._progress = Progress(
                TextColumn("[bold]local model, first use:[/] {task.description}"),
                BarColumn(),
                TextColumn("{task.fields[share]}"),
                TimeElapsedColumn(),
                console=stderr_console(self.env),
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task(stage, total=None, share="")
        if stage == "done":
            self._progress.stop()
            self._progress = None
            for spinner in self._paused:  # back to waiting for the first token
                spinner.start()
            self._paused = []
            return
        share = max(0.0, min(1.0, fraction))
        if stage != self._stage and share == 0.0:
            # A stage that starts at 0 reports no fraction until it ends (reading the GGUF):
            # a pulsing bar, not one stuck at 0%.
            self._progress.update(self._task, description=stage, total=None, completed=0,
                                  share="")
        else:
            self._progress.update(self._task, description=stage, total=1.0, completed=share,
                                  share=f"{share:>4.0%}")
        self._stage = stage
