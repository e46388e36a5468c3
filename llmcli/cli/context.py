"""The AppContext of one invocation, with the screen hooks only the command layer knows."""

from __future__ import annotations

from typing import TYPE_CHECKING

# Where command modules have always found it; it lives below the command layer now.
from llmcli.app_context import AppContext

if TYPE_CHECKING:
    import typer

__all__ = ["KEY_HELP", "TIMEOUT_HELP", "AppContext", "app_context"]

# A key given as an argument shows in `ps` and the shell history: `-` reads it from stdin.
KEY_HELP = ("API key for this run (beats env and keys file); '-' reads it from stdin "
            "(an argument shows in ps).")

# One --timeout everywhere a provider is called: same name, same meaning.
TIMEOUT_HELP = ("Seconds the provider may stay silent before giving up (default 30; "
                "env LLMCLI_TIMEOUT).")


def app_context(
    ctx: typer.Context, key: str | None = None, timeout: float | None = None
) -> AppContext:
    """The AppContext for this invocation; `key` and `timeout` are the command's --key and
    --timeout, if it has them."""
    from llmcli.ui.console import warn_line
    from llmcli.ui.progress import ConversionProgress

    env = ctx.find_root().obj
    if key == "-":
        from llmcli.cli.inputs import read_key

        key = read_key(env)

    def notice(line: str) -> None:
        warn_line(env, line)

    hooks = {
        "local": {"progress": ConversionProgress(env)},
        # every adapter: one-line warnings (retiring models, llama.cpp fallback), and where
        # once-a-day warnings keep their state
        "*": {"notice": notice, "state_dir": str(env.paths.data_dir)},
    }
    app = AppContext(env, explicit_key=key, hooks=hooks, timeout=timeout)
    ctx.call_on_close(app.close)
    return app
