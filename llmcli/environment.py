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
