"""Showing templates and what they produce: rendered messages, dimmed reasoning, the
extracted answer, vote distributions, least-to-most steps, and run totals.

In a terminal these use colour and panels; in a pipe they are plain text, and only the
answer (or reply) goes to stdout so the output can feed another command.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from llmcli.core.numbers import usd

if TYPE_CHECKING:
    from llmcli.core.messages import Message
    from llmcli.environment import Environment


def print_messages(env: Environment, messages: list[Message], header: list[str]) -> None:
    """The messages a template rendered (for --show-prompt and `templates render`)."""
    if not env.stdout_isatty:
        out = env.stdout
        for line in header:
            out.write(f"# {line}\n")
        for i, m in enumerate(messages):
            if i or header:
                out.write("\n")
            out.write(f"--- {m.role} ---\n{m.content}\n")
        out.flush()
        return
    from rich.panel import Panel
    from rich.text import Text

    from llmcli.ui.console import stdout_console

    console = stdout_console(env)
    for line in header:
        console.print(Text(line, style="dim"))
    styles = {"system": "magenta", "user": "cyan", "assistant": "green"}
    for m in messages:
        console.print(Panel(Text(m.content), title=m.role, title_align="left",
                            border_style=styles.get(m.role, "white")))


_LEAD = " \t*_`#>-"  # Markdown a model puts before an answer line: **Answer:**, > Answer:


def is_answer_line(line: str, markers: Sequence[str]) -> bool:
    """True for a line that starts (after Markdown marks) with one of the answer markers."""
    s = line.lstrip(_LEAD).casefold()
    return any(s.startswith(m.casefold()) for m in markers if m)


def without_answer_lines(text: str, markers: Sequence[str]) -> str:
    """The reasoning without its answer line(s): the answer is printed once, bold, after it."""
    return "".join(line for line in text.splitlines(keepends=True)
                   if not is_answer_line(line, markers))


class DimWriter:
    """Streams reasoning dimmed in a terminal (plain in a pipe); the answer is printed after.

    In a terminal a line that starts with an answer marker is held back (it may be the answer
    line, which is printed bold after the reply): the answer appears once. Held lines are kept
    in `held`, for a caller that finds no answer in them.
    """

    def __init__(self, env: Environment, markers: Sequence[str] = ()):
        self.env = env
        self.markers = [m for m in markers if m]
        self.last = ""
        self.held: list[str] = []
        self._console = None
        self._line = ""  # the current line, while it could still be an answer line
        self._released = False  # the current line is not an answer line: streamed as it comes

    def start(self) -> None:
        if self.env.stdout_isatty:
            from llmcli.ui.console import stdout_console

            self._console = stdout_console(self.env)

    def write(self, piece: str) -> None:
        if self._console is None or not self.markers:
            self._emit(piece)
            return
        while piece:
            head, newline, piece = piece.partition("\n")
            if self._released:
                self._emit(head + newline)
            else:
                self._line += head + newline
                if newline:
                    self._settle_line()
                elif not self._could_be_answer(self._line):
                    self._released = True
                    self._emit(self._line)
                    self._line = ""
            if newline:
                self._released = False

    def _could_be_answer(self, partial: str) -> bool:
        s = partial.lstrip(_LEAD).casefold()
        return any(m.casefold().startswith(s) or s.startswith(m.casefold()) for m in self.markers)

    def _settle_line(self) -> None:
        if is_answer_line(self._line, self.markers):
            self.held.append(self._line)
        else:
            self._emit(self._line)
        self._line = ""

    def _emit(self, text: str) -> None:
        if not text:
            return
        if self._console is not None:
            self._console.print(text, style="dim", end="", markup=False, highlight=False)
        else:
            self.env.stdout.write(text)
        self.env.stdout.flush()
        self.last = text

    def finish(self, interrupted: bool = False) -> None:
        if self._line:
            self._settle_line()
        if self.last and not self.last.endswith("\n"):
            self.env.stdout.write("\n")
        self.env.stdout.flush()


def print_dim(env: Environment, text: str) -> None:
    """A block of secondary text on stdout: dimmed in a terminal."""
    if env.stdout_isatty:
        from llmcli.ui.console import stdout_console

        stdout_console(env).print(text, style="dim", markup=False, highlight=False)
    else:
        env.stdout.write(text.rstrip("\n") + "\n")
        env.stdout.flush()


def print_answer(env: Environment, answer: str, note: str = "", label: str = "Answer") -> None:
    """The final answer: bold after a label in a terminal, the bare answer in a pipe."""
    if not env.stdout_isatty:
        env.stdout.write(answer + "\n")
        env.stdout.flush()
        return
    from rich.text import Text

    from llmcli.ui.console import stdout_console

    line = Text(f"{label}: ", style="bold")
    line.append(answer, style="bold green")
    if note:
        line.append(f"  {note}", style="dim")
    stdout_console(env).print(line)


def print_step(env: Environment, title: str, label: str, text: str) -> None:
    """One step of a chain (least-to-most), in a terminal: a bold title, then the reply dim
    after its label (Sub-answer, Reply)."""
    from rich.text import Text

    from llmcli.ui.console import stdout_console

    console = stdout_console(env)
    console.print(Text(title, style="bold"))
    body = Text(f"{label}: ", style="italic") if label else Text()
    body.append(text.strip(), style="dim")
    console.print(body)
    console.print()


def distribution_lines(vote: dict[str, Any], width: int = 30) -> list[tuple[str, str, str]]:
    """(answer, count/total, bar) rows for a vote's distribution."""
    total = max(1, vote["samples"])
    rows = []
    for item in vote["distribution"]:
        filled = round(width * item["count"] / total)
        rows.append((item["answer"], f"{item['count']}/{total}", "█" * filled))
    if vote["no_answer"]:
        filled = round(width * vote["no_answer"] / total)
        rows.append(("(no answer)", f"{vote['no_answer']}/{total}", "░" * filled))
    return rows


