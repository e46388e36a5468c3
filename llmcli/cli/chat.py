"""`llmcli chat`: an interactive multi-turn chat (or, with piped stdin, one reply per line)."""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from llmcli.cli import tool_flags as tf
from llmcli.cli.app import app
from llmcli.cli.context import KEY_HELP, TIMEOUT_HELP, app_context
from llmcli.cli.exchange_flags import cache_option, hide_reasoning_option
from llmcli.cli.input_options import attach_option, fragment_option, system_fragment_option

if TYPE_CHECKING:
    from llmcli.app_context import AppContext
    from llmcli.core.registry import ModelRef
    from llmcli.exchange.tool_loop import ToolSession

MODEL_HELP = "Model as provider:model, a provider, an alias or a named endpoint."


@app.command()
def chat(
    ctx: typer.Context,
    timeout: float | None = typer.Option(None, "--timeout", min=0.001, max=3600,
                                         help=TIMEOUT_HELP),
    model: str | None = typer.Option(None, "-m", "--model", help=MODEL_HELP),
    system: str | None = typer.Option(None, "-s", "--system", help="System prompt."),
    option: list[str] | None = typer.Option(
        None, "-o", "--option",
        help="Option key=value: temperature, top_p, top_k, max_tokens, seed, stop.",
    ),
    cont: bool = typer.Option(
        False, "-c", "--continue", help="Continue the most recent conversation."
    ),
    cid: str | None = typer.Option(None, "--cid", help="Continue the conversation with this id."),
    no_log: bool = typer.Option(False, "--no-log", help="Do not record the exchanges."),
    plain: bool = typer.Option(False, "--plain", help="No Markdown rendering of replies."),
    context_window: int | None = typer.Option(
        None, "--context-window", min=1, help="The model's context window in tokens, when llmcli "
        "does not know it (e.g. an Ollama model) or to stay under a smaller budget."
    ),
    key: str | None = typer.Option(None, "--key", help=KEY_HELP),
    fragment: list[str] | None = fragment_option(),
    system_fragment: list[str] | None = system_fragment_option(),
    attach: list[str] | None = attach_option(),
    hide_reasoning: bool = hide_reasoning_option(),
    cache: bool = cache_option(),
    tool: list[str] | None = tf.tool_option(),
    functions: list[Path] | None = tf.functions_option(),
    chain_limit: int = tf.chain_limit_option(),
    tools_approve: bool = tf.approve_option(),
    tools_debug: bool = tf.debug_option(),
    tools_timeout: float = tf.timeout_option(),
) -> None:
    """Chat with a model. Type /help inside for commands; /attach PATH adds an image, PDF or
    audio file to your next message. -f fragments join the first message, --sf the system
    prompt.

    Examples:

    \b
    llmcli chat -m groq
    llmcli chat -c                         (go on with the last conversation)
    printf 'hi\\nmore\\n' | llmcli chat      (piped: one reply per line)
    """
    from llmcli.chat.history import restore
    from llmcli.core.options import parse_pairs
    from llmcli.exchange.request import accepted_options, validate_options

    app_ctx = app_context(ctx, key, timeout=timeout)
    restored = restore(app_ctx.logs, cid) if (cont or cid) else None
    ref = app_ctx.registry.resolve(model or (restored.model if restored else None))
    values: dict = {}
    if restored:  # keep what the (new) model takes
        values, _ = accepted_options(ref, restored.options)
    values.update(parse_pairs(option))
    validate_options(ref, values)  # a bad -o is a one-line error before anything starts
    app_ctx.registry.provider(ref)  # a missing key fails now, not at the first message
    targs = tf.ToolArgs(tool, functions, chain_limit, tools_approve, tools_debug, tools_timeout)
    if targs.wanted:
        from llmcli.exchange.request import check_tools

        check_tools(ref)
    with tf.open_tools(app_ctx, targs) or nullcontext() as tool_set:
        tools = tf.session(app_ctx, targs, tool_set) if tool_set is not None else None
        extras = _Extras(fragment, system_fragment, attach, hide_reasoning, cache)
        code = _converse(app_ctx, ref, restored, values, system, no_log, context_window, plain,
                         tools, extras)
    if code:
        raise typer.Exit(code)


@dataclass(frozen=True)
class _Extras:
    """The request features chat passes on to its session: -f, --sf, -a, reasoning, cache."""

    fragment: list[str] | None
    system_fragment: list[str] | None
    attach: list[str] | None
    hide_reasoning: bool
    cache: bool


def _converse(app_ctx: AppContext, ref: ModelRef, restored: Any, values: dict[str, Any],
              system: str | None, no_log: bool, context_window: int | None, plain: bool,
              tools: ToolSession | None, extras: _Extras) -> int:
    from llmcli.chat.repl import run_conversation
    from llmcli.chat.session import ChatSession
    from llmcli.ui.chat_view import ChatView

    env = app_ctx.env
    session = ChatSession(
        app_ctx,
        ref,
        system=system if system is not None else (restored.system if restored else None),
        option_values=values,
        conversation_id=restored.conversation_id if restored else "",
        log=not no_log,
        window_override=context_window,
        hide_reasoning=extras.hide_reasoning,
        cache=extras.cache,
        tools=tools,
    )
    if restored:
        session.turns = restored.turns
        session.pending = restored.pending
        session.fragments = list(restored.fragments)
    if extras.fragment or extras.system_fragment or extras.attach:
        from llmcli.cli.input_options import join_chat

        join_chat(session, extras.fragment, extras.system_fragment, extras.attach)
    session.recount()
    view = ChatView(env, info_to_stderr=not (env.stdin_isatty and env.stdout_isatty), plain=plain)
    return run_conversation(session, view, env)
