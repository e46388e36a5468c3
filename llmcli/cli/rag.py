"""`llmcli rag`: index folders, list, show and remove indexes, search them.

Asking with the retrieved context is `llmcli prompt --rag NAME` (see prompt_rag.py), `/rag
NAME` in chat, and `--rag NAME` in compare and batch. The index lives in the logs database.
"""

from __future__ import annotations

from pathlib import Path

import typer

from llmcli.cli.app import app
from llmcli.cli.context import TIMEOUT_HELP, app_context
from llmcli.cli.flags import json_option, key_option, top_option

# The helpers other commands use live below the command layer.
from llmcli.rag.access import check_mode, default_model, embedder, open_retriever

rag_app = typer.Typer(
    help="Retrieval-augmented prompts: index your files, search them, ask with cited sources."
    "\n\nExample: llmcli rag index receitas ~/receitas",
    no_args_is_help=True,
)
app.add_typer(rag_app, name="rag")

MODE_HELP = "hybrid (vectors + keywords, the default), vector or keyword."


# -- commands ------------------------------------------------------------------------------------
@rag_app.command("index")
def rag_index(
    ctx: typer.Context,
    timeout: float | None = typer.Option(None, "--timeout", min=0.001, max=3600,
                                         help=TIMEOUT_HELP),
    key: str | None = key_option(),
    name: str = typer.Argument(..., help="Index name (letters, digits, - _ .)."),
    paths: list[Path] | None = typer.Argument(
        None, help="Files and folders to index. None: refresh the paths the index was built from."),
    model: str | None = typer.Option(
        None, "-m", "--model",
        help="Embedding model (default: local; an existing index keeps its own)."),
    chunk_size: int | None = typer.Option(
        None, "--chunk-size", help="Characters per chunk (default 1000)."),
    overlap: int | None = typer.Option(
        None, "--overlap", help="Characters repeated between chunks of a section (default 150)."),
    glob: list[str] | None = typer.Option(
        None, "--glob", help="Only files matching, e.g. '*.md' (repeatable)."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Index files: read, chunk, embed and store them; again later, only changes are embedded.

    Reads text, Markdown, CSV/TSV, JSON lines and PDF. Example:
    llmcli rag index receitas ./cardapio --glob '*.md' --glob '*.csv'
    """
    from llmcli.core.errors import Interrupted
    from llmcli.rag.index import build, check_name, find_index
    from llmcli.ui.rag_view import IndexProgress, print_stats
    from llmcli.ui.tables import print_json

    app_ctx = app_context(ctx, key, timeout=timeout)
    check_name(name)
    conn = app_ctx.logs.conn
    existing = find_index(conn, name)
    spec = model or (existing.embed_model if existing else default_model(app_ctx))
    key, embed = embedder(app_ctx, spec)
    try:
        with IndexProgress(app_ctx.env, name) as progress:
            stats = build(conn, name, paths or [], embed=embed, model=key, chunk_size=chunk_size,
                          overlap=overlap, globs=glob, progress=progress)
    except KeyboardInterrupt:
        raise Interrupted("indexing interrupted; the files done so far are kept",
                          hint=f"run 'llmcli rag index {name}' to finish") from None
    if as_json:
        print_json(app_ctx.env, stats.to_json())
    else:
        print_stats(app_ctx.env, stats)
    if not stats.chunks:
        from llmcli.core.errors import InvalidInput

        where = ", ".join(str(p) for p in paths or []) or "its paths"
        kept = "" if existing else "; no index was created"
        raise InvalidInput(f"nothing to index in {where}: no readable text files{kept}",
                           hint="check the path and --glob; supported: .txt .md .csv .jsonl .pdf "
                                "and other UTF-8 text")


@rag_app.command("list")
def rag_list(ctx: typer.Context, as_json: bool = json_option()) -> None:
    """The indexes: model, documents, chunks. Example: llmcli rag list"""
    from llmcli.rag.index import list_indexes
    from llmcli.ui.rag_view import print_indexes
    from llmcli.ui.tables import print_json

    app_ctx = app_context(ctx)
    infos = list_indexes(app_ctx.logs.conn)
    if as_json:
        print_json(app_ctx.env, [i.to_json() for i in infos])
    else:
        print_indexes(app_ctx.env, infos)


@rag_app.command("show")
def rag_show(ctx: typer.Context, name: str = typer.Argument(..., help="Index name."),
             as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """An index's settings and documents. Example: llmcli rag show receitas"""
    from llmcli.rag.index import documents, get_index
    from llmcli.ui.rag_view import print_index
    from llmcli.ui.tables import print_json

    app_ctx = app_context(ctx)
    conn = app_ctx.logs.conn
    info = get_index(conn, name)
    docs = documents(conn, info)
    if as_json:
        print_json(app_ctx.env, {**info.to_json(), "documents_list": docs})
    else:
        print_index(app_ctx.env, info, docs)


@rag_app.command("rm")
def rag_rm(ctx: typer.Context, name: str = typer.Argument(..., help="Index name.")) -> None:
    """Delete an index (the files are not touched). Example: llmcli rag rm receitas"""
    from llmcli.rag.index import remove_index
    from llmcli.ui.console import warn_line

    app_ctx = app_context(ctx)
    info = remove_index(app_ctx.logs.conn, name)
    warn_line(app_ctx.env, f"removed index '{info.name}' ({info.documents} documents, "
                           f"{info.chunks} chunks)")


@rag_app.command("search")
def rag_search(
    ctx: typer.Context,
    timeout: float | None = typer.Option(None, "--timeout", min=0.001, max=3600,
                                         help=TIMEOUT_HELP),
    key: str | None = key_option(),
    name: str = typer.Argument(..., help="Index name."),
    query: str | None = typer.Argument(None, help="What to look for; '-' or nothing reads stdin."),
    top: int = top_option(5, "best-matching chunks"),
    mode: str = typer.Option("hybrid", "--mode", help=MODE_HELP),
    model: str | None = typer.Option(
        None, "-m", "--model", help="Embedding model; must be the index's own."),
    full: bool = typer.Option(False, "--full", help="Show whole chunks, not their first lines."),
    rerank: bool = typer.Option(
        False, "--rerank", help="Let the local model reorder the first 5 hits (slower, better)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """The chunks nearest to a query, with scores and sources.

    Example: llmcli rag search receitas "quanto de proteína tem o frango?" --top 5
    """
    from llmcli.cli.inputs import combine, read_stdin, require_text
    from llmcli.ui.rag_view import print_hits
    from llmcli.ui.tables import print_json

    app_ctx = app_context(ctx, key, timeout=timeout)
    text = require_text(combine(read_stdin(app_ctx.env), query))
    retriever = open_retriever(app_ctx, name, model, rerank=rerank)
    try:
        hits = retriever.search(text, top, check_mode(mode))  # type: ignore[arg-type]
    finally:
        retriever.close()
    info = retriever.info
    if as_json:
        print_json(app_ctx.env, {"index": info.name, "model": info.embed_model, "mode": mode,
                                 "rerank": rerank, "query": text,
                                 "hits": [h.to_json() for h in hits]})
        return
    shown = f"{mode} + local rerank" if rerank else mode
    head = f"{info.name} · {info.embed_model} · {shown} · {info.chunks} chunks"
    print_hits(app_ctx.env, hits, head, full=full)
