"""`llmcli keys`: store, list and remove API keys (file mode 0600 in the config dir)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from llmcli.cli.app import app
from llmcli.cli.context import app_context
from llmcli.cli.flags import json_option

if TYPE_CHECKING:
    from llmcli.app_context import AppContext

keys_app = typer.Typer(help="Manage API keys.\n\nExample: llmcli keys set groq",
                       no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("set")
def keys_set(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Provider or endpoint name, e.g. groq, gemini, openai."),
    value: str | None = typer.Option(
        None,
        "--value",
        help="The key (avoid: it lands in shell history). Default: prompt or stdin.",
    ),
) -> None:
    """Store a key. Reads it hidden from the terminal, or from stdin when piped.

    Example: llmcli keys set groq   (then paste the key)
    """
    from llmcli.cli.inputs import decode_utf8
    from llmcli.core.errors import InvalidInput, mask

    app_ctx = app_context(ctx)
    env = app_ctx.env
    _check_name(app_ctx, name)  # before the key is asked for
    if value is None:
        if env.stdin_isatty:
            import getpass

            value = getpass.getpass(f"Key for {name}: ", stream=env.stderr)
        else:
            value = decode_utf8(env.stdin.read(), "stdin")
    value = (value or "").strip()
    if not value:
        raise InvalidInput(
            "empty key", hint=f"paste the key, or: echo $KEY | llmcli keys set {name}"
        )
    app_ctx.keys.set(name, value)
    env.stderr.write(f"Saved key for {name} ({mask(value)}) in {app_ctx.paths.keys_file}\n")


def _check_name(app_ctx: AppContext, name: str) -> None:
    """A key is stored for a provider that takes one, or a named endpoint; a typo is refused
    with the closest name (`grok` -> `groq`)."""
    import difflib

    from llmcli.core.errors import InvalidInput
    from llmcli.core.registry import provider_class, provider_names

    keyed = [p for p in provider_names() if provider_class(p).key_env]
    names = keyed + list(app_ctx.settings.endpoints)
    if name in names:
        return
    if name in provider_names():
        raise InvalidInput(f"provider '{name}' needs no API key")
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.5)
    hint = f"did you mean '{close[0]}'?" if close else f"one of: {', '.join(sorted(names))}"
    raise InvalidInput(f"unknown provider '{name}'", hint=hint)


@keys_app.command("list")
def keys_list(ctx: typer.Context, as_json: bool = json_option()) -> None:
    """List stored keys (masked) and the environment variables that are set.

    Example: llmcli keys list
    """
    from llmcli.cli.model_listing import key_status
    from llmcli.core.errors import mask
    from llmcli.core.registry import provider_names
    from llmcli.ui.tables import print_json, print_table

    app_ctx = app_context(ctx)
    names = sorted(
        set(provider_names()) | set(app_ctx.keys.names()) | set(app_ctx.settings.endpoints)
    )
    rows = []
    for name in names:
        stored = app_ctx.keys.get(name)
        try:
            status = key_status(app_ctx, name)
        except Exception:
            status = "keys file" if stored else "missing"
        rows.append({"name": name, "source": status, "stored": mask(stored) if stored else None})
    if as_json:
        print_json(app_ctx.env, rows)
    else:
        print_table(
            app_ctx.env,
            ["name", "in use", "stored key"],
            [(r["name"], r["source"], r["stored"]) for r in rows],
        )


@keys_app.command("remove")
def keys_remove(ctx: typer.Context, name: str = typer.Argument(
        ..., help="Provider or endpoint name.")) -> None:
    """Remove a stored key. Example: llmcli keys remove groq"""
    from llmcli.core.errors import InvalidInput

    app_ctx = app_context(ctx)
    if not app_ctx.keys.remove(name):
        raise InvalidInput(f"no stored key named '{name}'", hint="see 'llmcli keys list'")
    app_ctx.env.stderr.write(f"Removed key for {name}\n")


@keys_app.command("path")
def keys_path(ctx: typer.Context) -> None:
    """Print where keys are stored. Example: llmcli keys path"""
    app_ctx = app_context(ctx)
    app_ctx.env.stdout.write(f"{app_ctx.paths.keys_file}\n")
