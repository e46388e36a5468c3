"""Flags shared by prompt, chat and compare for reasoning and the response cache: defined once,
so the same flag means the same thing everywhere."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

import typer

if TYPE_CHECKING:
    from llmcli.environment import Environment

W = TypeVar("W")

HIDE_REASONING_HELP = ("Do not show the model's reasoning (it is still logged); shown dimmed "
                       "on stderr otherwise.")
CACHE_HELP = ("Answer an identical earlier request (model, messages, options, schema) from "
              "the log, without calling the provider.")


def hide_reasoning_option() -> bool:
    return typer.Option(False, "--hide-reasoning", help=HIDE_REASONING_HELP)


def cache_option() -> bool:
    return typer.Option(False, "--cache", help=CACHE_HELP)


def exchange_hooks(env: Environment, writer: W, *, hide_reasoning: bool,
                   cache: bool) -> tuple[W, dict[str, Any]]:
    """The writer (the answer starts below the reasoning) and the `run_exchange` keywords for
    these flags."""
    from llmcli.ui.reasoning import ReasoningFirst, reasoning_stream

    stream = reasoning_stream(env, hide=hide_reasoning)
    if stream is None:
        return writer, {"cache": cache}
    return ReasoningFirst(writer, stream), {"on_reasoning": stream, "cache": cache}  # type: ignore[return-value]
