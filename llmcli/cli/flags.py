"""The flags that mean the same in every command, defined once (README: Conventions).

Each helper returns a fresh `typer.Option` so a command writes `jobs: int = jobs_option(4)`.
"""

from __future__ import annotations

from typing import Any

import typer

from llmcli.cli.context import KEY_HELP

JOBS_HELP = "Requests at once."
DRY_RUN_HELP = "Show what would be sent; send nothing."
PNG_HELP = "Save the view as a PNG image (labelled with the optional 'llmcli[png]' extra)."
PROMPT_ARG_HELP = "The prompt; '-' or nothing reads stdin (piped stdin comes first)."
JSON_HELP = "Print JSON."


def json_option(help: str = JSON_HELP) -> Any:
    """--json: print JSON instead of the view."""
    return typer.Option(False, "--json", help=help)


def jobs_option(default: int | None, *, high: int = 256, help: str = JOBS_HELP) -> Any:
    """-j/--jobs N: how many requests run at once."""
    return typer.Option(default, "-j", "--jobs", min=1, max=high, help=help)


def top_option(default: int, what: str, *, high: int = 100) -> Any:
    """-n/--top N: how many of the best-ranked items to show (`what` names them)."""
    return typer.Option(default, "-n", "--top", min=1, max=high, help=f"How many {what} to show.")


def key_option() -> Any:
    """--key KEY: the API key for this run (for every provider the run calls)."""
    return typer.Option(None, "--key", help=KEY_HELP)


def dry_run_option(*extra: str) -> Any:
    """--dry-run: show what would be sent; send nothing."""
    return typer.Option(False, *extra, "--dry-run", help=DRY_RUN_HELP)


def png_option() -> Any:
    """--png FILE: save the view as an image (the command's parameter is a `Path | None`)."""
    return typer.Option(None, "--png", help=PNG_HELP)
