"""`llmcli models`: providers, their models and capabilities, and whether a key is set."""

from __future__ import annotations

import typer

from llmcli.cli.app import app
from llmcli.cli.context import app_context


@app.command()
def models(
    ctx: typer.Context,
    provider: str | None = typer.Argument(None, help="Only this provider (or named endpoint)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    offline: bool = typer.Option(
        False, "--offline", help="Use the built-in lists only, no network."
    ),
) -> None:
    """List providers and models with capabilities, context window, price and key status.

    Example: llmcli models groq --json
    """
    from llmcli.cli.model_listing import collect
    from llmcli.ui.tables import print_json, print_table

    app_ctx = app_context(ctx)
    rows = collect(app_ctx, only=provider, offline=offline)
    if as_json:
        print_json(app_ctx.env, rows)
        return
    print_table(
        app_ctx.env,
        ["model", "context", "$/M in", "$/M out", "capabilities", "key"],
        [
            (
                f"{r['provider']}:{r['id']}",
                r["context_window"],
                r["price_in"],
                r["price_out"],
                ", ".join(r["capabilities"]),
                r["key"],
            )
            for r in rows
        ],
    )
