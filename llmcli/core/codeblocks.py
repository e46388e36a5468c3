"""Fenced code blocks in a reply (for -x/--extract and --extract-last).

A fence is three or more backticks or tildes at the start of a line (up to three spaces of
indent), with an optional info string (```bash); it closes on a line of the same character at
least as long. A block left open runs to the end of the reply, as CommonMark says.
"""

from __future__ import annotations

import re

_OPEN = re.compile(r"^( {0,3})(`{3,}|~{3,})[ \t]*([^`\n]*)$")


def code_blocks(text: str) -> list[str]:
    """The contents of every fenced code block, in order (each ending with a newline)."""
    blocks: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = _OPEN.match(lines[i])
        if m is None:
            i += 1
            continue
        indent, fence = len(m.group(1)), m.group(2)
        close = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        body: list[str] = []
        i += 1
        while i < len(lines) and not close.match(lines[i]):
            line = lines[i]
            # the opening fence's indent is taken off each line, as CommonMark does
            body.append(line[min(indent, len(line) - len(line.lstrip(" "))):])
            i += 1
        i += 1  # past the closing fence
        blocks.append("".join(f"{b}\n" for b in body))
    return blocks
