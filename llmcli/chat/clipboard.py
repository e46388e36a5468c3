"""Copy text to the clipboard without pyperclip: a clipboard tool if one is installed, else
the OSC 52 escape, which asks the terminal itself (also over SSH) to set its clipboard."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
from collections.abc import Mapping
from typing import TextIO

# (command, when it applies): Wayland, X11, macOS, WSL.
_TOOLS: list[tuple[list[str], str | None]] = [
    (["wl-copy"], "WAYLAND_DISPLAY"),
    (["xclip", "-selection", "clipboard"], "DISPLAY"),
    (["xsel", "--clipboard", "--input"], "DISPLAY"),
    (["pbcopy"], None),
    (["clip.exe"], None),
]

# Terminals cap OSC 52 payloads (xterm: about 100 kB of base64); past that, say so.
OSC52_LIMIT = 74_994


def copy(
    text: str, *, environ: Mapping[str, str] | None = None, terminal: TextIO | None = None
) -> str:
    """Copy `text`; returns a sentence saying how (or why it could not)."""
    env = os.environ if environ is None else environ
    for cmd, needs in _TOOLS:
        if needs and not env.get(needs):
            continue
        exe = shutil.which(cmd[0], path=env.get("PATH"))
        if exe is None:
            continue
        try:
            subprocess.run([exe, *cmd[1:]], input=text.encode("utf-8"), check=True, timeout=5,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except (OSError, subprocess.SubprocessError):
            continue
        return f"copied {len(text):,} characters to the clipboard with {cmd[0]}"
    if terminal is None or not _isatty(terminal):
        return "no clipboard tool found (wl-copy, xclip, xsel, pbcopy) and no terminal for OSC 52"
    payload = base64.b64encode(text.encode("utf-8")).decode("ascii")
    if len(payload) > OSC52_LIMIT:
        return (f"no clipboard tool found, and the reply is too long for the terminal's OSC 52 "
                f"clipboard ({len(text):,} characters); use /save FILE instead")
    seq = f"\x1b]52;c;{payload}\x07"
    if env.get("TMUX"):  # tmux passes it on only when wrapped
        seq = "\x1bPtmux;" + seq.replace("\x1b", "\x1b\x1b") + "\x1b\\"
    terminal.write(seq)
    terminal.flush()
    return (f"sent {len(text):,} characters to the terminal's clipboard with OSC 52 "
            "(works if your terminal allows it; no clipboard tool was found)")


def osc52(text: str) -> str:
    """The escape sequence itself (for tests and for callers that write it elsewhere)."""
    return f"\x1b]52;c;{base64.b64encode(text.encode('utf-8')).decode('ascii')}\x07"


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
