"""Small terminal chores for the REPL: echo while a reply streams, and $EDITOR."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TextIO

from llmcli.core.errors import InvalidInput


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


def find_editor(environ: Mapping[str, str]) -> list[str]:
    """$VISUAL, $EDITOR, or the first of nano/vim/vi installed, as an argument list."""
    editor = environ.get("VISUAL") or environ.get("EDITOR")
    if editor:
        return shlex.split(editor)
    for name in ("nano", "vim", "vi"):
        if shutil.which(name, path=environ.get("PATH")):
            return [name]
    raise InvalidInput("no editor found", hint="set $EDITOR, e.g. export EDITOR=nano")


def edit_text(initial: str, environ: Mapping[str, str]) -> str:
    """Let the user write text in their editor; returns what the file holds afterwards."""
    command = find_editor(environ)
    fd, name = tempfile.mkstemp(prefix="llmcli-chat-", suffix=".md")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(initial)
        with echo(True):  # the editor gets the terminal as the user knows it
            try:
                subprocess.call([*command, name])
            except OSError as exc:
                raise InvalidInput(
                    f"cannot run editor '{command[0]}': {exc.strerror or exc}",
                    hint="check $EDITOR",
                ) from None
        with open(name, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    finally:
        os.unlink(name)
