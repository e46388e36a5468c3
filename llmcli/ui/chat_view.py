"""Rendering for `llmcli chat` and for conversations in `llmcli logs`.

Replies go to stdout through the usual reply writers. Everything else the chat says (notes,
tables, /history) goes to `info`: stdout in a terminal session, stderr in piped mode, so a
pipe's stdout carries replies only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from llmcli.ui.console import error_line, stderr_console, stdout_console, warn_line

if TYPE_CHECKING:
    from rich.console import Console

    from llmcli.environment import Environment
    from llmcli.ui.stream import ReplyWriter


NO_REPLY = "[no reply]"


class ChatView:
    def __init__(self, env: Environment, *, info_to_stderr: bool = False, plain: bool = False):
        self.env = env
        self.plain = plain
        self.info_to_stderr = info_to_stderr
        self._info: Console | None = None

    @property
    def info(self) -> Console:
        if self._info is None:
            make = stderr_console if self.info_to_stderr else stdout_console
            self._info = make(self.env)
        return self._info

    # -- replies ---------------------------------------------------------------------------------
    def reply_writer(self) -> ReplyWriter:
        from llmcli.ui.stream import reply_writer

        return reply_writer(self.env, markdown=not self.plain)

    def reasoning_hooks(self, writer: ReplyWriter) -> tuple[ReplyWriter, Any]:
        """The reply writer (starting below the reasoning) and where reasoning pieces go:
        dimmed on stderr, as `prompt` shows them."""
        from llmcli.ui.reasoning import ReasoningFirst, ReasoningStream

        stream = ReasoningStream(self.env)
        return ReasoningFirst(writer, stream), stream  # type: ignore[return-value]

    # -- one-liners --------------------------------------------------------------------------------
    def note(self, text: str) -> None:
        self.info.print(text, style="dim", markup=False, highlight=False)

    def warn(self, text: str) -> None:
        warn_line(self.env, text)

    def error(self, text: str) -> None:
        error_line(self.env, text)

    def no_reply(self) -> None:
        """Piped: one line where a failed message's reply would be, so that reply N on stdout
        still answers line N of stdin (the error itself is on stderr)."""
        self.env.stdout.write(NO_REPLY + "\n")
        self.env.stdout.flush()

    def interrupted(self) -> None:
        self.info.print("[interrupted: the partial reply is kept]", style="yellow", markup=False)

    def banner(self, model: str, window: int | None, conversation_id: str, turns: int) -> None:
        from rich.text import Text

        t = Text()
        t.append("llmcli chat", style="bold")
        t.append(f" with {model}", style="cyan")
        if window:
            t.append(f" ({window:,}-token window)", style="dim")
        if turns:
            noun = "turn" if turns == 1 else "turns"
            t.append(f"\ncontinuing conversation {conversation_id}: {turns} {noun}", style="dim")
        t.append("\n/help for commands, Ctrl-D or /exit to leave, F2 for multi-line", style="dim")
        self.info.print(t)

    # -- tables ------------------------------------------------------------------------------------
    def info_rows(self, title: str, rows: list[tuple[str, str]]) -> None:

        table = _table(title)
        table.add_column(style="bold")
        table.add_column(overflow="fold")
        for k, v in rows:
            table.add_row(k, v)
        self.info.print(table)

    def help(self, commands: list[tuple[str, str]], keys: list[tuple[str, str]]) -> None:
        from rich.text import Text

        for title, rows in (("Commands", commands), ("Keys", keys)):
            table = _table(title)
            table.add_column(style="cyan", no_wrap=True)
            table.add_column(overflow="fold")
            for a, b in rows:  # Text: a usage's `[provider:model]` is not Rich markup
                table.add_row(Text(a), Text(b))
            self.info.print(table)

    def options(self, current: dict[str, Any], fields: list[tuple[str, str]]) -> None:
        from rich.table import Table

        table = Table(title="Options", box=None, title_justify="left", pad_edge=False)
        table.add_column("name", style="cyan", no_wrap=True)
        table.add_column("value")
        table.add_column("meaning", style="dim", overflow="fold")
        for name, desc in fields:
            value = current.get(name)
            table.add_row(name, "-" if value is None else str(value), desc)
        self.info.print(table)
        self.info.print("/set NAME VALUE sets one, /set NAME unsets it", style="dim")

    def resume_hint(self, conversation_id: str) -> None:
        """On leaving: how to come back to this conversation."""
        self.note(f"resume with: llmcli chat -c  (or llmcli chat --cid {conversation_id})")

    def history(self, system: str | None, turns: list[Any], pending: str | None, cid: str,
                skipped: int = 0) -> None:
        from rich.text import Text

        if not turns and not system and pending is None:
            self.note("the conversation is empty")
            return
        t = Text(f"conversation {cid}\n", style="dim")
        if skipped:
            t.append(f"… {skipped} earlier turn{'s' if skipped > 1 else ''} (/history shows "
                     "them all)\n", style="dim")
        if system:
            t.append("system: ", style="bold magenta")
            t.append(system + "\n")
        for turn in turns:
            t.append("you: ", style="bold green")
            t.append(turn.user + "\n")
            t.append(f"{turn.model or 'assistant'}: ", style="bold cyan")
            t.append(turn.reply + "\n")
            if turn.status != "complete":
                t.append("[interrupted]\n", style="yellow")
        if pending is not None:
            t.append("you: ", style="bold green")
            t.append(pending + "\n")
            t.append("[no reply: /retry sends it again]\n", style="yellow")
        self.info.print(t, end="")

    # -- conversations in `llmcli logs` ------------------------------------------------------
    def conversations(self, rows: list[dict[str, Any]]) -> None:
        from llmcli.ui.tables import print_table

        print_table(
            self.env,
            ["id", "last", "model", "turns", "title"],
            [
                (
                    r["id"],
                    (r.get("last") or r["created"] or "")[:19].replace("T", " "),
                    r.get("model") or "-",
                    r.get("turns", 0),
                    " ".join((r.get("title") or "").split())[:50],
                )
                for r in rows
            ],
        )

    def transcript(self, cid: str, rows: list[dict[str, Any]]) -> None:
        """Every exchange of a conversation in order: prompt, reply, status."""
        out = self.env.stdout
        out.write(f"# conversation {cid}: {len(rows)} exchanges\n")
        system = None
        for r in rows:
            if r.get("system") and r["system"] != system:
                system = r["system"]
                out.write(f"\n## system\n{system}\n")
            status = "" if r["status"] == "complete" else f"  [{r['status']}]"
            when = (r["created"] or "")[:19].replace("T", " ")
            out.write(f"\n## #{r['id']} {when}  {r['provider']}:{r['model']}{status}\n")
            out.write(f"you: {r['prompt']}\n")
            if r.get("reply"):
                out.write(f"assistant: {r['reply']}\n")
            if r.get("error"):
                out.write(f"error: {r['error']}\n")
        out.flush()


def _table(title: str):
    from rich.table import Table

    return Table(title=title, show_header=False, box=None, title_justify="left", pad_edge=False)


def toolbar_text(
    model: str, used: str | None, window: int | None, ttft: float | None, tps: float | None,
    *, tps_estimated: bool = False, multiline: bool = False, template: str | None = None,
) -> str:
    """The status line under the prompt: model, tokens of the window, last TTFT and tokens/s.

    Counts that are estimates carry a '~' (the caller's `used` string already has it).
    """
    parts = [model]
    if used is not None:
        parts.append(f"{used} / {_compact(window)} tokens" if window else f"{used} tokens")
    if ttft is not None:
        parts.append(f"ttft {ttft:.2f} s")
    if tps is not None:
        parts.append(f"{'~' if tps_estimated else ''}{tps:.0f} tok/s")
    if template:
        parts.append(f"template {template}")
    if multiline:
        parts.append("multi-line: Esc Enter sends")
    return " | ".join(parts)


def _compact(n: int) -> str:
    """32768 -> 32k, 128000 -> 128k, 1048576 -> 1M; other sizes in full."""
    for unit, size in (("M", 1_000_000), ("k", 1000), ("M", 1 << 20), ("k", 1024)):
        if n >= size and n % size == 0:
            return f"{n // size}{unit}"
    return f"{n:,}"
