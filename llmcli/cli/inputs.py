"""Reading the user's text: stdin (validated UTF-8) combined with the prompt argument."""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmcli.core.errors import InvalidInput
from llmcli.core.text import decode_utf8

__all__ = ["combine", "decode_utf8", "read_stdin", "require_text"]

if TYPE_CHECKING:
    from llmcli.environment import Environment


def read_stdin(env: Environment) -> str | None:
    """All of stdin when it is piped, None when it is a terminal."""
    if env.stdin_isatty:
        return None
    data = env.stdin.read()
    return decode_utf8(data, "stdin")


def read_key(env: Environment) -> str:
    """`--key -`: the key from stdin, so it never shows in `ps` or the shell's history. Piped,
    the first line is the key and the rest of stdin stays the input; in a terminal it is asked
    for without echo."""
    if env.stdin_isatty:
        import getpass

        key = getpass.getpass("API key: ", stream=env.stderr)
    else:
        key = decode_utf8(env.stdin.readline(), "stdin")
    key = key.strip()
    if not key:
        raise InvalidInput("--key -: no key on the first line of stdin",
                           hint="pipe it: printf '%s\\n' \"$KEY\" | llmcli prompt --key - hi")
    return key


def combine(stdin_text: str | None, prompt: str | None) -> str:
    """Stdin first, then the prompt, separated by a blank line; a prompt of `-` is stdin alone."""
    if prompt == "-":
        prompt = None
    parts = [p.strip("\n") for p in (stdin_text, prompt) if p is not None and p.strip()]
    return "\n\n".join(parts)


def require_text(text: str) -> str:
    if not text.strip():
        raise InvalidInput(
            "empty prompt",
            hint="give the prompt as an argument or pipe text: echo hi | llmcli prompt",
        )
    return text
