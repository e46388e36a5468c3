"""Token and embedding commands: `tokenize`, `detokenize`, `embed`, `similar`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from llmcli.cli.app import app
from llmcli.cli.context import TIMEOUT_HELP, app_context
from llmcli.cli.flags import key_option, png_option, top_option

if TYPE_CHECKING:
    from llmcli.app_context import AppContext
    from llmcli.core.registry import ModelRef

MODELS_HELP = "Model (repeat for several): provider:model, an alias, or o200k_base / cl100k_base."


@app.command()
def tokenize(
    ctx: typer.Context,
    text: str | None = typer.Argument(
        None, help="The text; '-' or nothing reads stdin (streamed)."),
    model: list[str] | None = typer.Option(None, "-m", "--model", help=MODELS_HELP),
    ids: bool = typer.Option(False, "--ids", help="Print the token ids only."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON: count, tokens, tokenizer."),
    limit: int | None = typer.Option(None, "--limit", help="Keep at most N tokens per model."),
    key: str | None = key_option(),
    png: Path | None = png_option(),
) -> None:
    """Show how models cut text into tokens: pieces, ids, count, characters per token.

    Example: llmcli tokenize "your cat is a lovely cat" -m local -m openai:gpt-4o-mini -m groq
    """
    from llmcli.core.errors import LlmcliError
    from llmcli.inspect import tokens as tk
    from llmcli.ui.inspect_view import DISPLAY_LIMIT, render_token_views
    from llmcli.ui.tables import print_json

    app_ctx = app_context(ctx, key)
    env = app_ctx.env
    specs = model or [None]
    streaming = text is None or text == "-"
    if streaming and env.stdin_isatty:
        from llmcli.core.errors import InvalidInput

        raise InvalidInput("no text to tokenize", hint='give it as an argument or pipe it: '
                           'cat notes.txt | llmcli tokenize')
    if limit is not None and limit < 0:
        from llmcli.core.errors import InvalidInput

        raise InvalidInput("--limit must be 0 or more")
    keep = limit if limit is not None else (None if as_json else DISPLAY_LIMIT)
    if ids:
        keep = 0 if limit is None else limit
    body: str | None = None if streaming else text
    if streaming and len(specs) > 1:
        body = "".join(tk.iter_blocks(env.stdin))  # several passes over stdin need it whole
    views = []
    for spec in specs:
        chunks = tk.iter_blocks(env.stdin) if body is None else tk.iter_string(body)
        try:
            views.append(_one_view(app_ctx, spec, chunks, keep, ids, len(specs) > 1))
        except LlmcliError as exc:
            if len(specs) == 1:
                raise
            views.append(tk.view_error(spec or "default", exc))  # the others still show
    if png is not None:  # drawn before the output, as in every view: a bad path fails first
        tk_png().tokens_png(png, views)
    if ids:
        from llmcli.ui.console import error_line

        for v in views:
            if v.error:
                error_line(env, f"{v.model}: {v.error}")
    elif as_json:
        print_json(env, {"views": [v.to_json() for v in views]})
    else:
        render_token_views(env, views)
    _saved(env, png)
    failed = [v.exit_code for v in views if v.error]
    if failed:
        raise typer.Exit(failed[0])  # the rows were shown; the exit code still tells


def _one_view(app_ctx: AppContext, spec: str | None, chunks, keep: int | None, ids: bool,
              several: bool):
    from llmcli.inspect import tokens as tk

    env = app_ctx.env
    choice = _choose(app_ctx, spec, tk)
    writer = _IdWriter(env, prefix=f"{choice.model}: " if several else "") if ids else None
    try:
        view = tk.run_view(choice, chunks, keep, on_ids=writer)
    finally:
        if writer is not None:
            writer.end()
    if writer is not None and choice.backend is None:  # a count API: no ids to print
        env.stdout.write(f"# {choice.model}: {view.count} tokens (the API gives no ids)\n")
    return view


def _choose(app_ctx: AppContext, spec: str | None, tk):
    from llmcli.inspect.local_access import local_tokenizer

    return tk.choose(spec, app_ctx.registry, app_ctx.paths.cache_dir,
                     local_tokenizer=lambda ref: local_tokenizer(app_ctx.registry, ref))


class _IdWriter:
    """Writes ids as they stream out of the tokenizer: space-separated, one line per model."""

    def __init__(self, env, prefix: str = ""):
        self.out = env.stdout
        self.first = True
        self.out.write(prefix)

    def __call__(self, ids: list[int]) -> None:
        if not ids:
            return
        text = " ".join(map(str, ids))
        self.out.write(text if self.first else " " + text)
        self.first = False

    def end(self) -> None:
        self.out.write("\n")
        self.out.flush()


@app.command()
def detokenize(
    ctx: typer.Context,
    token_ids: list[str] | None = typer.Argument(
        None, help="Token ids; '-' or nothing reads stdin."),
    model: str | None = typer.Option(None, "-m", "--model", help="Model or encoding (o200k_base)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON: text and each token's piece."),
) -> None:
    """Turn token ids back into text.

    Example: llmcli tokenize "olá mundo" --ids | llmcli detokenize
    """
    from llmcli.inspect import tokens as tk
    from llmcli.ui.tables import print_json

    app_ctx = app_context(ctx)
    env = app_ctx.env
    words = [w for w in token_ids or [] if w != "-"]
    if not words and not env.stdin_isatty:
        from llmcli.cli.inputs import decode_utf8

        words = decode_utf8(env.stdin.read(), "stdin").split()
    numbers = parse_ids(words)
    choice = _choose(app_ctx, model, tk)
    if choice.backend is None:
        from llmcli.core.errors import Unsupported

        raise Unsupported(f"{choice.model} has no local tokenizer to decode ids with",
                          hint="use -m local or an OpenAI encoding such as o200k_base")
    text = choice.backend.decode(numbers)
    if as_json:
        print_json(env, {
            "model": choice.model, "tokenizer": choice.tokenizer, "text": text,
            "tokens": [{"id": i, "piece": p, "text": t} for i, p, t in zip(
                numbers, choice.backend.pieces(numbers), choice.backend.texts(numbers),
                strict=True)],
        })
        return
    env.stdout.write(text + "\n")
    env.stdout.flush()


def tk_png():
    from llmcli.ui import png

    return png


def _saved(env, path: Path | None) -> None:
    if path is not None:
        from llmcli.ui.console import warn_line

        warn_line(env, f"saved {path}")


def parse_ids(words: list[str]) -> list[int]:
    """'105 4242', '105,4242' and '[105, 4242]' all give [105, 4242]."""
    from llmcli.core.errors import InvalidInput

    out = []
    for word in words:
        for part in word.replace(",", " ").replace("[", " ").replace("]", " ").split():
            try:
                out.append(int(part))
            except ValueError:
                raise InvalidInput(
                    f"'{part}' is not a token id",
                    hint="give whole numbers, e.g. llmcli detokenize 105 4242") from None
    if not out:
        raise InvalidInput("no token ids given", hint="e.g. llmcli detokenize 105 4242")
    return out


# -- embeddings ----------------------------------------------------------------------------------
def embedding_target(app_ctx: AppContext, spec: str | None) -> tuple[ModelRef, str, object]:
    from llmcli.exchange.request import resolve_embedding

    return resolve_embedding(app_ctx.registry, spec)


def embedder_identity(ref: ModelRef, name: str, provider: object) -> str:
    from llmcli.exchange.request import embedder_identity as identity

    return identity(ref, name, provider)


def _cache(app_ctx: AppContext):
    from llmcli.inspect.embeddings import EmbeddingCache

    return EmbeddingCache(app_ctx.paths.data_dir / "embeddings.db")


@app.command()
def embed(
    ctx: typer.Context,
    timeout: float | None = typer.Option(None, "--timeout", min=0.001, max=3600,
                                         help=TIMEOUT_HELP),
    key: str | None = key_option(),
    texts: list[str] | None = typer.Argument(
        None, help="Texts to embed; '-' or nothing reads stdin, one per line."),
    model: str | None = typer.Option(None, "-m", "--model", help="Embedding model or provider."),
    as_json: bool = typer.Option(False, "--json", help="Print the vectors as JSON."),
    png: Path | None = png_option(),
) -> None:
    """Embed texts: dimension, norm, first values, and a cosine-similarity matrix for several.

    Example: llmcli embed "gato" "cat" "carro" -m gemini
    """
    from llmcli.inspect.embeddings import embed_cached, embed_result
    from llmcli.ui.inspect_view import render_embeddings
    from llmcli.ui.tables import print_json

    app_ctx = app_context(ctx, key, timeout=timeout)
    env = app_ctx.env
    items = [t for t in texts or [] if t != "-"]
    if not items and not env.stdin_isatty:
        from llmcli.cli.inputs import decode_utf8

        lines = decode_utf8(env.stdin.read(), "stdin").splitlines()
        items = [x.strip() for x in lines if x.strip()]
    if not items:
        from llmcli.core.errors import InvalidInput

        raise InvalidInput("nothing to embed", hint='e.g. llmcli embed "cat" "dog" -m gemini')
    ref, name, provider = embedding_target(app_ctx, model)
    key = embedder_identity(ref, name, provider)
    cache = _cache(app_ctx)
    try:
        got = embed_cached(lambda batch: provider.embed(batch, name), key, items, cache)
    finally:
        cache.close()
    result = embed_result(f"{ref.provider}:{name}", items, got.vectors)
    if png is not None:
        tk_png().similarity_png(png, result.model, result.texts, result.similarity)
    if as_json:
        print_json(env, result.to_json())
    else:
        render_embeddings(env, result)
    _saved(env, png)


@app.command()
def similar(
    ctx: typer.Context,
    timeout: float | None = typer.Option(None, "--timeout", min=0.001, max=3600,
                                         help=TIMEOUT_HELP),
    key: str | None = key_option(),
    query: str = typer.Argument(..., help="What to look for."),
    file: Path = typer.Option(..., "--file", "-f", help="A UTF-8 file, one text per line."),
    model: str | None = typer.Option(None, "-m", "--model", help="Embedding model or provider."),
    top: int = top_option(5, "nearest lines"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """The lines of a file nearest in meaning to a query (each line embedded once, cached).

    Example: llmcli similar "receitas com frango" --file cardapio.txt -m gemini --top 5
    """
    from llmcli.inspect.embeddings import read_lines
    from llmcli.inspect.embeddings import similar as rank
    from llmcli.ui.inspect_view import render_similar
    from llmcli.ui.tables import print_json

    app_ctx = app_context(ctx, key, timeout=timeout)
    lines = read_lines(file)
    ref, name, provider = embedding_target(app_ctx, model)
    key = embedder_identity(ref, name, provider)
    cache = _cache(app_ctx)
    try:
        result = rank(lambda batch: provider.embed(batch, name), key, query, lines, top, cache)
    finally:
        cache.close()
    if as_json:
        print_json(app_ctx.env, result.to_json())
    else:
        render_similar(app_ctx.env, result)
