"""Small terminal chores for the REPL: $EDITOR (echo control is ui/terminal.py's)."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Mapping

from llmcli.core.errors import InvalidInput
from llmcli.ui.terminal import echo


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
