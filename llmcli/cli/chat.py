"""`llmcli chat`: an interactive multi-turn chat (or, with piped stdin, one reply per line)."""

from __future__ import annotations

import typer

from llmcli.cli.app import app
from llmcli.cli.context import KEY_HELP, TIMEOUT_HELP, app_context

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
) -> None:
    """Chat with a model. Type /help inside for commands.

    Examples:

    \b
    llmcli chat -m groq
    llmcli chat -c                         (go on with the last conversation)
    printf 'hi\\nmore\\n' | llmcli chat      (piped: one reply per line)
    """
    from llmcli.chat.history import restore
    from llmcli.chat.repl import run_conversation
    from llmcli.chat.session import ChatSession
    from llmcli.core.options import parse_pairs
    from llmcli.exchange.request import accepted_options, validate_options
    from llmcli.ui.chat_view import ChatView

    app_ctx = app_context(ctx, key, timeout=timeout)
    env = app_ctx.env
    restored = restore(app_ctx.logs, cid) if (cont or cid) else None
    ref = app_ctx.registry.resolve(model or (restored.model if restored else None))
    values: dict = {}
    if restored:  # keep what the (new) model takes
        values, _ = accepted_options(ref, restored.options)
    values.update(parse_pairs(option))
    validate_options(ref, values)  # a bad -o is a one-line error before anything starts
    app_ctx.registry.provider(ref)  # a missing key fails now, not at the first message
    session = ChatSession(
        app_ctx,
        ref,
        system=system if system is not None else (restored.system if restored else None),
        option_values=values,
        conversation_id=restored.conversation_id if restored else "",
        log=not no_log,
        window_override=context_window,
    )
    if restored:
        session.turns = restored.turns
        session.pending = restored.pending
    session.recount()
    view = ChatView(env, info_to_stderr=not (env.stdin_isatty and env.stdout_isatty), plain=plain)
    code = run_conversation(session, view, env)
    if code:
        raise typer.Exit(code)
