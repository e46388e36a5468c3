"""`llmcli models`: providers, their models and capabilities, and whether a key is set."""

from __future__ import annotations

import typer

from llmcli.cli.app import app
from llmcli.cli.context import TIMEOUT_HELP, app_context
from llmcli.cli.flags import key_option
from llmcli.core.errors import AuthError, InvalidInput


@app.command()
def models(
    ctx: typer.Context,
    timeout: float | None = typer.Option(None, "--timeout", min=0.001, max=3600,
                                         help=TIMEOUT_HELP),
    key: str | None = key_option(),
    provider: str | None = typer.Argument(None, help="Only this provider (or named endpoint)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    offline: bool = typer.Option(
        False, "--offline", help="Use the built-in lists only, no network."
    ),
    refresh: bool = typer.Option(
        False,
        "--refresh",
        help="Save the live lists fetched (with their date) to the cache that picks default "
        "models.",
    ),
) -> None:
    """List providers and models with capabilities, context window, price, retirement date
    and key status.

    Example: llmcli models groq --json
    """
    from llmcli.cli.model_listing import collect, sources_line
    from llmcli.ui.console import note_line
    from llmcli.ui.models_table import print_models
    from llmcli.ui.tables import print_json

    if refresh and offline:
        raise InvalidInput("--refresh needs the network", hint="drop --offline")
    app_ctx = app_context(ctx, key, timeout=timeout)
    failures: list = []
    rows = collect(app_ctx, only=provider, offline=offline, refresh=refresh, failures=failures)
    if as_json:
        print_json(app_ctx.env, rows)
    else:
        print_models(app_ctx.env, rows)
        note_line(app_ctx.env, sources_line(app_ctx, rows))
    # A rejected key is the user's to fix: the list still prints, the exit code says so (4).
    # Other failures (no network, a 5xx) only warn: the built-in list is the answer then.
    rejected = [f for f in failures if isinstance(f, AuthError)]
    if rejected:
        raise typer.Exit(rejected[0].exit_code)
