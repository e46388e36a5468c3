"""Tool calls in front of a person: each call and its result as a dim line on stderr (in full
with --tools-debug), and the --tools-approve question asked on the terminal."""

from __future__ import annotations

import json
from typing import IO, TYPE_CHECKING

from llmcli.core.tools import call_text

if TYPE_CHECKING:
    from llmcli.core.tools import ToolCall, ToolResult
    from llmcli.environment import Environment

SHORT = 100  # characters of a call or result shown without --tools-debug


class TerminalToolHooks:
    """The `core.tools.ToolHooks` of the command layer."""

    def __init__(self, env: Environment, *, debug: bool = False, approve: bool = False,
                 tty: IO[bytes] | None = None):
        self.env = env
        self.debug = debug
        self.ask = approve
        self._tty = tty  # where the approval is read (and asked) when stdin is not the terminal

    def _line(self, text: str) -> None:
        dim = self.env.stderr_isatty and not self.env.environ.get("NO_COLOR")
        self.env.stderr.write(f"\x1b[2m{text}\x1b[0m\n" if dim else text + "\n")
        self.env.stderr.flush()

    def approve(self, call: ToolCall) -> bool:
        if not self.ask:
            return True
        from llmcli.ui.terminal import echo

        args = json.dumps(call.arguments, ensure_ascii=False, indent=2) if self.debug \
            else call_text(call, None)
        question = f"run tool {args if not self.debug else call.name + ' ' + args}? [y/N] "
        source = self._tty if self._tty is not None else self.env.stdin
        if self._tty is not None:
            self._tty.write(question.encode("utf-8"))
            self._tty.flush()
        else:
            self.env.stderr.write(question)
            self.env.stderr.flush()
        with echo(True, source):  # the reply streams with echo off; the answer must show
            answer = source.readline().decode("utf-8", "replace").strip().lower()
        return answer in ("y", "yes", "s", "sim")

    def called(self, call: ToolCall) -> None:
        if self.debug:
            args = json.dumps(call.arguments, ensure_ascii=False, indent=2)
            self._line(f"→ {call.name} [{call.id}]\n{args}")
        else:
            self._line(f"→ {call_text(call, SHORT)}")

    def returned(self, call: ToolCall, result: ToolResult) -> None:
        text = result.content
        if not self.debug:
            text = " ".join(text.split())
            if len(text) > SHORT:
                text = text[: SHORT - 1] + "…"
        self._line(f"← {call.name}: {text}")


def open_tty() -> IO[bytes] | None:
    """The controlling terminal for --tools-approve when stdin is a pipe; None without one."""
    try:
        return open("/dev/tty", "r+b", buffering=0)
    except OSError:
        return None
