"""The process's surroundings, passed down from the face so tests can run real commands
with captured streams: standard streams, terminal detection, colour, and state directories."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, BinaryIO, TextIO

if TYPE_CHECKING:
    from llmcli.config import Paths


@dataclass
class Environment:
    stdin: BinaryIO
    stdout: TextIO
    stderr: TextIO
    stdin_isatty: bool
    stdout_isatty: bool
    stderr_isatty: bool
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    debug: bool = False
    width: int | None = None

    @property
    def color(self) -> bool:
        """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
        return self.stdout_isatty and not self.environ.get("NO_COLOR")

    @property
    def paths(self) -> Paths:
        from llmcli.config import Paths

        return Paths.from_env(dict(self.environ))

    @classmethod
    def from_process(cls) -> Environment:
        stdin = sys.stdin.buffer if sys.stdin is not None else io.BytesIO()
        _utf8(sys.stdout)
        _utf8(sys.stderr)
        return cls(
            stdin=stdin,
            stdout=sys.stdout,
            stderr=sys.stderr,
            stdin_isatty=_isatty(sys.stdin),
            stdout_isatty=_isatty(sys.stdout),
            stderr_isatty=_isatty(sys.stderr),
        )


def _isatty(stream: object) -> bool:
    try:
        return bool(stream is not None and stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError):
        return False


def _utf8(stream: TextIO) -> None:
    # Portuguese and emoji must survive a pipe even under a C/POSIX locale.
    try:
        if (stream.encoding or "").lower().replace("-", "") != "utf8":
            stream.reconfigure(encoding="utf-8", errors="replace")  # type: ignore[attr-defined]
    except (AttributeError, ValueError):
        pass


# The signal that ended this process (SIGTERM, SIGHUP), once one has arrived.
_terminated_by: int | None = None


def install_termination_handlers() -> None:
    """SIGTERM and SIGHUP end a command the way Ctrl-C does (partial replies logged as
    interrupted), then exit 128 + the signal's number. Main thread of a real process only."""
    import signal

    from llmcli.core.errors import Terminated

    def handler(signum: int, frame: object) -> None:
        global _terminated_by
        first = _terminated_by is None
        _terminated_by = signum
        if first:  # a second signal while stopping must not cut the log write short
            raise Terminated(signum)

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), handler)


def terminated_by() -> int | None:
    """The signal that is ending the process, or None."""
    return _terminated_by
