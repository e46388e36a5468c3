"""Rich consoles built from the Environment: stdout for results, stderr for status and errors."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from llmcli.environment import Environment


def stdout_console(env: Environment) -> Console:
    return _quiet_pipe_console()(
        file=env.stdout,
        force_terminal=env.stdout_isatty,
        # NO_COLOR takes the colour away, not bold, italics or link targets (no-color.org)
        no_color=not env.color,
        color_system="auto",
        width=env.width,
        highlight=False,
        soft_wrap=False,
    )


def _quiet_pipe_console() -> type[Console]:
    """Rich's Console, except that a closed pipe raises `OutputClosed` (exit 141, quietly)
    instead of Rich's own `SystemExit(1)`, which would read as a failure."""
    from rich.console import Console

    from llmcli.core.errors import OutputClosed

    class QuietPipeConsole(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise OutputClosed("standard output was closed by its reader")

    return QuietPipeConsole


def stderr_console(env: Environment) -> Console:
    from rich.console import Console

    color = env.stderr_isatty and not env.environ.get("NO_COLOR")
    return Console(
        file=env.stderr,
        force_terminal=env.stderr_isatty,
        no_color=not color,
        color_system="auto",
        width=env.width,
        highlight=False,
        stderr=True,
    )


def error_line(env: Environment, message: str) -> None:
    """One line on stderr: 'llmcli: error: ...'. Plain text so it survives any terminal."""
    prefix = "llmcli: error: "
    if env.stderr_isatty:  # NO_COLOR: still bold, not red
        red = "" if env.environ.get("NO_COLOR") else ";31"
        prefix = f"\x1b[1{red}mllmcli: error:\x1b[0m "
    env.stderr.write(prefix + _wrapped(env, message, len("llmcli: error: ")) + "\n")
    env.stderr.flush()


def warn_line(env: Environment, message: str) -> None:
    prefix = "llmcli: "
    if env.stderr_isatty and not env.environ.get("NO_COLOR"):
        prefix = "\x1b[33mllmcli:\x1b[0m "
    env.stderr.write(prefix + _wrapped(env, message, len("llmcli: ")) + "\n")
    env.stderr.flush()


def note_line(env: Environment, message: str) -> None:
    """A plain note on stderr, no prefix; broken between words in a terminal."""
    env.stderr.write(_wrapped(env, message, 0) + "\n")
    env.stderr.flush()


def _wrapped(env: Environment, message: str, indent: int) -> str:
    """In a terminal, a line longer than the screen is broken between words (the terminal
    would cut a word in two); in a pipe it stays one line, for grep."""
    if not env.stderr_isatty:
        return message
    return between_words(message, env.width or stderr_columns(env), indent)


def between_words(line: str, width: int, indent: int = 0) -> str:
    """`line` broken between words to fit `width` columns (continuations indented two), as
    if it started after `indent` columns already written; unchanged when it fits."""
    import textwrap

    if indent + len(line) <= width or width < 20:
        return line
    lines = textwrap.wrap(" " * indent + line, width, break_long_words=False,
                          break_on_hyphens=False, subsequent_indent="  ")
    return "\n".join(lines)[indent:]


def stderr_columns(env: Environment) -> int:
    """The width of the terminal stderr is on. `shutil.get_terminal_size` asks stdout only, so
    with stdout piped (`llmcli ... | jq`) it says 80 whatever the terminal's width."""
    import os
    import shutil

    columns = env.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        return os.get_terminal_size(env.stderr.fileno()).columns
    except (AttributeError, OSError, ValueError):
        return shutil.get_terminal_size().columns
