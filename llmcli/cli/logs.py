"""`llmcli logs`: the SQLite log of every exchange."""

from __future__ import annotations

from pathlib import Path

import typer

from llmcli.cli.app import app
from llmcli.cli.context import app_context

logs_app = typer.Typer(help="Browse, search and export the log of exchanges.\n\n"
                       "Example: llmcli logs list -n 5", no_args_is_help=True)
app.add_typer(logs_app, name="logs")


@logs_app.command("list")
def logs_list(
    ctx: typer.Context,
    count: int = typer.Option(20, "-n", "--count", min=1, help="How many, newest first."),
    conversation: str | None = typer.Option(None, "--cid", help="Only this conversation."),
    batch: str | None = typer.Option(None, "--batch", help="Only this batch run."),
    comparison: str | None = typer.Option(None, "--comparison", help="Only this comparison."),
    model: str | None = typer.Option(
        None, "-m", "--model", help="Only this model (provider:model, an alias), or every "
        "model of a provider (-m groq)."),
    schema: str | None = typer.Option(
        None, "--schema", help="Only exchanges asked for this schema (a saved name, a file, "
        "inline JSON or the concise form)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List recent exchanges. Example: llmcli logs list -n 5 -m groq"""
    from llmcli.cli.schema_input import load_schema, saved
    from llmcli.exchange.schema import stored_form
    from llmcli.ui.logs_view import print_rows

    app_ctx = app_context(ctx)
    wanted = load_schema(schema, None, saved(app_ctx))
    model, provider = _model_filter(app_ctx, model)
    for column, value, what in (("conversation_id", conversation, "conversation"),
                                ("batch_id", batch, "batch run"),
                                ("comparison_id", comparison, "comparison")):
        if value and not app_ctx.logs.count_with(column, value):
            from llmcli.core.errors import InvalidInput

            raise InvalidInput(f"no {what} with id '{value}' in the log",
                               hint="see 'llmcli logs list' for the ids")
    rows = app_ctx.logs.list(
        limit=count,
        conversation_id=conversation,
        batch_id=batch,
        comparison_id=comparison,
        model=model,
        provider=provider,
        schema=stored_form(wanted) if wanted is not None else None,
    )
    print_rows(app_ctx.env, rows, as_json=as_json)


def _model_filter(app_ctx, spec: str | None) -> tuple[str | None, str | None]:
    """-m as every command takes it: (model, provider) to filter on. A provider (or named
    endpoint) alone means all its models; an alias means the model it names."""
    from llmcli.core.registry import provider_names

    if not spec or ":" in spec:
        return spec, None
    if spec in provider_names() or spec in app_ctx.settings.endpoints:
        return None, spec
    if spec in app_ctx.registry.aliases():
        return str(app_ctx.registry.resolve(spec)), None
    return spec, None


@logs_app.command("data")
def logs_data(
    ctx: typer.Context,
    count: int = typer.Option(20, "-n", "--count", min=1, help="How many exchanges, newest first."),
    model: str | None = typer.Option(None, "-m", "--model", help="Only this model."),
    schema: str | None = typer.Option(
        None, "--schema", help="Only replies to this schema (a file, inline JSON or the "
        "concise form, as given to prompt --schema)."),
    schema_multi: str | None = typer.Option(
        None, "--schema-multi", help="Only replies to this --schema-multi schema."),
    data_key: str | None = typer.Option(
        None, "--data-key", help="Print each item of this array key (e.g. items) on its own line."),
) -> None:
    """The JSON documents of past structured replies (prompt --schema), one per line, oldest
    first. Example: llmcli logs data --schema-multi 'capital, país' --data-key items"""
    import json

    from llmcli.cli.schema_input import load_schema, saved
    from llmcli.exchange.schema import parse_document, stored_form

    app_ctx = app_context(ctx)
    wanted = load_schema(schema, schema_multi, saved(app_ctx))
    rows = app_ctx.logs.structured(limit=count, model=model,
                                   schema=stored_form(wanted) if wanted is not None else None)
    out = app_ctx.env.stdout
    for row in rows:
        doc = parse_document(row["reply"] or "")
        if doc is None:
            continue
        items = doc.get(data_key) if data_key and isinstance(doc, dict) else [doc]
        for item in items if isinstance(items, list) else []:
            out.write(json.dumps(item, ensure_ascii=False) + "\n")
    out.flush()


@logs_app.command("show")
def logs_show(
    ctx: typer.Context,
    exchange_id: int = typer.Argument(..., help="The id from 'llmcli logs list'."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show one exchange in full. Example: llmcli logs show 12"""
    from llmcli.core.errors import InvalidInput
    from llmcli.ui.logs_view import print_exchange
    from llmcli.ui.tables import print_json

    app_ctx = app_context(ctx)
    row = app_ctx.logs.get(exchange_id, expand=False)
    if row is None:
        raise InvalidInput(f"no exchange with id {exchange_id}", hint="see 'llmcli logs list'")
    fragments, attachments = app_ctx.logs.inputs_of(exchange_id)
    if as_json:
        print_json(app_ctx.env, {**row, "fragments": fragments, "attachments": attachments})
    else:
        print_exchange(app_ctx.env, row, fragments, attachments)


@logs_app.command("search")
def logs_search(
    ctx: typer.Context,
    text: str = typer.Argument(..., help="Words to find in prompts, replies and system prompts."),
    count: int = typer.Option(20, "-n", "--count", min=1, help="How many, best match first."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Full-text search of the log. Example: llmcli logs search "capital France" """
    from llmcli.ui.logs_view import print_rows

    app_ctx = app_context(ctx)
    print_rows(app_ctx.env, app_ctx.logs.search(text, limit=count), as_json=as_json)


@logs_app.command("export")
def logs_export(
    ctx: typer.Context,
    jsonl: bool = typer.Option(True, "--jsonl", help="One JSON object per line (the only format)."),
    output: Path | None = typer.Option(
        None, "-O", "--output", help="Write to this file, not stdout."
    ),
    conversation: str | None = typer.Option(None, "--cid", help="Only this conversation."),
    batch: str | None = typer.Option(None, "--batch", help="Only this batch run."),
) -> None:
    """Export the log as JSON lines. Example: llmcli logs export --jsonl > log.jsonl"""
    import json

    app_ctx = app_context(ctx)
    rows = app_ctx.logs.iter_all(conversation_id=conversation, batch_id=batch)
    if output is None:
        out = app_ctx.env.stdout
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        out.flush()
        return
    tmp = output.with_name(output.name + ".part")
    with tmp.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    tmp.replace(output)


@logs_app.command("rm")
def logs_rm(ctx: typer.Context, exchange_id: int = typer.Argument(
        ..., help="The id from 'llmcli logs list'.")) -> None:
    """Delete one exchange from the log. Example: llmcli logs rm 12"""
    from llmcli.core.errors import InvalidInput

    app_ctx = app_context(ctx)
    if not app_ctx.logs.remove(exchange_id):
        raise InvalidInput(f"no exchange with id {exchange_id}", hint="see 'llmcli logs list'")
    app_ctx.env.stderr.write(f"Removed exchange {exchange_id}\n")


@logs_app.command("path")
def logs_path(ctx: typer.Context) -> None:
    """Print the location of the logs database. Example: sqlite3 "$(llmcli logs path)" .tables"""
    app_ctx = app_context(ctx)
    app_ctx.env.stdout.write(f"{app_ctx.paths.logs_db}\n")


@logs_app.command("conversations")
def logs_conversations(
    ctx: typer.Context,
    count: int = typer.Option(20, "-n", "--count", min=1, help="How many, most recent first."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List chat conversations. Example: llmcli logs conversations -n 5"""
    from llmcli.ui.chat_view import ChatView
    from llmcli.ui.tables import print_json

    app_ctx = app_context(ctx)
    rows = app_ctx.logs.conversations(limit=count)
    if as_json:
        print_json(app_ctx.env, rows)
    else:
        ChatView(app_ctx.env).conversations(rows)


@logs_app.command("conversation")
def logs_conversation(
    ctx: typer.Context,
    conversation_id: str | None = typer.Argument(None, help="Its id; the most recent if left out."),
    as_json: bool = typer.Option(False, "--json", help="The exchanges as a JSON list."),
) -> None:
    """Show a conversation turn by turn. Example: llmcli logs conversation 3f2a9c1e7b20"""
    from llmcli.core.errors import InvalidInput
    from llmcli.ui.chat_view import ChatView
    from llmcli.ui.tables import print_json

    app_ctx = app_context(ctx)
    cid = conversation_id or app_ctx.logs.latest_conversation()
    rows = list(app_ctx.logs.iter_all(conversation_id=cid)) if cid else []
    if not rows:
        what = f"no conversation with id '{cid}'" if cid else "no conversations yet"
        raise InvalidInput(what, hint="see 'llmcli logs conversations'")
    if as_json:
        print_json(app_ctx.env, rows)
    else:
        ChatView(app_ctx.env).transcript(str(cid), rows)


# `logs rerun` lives in its own module (it asks models); registered with the rest of `logs`.
from llmcli.cli import logs_rerun  # noqa: E402, F401
