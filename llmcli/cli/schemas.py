"""`llmcli schemas`: JSON Schemas saved by name, usable wherever --schema takes one."""

from __future__ import annotations

import typer

from llmcli.cli.app import app
from llmcli.cli.context import app_context
from llmcli.cli.flags import json_option

schemas_app = typer.Typer(help="Save, list and show named JSON Schemas for --schema.\n\n"
                          "Example: llmcli schemas list",
                          no_args_is_help=True)
app.add_typer(schemas_app, name="schemas")


@schemas_app.command("save")
def schemas_save(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The name to use with --schema NAME."),
    schema: str = typer.Argument(..., help="A file, inline JSON, or 'name, age int, bio'."),
) -> None:
    """Save a schema. Example: llmcli schemas save pessoa 'nome, idade int'"""
    from llmcli.cli.schema_input import check_name, load_schema
    from llmcli.store.schemas import SchemaStore

    app_ctx = app_context(ctx)
    check_name(name)
    parsed = load_schema(schema, None)
    assert parsed is not None
    SchemaStore(app_ctx.logs).save(name, parsed)
    app_ctx.env.stdout.write(f"saved schema '{name}'\n")


@schemas_app.command("list")
def schemas_list(ctx: typer.Context, as_json: bool = json_option()) -> None:
    """The saved schemas, their fields, and how many logged exchanges used each.

    Example: llmcli schemas list --json
    """
    import json

    from llmcli.store.schemas import SchemaStore

    app_ctx = app_context(ctx)
    rows = SchemaStore(app_ctx.logs).all()
    out = app_ctx.env.stdout
    if as_json:
        out.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    if not rows:
        out.write("no saved schemas (llmcli schemas save NAME SCHEMA)\n")
        return
    for r in rows:
        fields = ", ".join(r["schema"].get("properties", {})) or r["schema"].get("type", "?")
        out.write(f"{r['name']}\t{fields}\t{r['uses']} uses\n")


@schemas_app.command("show")
def schemas_show(ctx: typer.Context, name: str = typer.Argument(
        ..., help="A saved schema's name.")) -> None:
    """Print a saved schema as JSON. Example: llmcli schemas show pessoa"""
    import json

    from llmcli.core.errors import InvalidInput
    from llmcli.store.schemas import SchemaStore

    app_ctx = app_context(ctx)
    found = SchemaStore(app_ctx.logs).get(name)
    if found is None:
        raise InvalidInput(f"no saved schema '{name}'", hint="see 'llmcli schemas list'")
    app_ctx.env.stdout.write(json.dumps(found, ensure_ascii=False, indent=2) + "\n")
