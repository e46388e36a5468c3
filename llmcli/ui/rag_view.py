"""What the `rag` commands show: the indexing progress bar, summaries, index listings, search
hits, the context sent with a question, and the sources under an answer.

Objects from llmcli.rag are read by attribute, so this module imports nothing from it. In a
terminal: colour, panels and a live bar on stderr; in a pipe: plain lines, no bar.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llmcli.environment import Environment

REFRESH_S = 0.1
PREVIEW_LINES = 8


# -- indexing ------------------------------------------------------------------------------------
class IndexProgress:
    """A progress bar on stderr while files are scanned and chunks embedded (terminal only)."""

    def __init__(self, env: Environment, label: str):
        self.env = env
        self.label = label
        self._progress: Any = None
        self._task: Any = None
        self._phase = ""
        self._last = 0.0
        self._began = time.perf_counter()

    def __enter__(self) -> IndexProgress:
        if self.env.stderr_isatty:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            from llmcli.ui.console import stderr_console

            self._progress = Progress(
                TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[detail]}"),
                TimeElapsedColumn(), console=stderr_console(self.env), transient=True,
                auto_refresh=False,
            )
            self._progress.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def __call__(self, p: Any) -> None:
        """Called by the indexer with a llmcli.rag.index.Progress."""
        if self._progress is None:
            return
        now = time.perf_counter()
        if p.phase != self._phase:
            self._phase = p.phase
            if self._task is not None:
                self._progress.remove_task(self._task)
            what = "scanning" if p.phase == "scan" else "embedding"
            total = p.files_total if p.phase == "scan" else max(p.bytes_total, 1)
            self._task = self._progress.add_task(f"{self.label}: {what}", total=total, detail="")
            self._began = now
        elif now - self._last < REFRESH_S:
            return
        self._last = now
        if p.phase == "scan":
            self._progress.update(self._task, completed=p.files_done,
                                  detail=f"{p.files_done}/{p.files_total} files")
        else:
            elapsed = max(now - self._began, 1e-9)
            rate = p.chunks_embedded / elapsed
            reused = f", {p.chunks_reused} reused" if p.chunks_reused else ""
            self._progress.update(
                self._task, completed=p.bytes_done,
                detail=f"{p.files_done}/{p.files_total} files · {p.chunks_embedded} chunks "
                       f"embedded{reused} · {rate:.1f}/s")
        self._progress.refresh()


def print_stats(env: Environment, stats: Any) -> None:
    """The summary of `rag index` on stdout; skipped files, with reasons, on stderr."""
    from llmcli.ui.console import warn_line

    parts = [f"{stats.added} added", f"{stats.updated} updated", f"{stats.unchanged} unchanged"]
    if stats.removed:
        parts.append(f"{stats.removed} removed")
    if stats.skipped:
        parts.append(f"{len(stats.skipped)} skipped")
    rate = f", {stats.rate:.1f} chunks/s" if stats.rate else ""
    lines = [
        f"index '{stats.name}' ({stats.model}): {stats.files} files: {', '.join(parts)}",
        f"{stats.chunks} chunks: {stats.embedded} embedded, {stats.reused} reused "
        f"in {stats.seconds:.1f} s{rate}",
    ]
    _lines(env, lines, style="green")
    for note in stats.notes:
        warn_line(env, note)
    if stats.skipped:
        n = len(stats.skipped)
        warn_line(env, f"skipped {n} file{'s' if n != 1 else ''}:")
        for s in stats.skipped:
            env.stderr.write(f"  {s.path}: {s.reason}\n")
        env.stderr.flush()


def print_indexes(env: Environment, infos: list[Any]) -> None:
    from llmcli.ui.tables import print_table

    if not infos:
        if env.stdout_isatty:
            _lines(env, ["no indexes yet (llmcli rag index NAME PATH... creates one)"], "dim")
        return
    print_table(env, ["name", "model", "documents", "chunks", "dims", "chunk size", "updated"],
                [(i.name, i.embed_model, i.documents, i.chunks, i.dimension,
                  f"{i.chunk_size}/{i.overlap}", i.updated[:19].replace("T", " ")) for i in infos])


def print_index(env: Environment, info: Any, docs: list[dict[str, Any]]) -> None:
    from llmcli.ui.tables import print_table

    rows = [
        ("name", info.name), ("embedding model", info.embed_model),
        ("dimensions", info.dimension), ("documents", info.documents), ("chunks", info.chunks),
        ("chunk size", f"{info.chunk_size} characters, {info.overlap} overlap"),
        ("paths", ", ".join(info.roots)), ("glob", ", ".join(info.globs) or "all files"),
        ("created", info.created), ("updated", info.updated),
    ]
    if env.stdout_isatty:
        from rich.table import Table

        from llmcli.ui.console import stdout_console

        table = Table(show_header=False, box=None, pad_edge=False)
        table.add_column(style="bold")
        table.add_column(overflow="fold")
        for k, v in rows:
            table.add_row(k, "-" if v is None else str(v))
        stdout_console(env).print(table)
        env.stdout.write("\n")
    else:
        for k, v in rows:
            env.stdout.write(f"{k}: {'-' if v is None else v}\n")
        env.stdout.write("\n")
    print_table(env, ["source", "kind", "chunks", "bytes", "indexed"],
                [(d["source"], d["kind"], d["chunks"], d["size"],
                  d["indexed"][:19].replace("T", " ")) for d in docs])


# -- hits and sources ----------------------------------------------------------------------------
def _score_detail(hit: Any) -> str:
    bits = [f"score {hit.score:.4f}"]
    if hit.cosine is not None and hit.vector_rank is not None:
        bits.append(f"cosine {hit.cosine:.3f} (#{hit.vector_rank})")
    if hit.keyword_rank is not None:
        bits.append(f"keywords #{hit.keyword_rank}")
    if getattr(hit, "rerank", None) is not None:
        bits.append(f"log P(question | passage) {hit.rerank:.1f}")
    return " · ".join(bits)


def print_hits(env: Environment, hits: list[Any], head: str, *, full: bool = False) -> None:
    """Search results on stdout: rank, score, source, and the chunk (first lines unless full)."""
    if not env.stdout_isatty:
        out = env.stdout
        out.write(f"# {head}\n")
        for h in hits:
            out.write(f"\n[{h.rank}] {h.location}  {_score_detail(h)}\n")
            for line in _preview(h.text, full).split("\n"):
                out.write(f"    {line}\n")
        out.flush()
        return
    from rich.panel import Panel
    from rich.text import Text

    from llmcli.ui.console import stdout_console

    console = stdout_console(env)
    console.print(Text(head, style="dim"))
    if not hits:
        console.print(Text("no matching chunks", style="yellow"))
    for h in hits:
        title = Text.assemble((f"[{h.rank}] ", "bold"), (h.location, "cyan"))
        detail = Text(_score_detail(h), style="dim")
        body = Text(_preview(h.text, full))
        # Rich cuts a subtitle longer than the border (the rerank score went first): one that
        # does not fit goes inside, as the panel's first line, wrapped like the text.
        fits = detail.cell_len + 6 <= console.width
        if not fits:
            body = Text.assemble(detail, "\n", body)
        console.print(Panel(body, title=title, title_align="left",
                            subtitle=detail if fits else None, subtitle_align="right",
                            border_style="blue"))


def _preview(text: str, full: bool) -> str:
    lines = text.split("\n")
    if full or len(lines) <= PREVIEW_LINES:
        return text
    return "\n".join([*lines[:PREVIEW_LINES], f"… ({len(lines) - PREVIEW_LINES} more lines)"])


def print_context(env: Environment, hits: list[Any], head: str, messages: list[Any]) -> None:
    """--show-context: what was retrieved and the messages sent, on stderr (stdout keeps the
    answer, so it can still be piped)."""
    err = env.stderr
    if not env.stderr_isatty:
        err.write(f"# {head}\n")
        for h in hits:
            err.write(f"#   [{h.rank}] {h.location}  {_score_detail(h)}\n")
        for m in messages:
            err.write(f"--- {m.role} ---\n{m.content}\n")
        err.write("--- reply ---\n")
        err.flush()
        return
    from rich.panel import Panel
    from rich.text import Text

    from llmcli.ui.console import stderr_console

    console = stderr_console(env)
    console.print(Text(head, style="dim"))
    for h in hits:
        console.print(Text.assemble((f"  [{h.rank}] ", "bold"), (h.location, "cyan"),
                                    (f"  {_score_detail(h)}", "dim")))
    styles = {"system": "magenta", "user": "cyan"}
    for m in messages:
        console.print(Panel(Text(m.content), title=f"sent: {m.role}", title_align="left",
                            border_style=styles.get(m.role, "white")))


def print_sources(env: Environment, lines: list[str], cited: list[int]) -> None:
    """The numbered sources under an answer; cited ones stand out in a terminal. In a pipe they
    go to stderr, as chat's do: stdout holds only the reply."""
    if not env.stdout_isatty:
        env.stderr.write("Sources:\n" + "".join(f"{line}\n" for line in lines))
        env.stderr.flush()
        return
    from rich.text import Text

    from llmcli.ui.console import stdout_console

    console = stdout_console(env)
    console.print()
    console.print(Text("Sources", style="bold"))
    for line in lines:
        cited_line = line.endswith("(cited)")
        style = "cyan" if cited_line else ("yellow" if line.startswith("cited but") else "dim")
        console.print(Text(line, style=style))
    if not cited:
        console.print(Text("the answer cites none of the passages", style="yellow"))


def _lines(env: Environment, lines: list[str], style: str) -> None:
    if env.stdout_isatty:
        from rich.text import Text

        from llmcli.ui.console import stdout_console

        console = stdout_console(env)
        for line in lines:
            console.print(Text(line, style=style))
    else:
        env.stdout.write("".join(f"{line}\n" for line in lines))
        env.stdout.flush()
