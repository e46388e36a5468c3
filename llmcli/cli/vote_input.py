"""Reading a blind vote from the person at the terminal (stdin, or /dev/tty when stdin was
used for the prompt)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, TYPE_CHECKING

from llmcli.core.errors import InvalidInput

if TYPE_CHECKING:
    from llmcli.environment import Environment

MAX_TRIES = 5


def open_terminal(env: Environment) -> IO[str]:
    """The controlling terminal for reading; InvalidInput when there is none."""
    try:
        return open("/dev/tty", encoding="utf-8")  # the caller closes it
    except OSError:
        raise InvalidInput(
            "--blind needs a terminal to vote from",
            hint="run it in a terminal, with the prompt as an argument rather than on stdin",
        ) from None


def _read_line(env: Environment) -> str | None:
    if env.stdin_isatty:
        data = env.stdin.readline()
        if not data:
            return None
        return data.decode("utf-8", errors="replace") if isinstance(data, bytes) else str(data)
    with open_terminal(env) as tty:
        line = tty.readline()
        return line or None


def _discard_typeahead(env: Environment) -> None:
    """Keys pressed while the replies streamed are not a vote."""
    from llmcli.ui.terminal import discard_typeahead

    if env.stdin_isatty:
        discard_typeahead(env.stdin)
        return
    try:
        with open("/dev/tty", encoding="utf-8") as tty:
            discard_typeahead(tty)
    except OSError:
        pass


def ask_vote(env: Environment, labels: Sequence[str], where: str = "") -> str | None:
    """Ask until the answer is a label, 'tie' or 'skip'; None at end of input."""
    from llmcli.compare.elo import parse_choice

    _discard_typeahead(env)
    choices = "/".join(label.lower() for label in labels)
    question = f"Which reply is better{where}? [{choices}/tie/skip] "
    for _ in range(MAX_TRIES):
        env.stderr.write(question)
        env.stderr.flush()
        line = _read_line(env)
        if line is None:
            env.stderr.write("\n")
            return None
        choice = parse_choice(line, labels)
        if choice is not None:
            return choice
        env.stderr.write(f"  answer one of {', '.join(labels)}, tie or skip\n")
    return None
