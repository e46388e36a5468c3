"""The model's reasoning on stderr, dimmed, while it streams: apart from the answer on stdout,
so `llmcli prompt ... > answer.txt` keeps only the answer."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llmcli.environment import Environment

DIM, RESET = "\x1b[2m", "\x1b[0m"


class ReasoningStream:
    """Call it with each piece; `end()` closes the block with a newline (once, if any came)."""

    def __init__(self, env: Environment):
        self.env = env
        self.dim = env.stderr_isatty and not env.environ.get("NO_COLOR")
        self.open = False
        self.last = ""

    def __call__(self, piece: str) -> None:
        if not piece:
            return
        out = self.env.stderr
        if not self.open:
            self.open = True
        out.write(f"{DIM}{piece}{RESET}" if self.dim else piece)
        out.flush()
        self.last = piece

    def end(self) -> None:
        """Finish the block: a newline unless the reasoning ended with one."""
        if self.open:
            if not self.last.endswith("\n"):
                self.env.stderr.write("\n")
            self.env.stderr.flush()
            self.open = False


def reasoning_stream(env: Environment, *, hide: bool) -> ReasoningStream | None:
    """The stream for a command's `--hide-reasoning` flag (None when hidden)."""
    return None if hide else ReasoningStream(env)


class ReasoningFirst:
    """A reply writer whose answer starts on its own line after the streamed reasoning."""

    def __init__(self, writer: object, stream: ReasoningStream):
        self.writer = writer
        self.stream = stream

    def start(self) -> None:
        self.stream.end()
        self.writer.start()  # type: ignore[attr-defined]

    def write(self, piece: str) -> None:
        self.writer.write(piece)  # type: ignore[attr-defined]

    def finish(self, interrupted: bool = False) -> None:
        self.stream.end()
        self.writer.finish(interrupted)  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> object:
        return getattr(self.writer, name)