def print_distribution(env: Environment, vote: dict[str, Any], *, to_stderr: bool = False) -> None:
    """The answers the samples gave and how many gave each, as a bar chart."""
    rows = distribution_lines(vote)
    tty = env.stderr_isatty if to_stderr else env.stdout_isatty
    out = env.stderr if to_stderr else env.stdout
    if not tty:
        for answer, count, bar in rows:
            out.write(f"{count}\t{bar}\t{answer}\n")
        out.flush()
        return
    from rich.table import Table

    from llmcli.ui.console import stderr_console, stdout_console

    table = Table(title="Answers across samples", show_header=True, header_style="bold", box=None)
    table.add_column("answer", overflow="fold")
    table.add_column("votes", justify="right")
    table.add_column("")
    for i, (answer, count, bar) in enumerate(rows):
        style = "green" if i == 0 and answer != "(no answer)" else "dim"
        table.add_row(answer, count, f"[{style}]{bar}[/]")
    (stderr_console(env) if to_stderr else stdout_console(env)).print(table)


def totals_line(totals: dict[str, Any]) -> str:
    """'5 calls · 812 tokens in · 1,024 out · $0.0004 · 6.1 s'."""
    parts = [f"{totals['calls']} call{'s' if totals['calls'] != 1 else ''}"]
    if totals.get("input_tokens") is not None:
        parts.append(f"{totals['input_tokens']:,} tokens in")
    if totals.get("output_tokens") is not None:
        parts.append(f"{totals['output_tokens']:,} out")
    if totals.get("cost") is not None:
        parts.append(usd(totals["cost"]))
    parts.append(f"{totals['seconds']:.1f} s")
    return " · ".join(parts)


def print_status(env: Environment, text: str) -> None:
    """A progress or summary line on stderr, only in a terminal (pipes stay clean)."""
    if not env.stderr_isatty:
        return
    if env.environ.get("NO_COLOR"):
        env.stderr.write(text + "\n")
    else:
        env.stderr.write(f"\x1b[2m{text}\x1b[0m\n")
    env.stderr.flush()


def print_source(env: Environment, text: str, title: str) -> None:
    """A template file, YAML-highlighted in a terminal."""
    if not env.stdout_isatty:
        env.stdout.write(text if text.endswith("\n") else text + "\n")
        env.stdout.flush()
        return
    from rich.syntax import Syntax
    from rich.text import Text

    from llmcli.ui.console import stdout_console

    console = stdout_console(env)
    console.print(Text(f"# {title}", style="dim"))
    console.print(Syntax(text, "yaml", theme="ansi_dark", background_color="default",
                         word_wrap=True))
