"""The terminal's echo, turned off while a reply streams (and back on for an editor)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO


@contextmanager
def echo(on: bool, stream: TextIO | None = None) -> Iterator[None]:
    """Turn the terminal's echo (and its '^C' echo) on or off for a while.

    Off while a reply streams: otherwise the terminal prints '^C' after the partial reply,
    which wraps the live region's full-width line and leaves a stale copy of it on screen,
    and type-ahead lands in the middle of the reply (it is kept: the next prompt reads it).
    Ctrl-C still interrupts. Does nothing when the stream is not a terminal.
    """
    try:
        import termios

        fd = (stream or sys.stdin).fileno()
        saved = termios.tcgetattr(fd)
        mode = list(saved)
        flags = termios.ECHO | termios.ECHOCTL
        mode[3] = mode[3] | flags if on else mode[3] & ~flags
        termios.tcsetattr(fd, termios.TCSANOW, mode)
    except (ImportError, OSError, ValueError, AttributeError):
        yield
        return
    try:
        yield
    finally:
        try:
            termios.tcsetattr(fd, termios.TCSANOW, saved)
        except (OSError, termios.error):
            pass


def discard_typeahead(stream: object | None = None) -> None:
    """Throw away what was typed but not yet read (keys pressed while a reply streamed), so
    the next question is answered by what is typed after it is asked. Only on a terminal."""
    try:
        import termios

        fd = (stream or sys.stdin).fileno()  # type: ignore[attr-defined]
        termios.tcflush(fd, termios.TCIFLUSH)
    except (ImportError, OSError, ValueError, AttributeError):
        pass
