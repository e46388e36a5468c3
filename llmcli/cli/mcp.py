"""`llmcli mcp`: the MCP servers whose tools a model may call (-T mcp:NAME)."""

from __future__ import annotations

import typer

from llmcli.cli.app import app
from llmcli.cli.context import app_context

mcp_app = typer.Typer(help="MCP servers whose tools a model may call (-T mcp:NAME). "
                      "Example: llmcli mcp add files -- python3 server.py",
                      no_args_is_help=True)
app.add_typer(mcp_app, name="mcp")


@mcp_app.command("add", context_settings={"allow_extra_args": True,
                                          "ignore_unknown_options": True})
def mcp_add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="A short name for -T mcp:NAME."),
    target: list[str] = typer.Argument(None, help="A URL (streamable HTTP), or -- COMMAND ARGS "
                                       "(stdio)."),
) -> None:
    """Add an MCP server.

    Example (stdio): llmcli mcp add files -- npx -y @modelcontextprotocol/server-filesystem ~/notas

    Example (streamable HTTP): llmcli mcp add busca http://127.0.0.1:8000/mcp
    """
    from llmcli.core.errors import InvalidInput
    from llmcli.tools import mcp_config

    app_ctx = app_context(ctx)
    words = list(target or []) + list(ctx.args)
    mcp_config.check_name(name)
    if not words:
        raise InvalidInput("give a URL or -- COMMAND ARGS",
                           hint=f"llmcli mcp add {name} -- python server.py")
    if len(words) == 1 and words[0].startswith(("http://", "https://")):
        server = mcp_config.McpServer(name=name, url=words[0])
    else:
        import os

        server = mcp_config.McpServer(name=name, command=words, cwd=os.getcwd())
    config_dir = app_ctx.env.paths.config_dir
    servers = mcp_config.load(config_dir)
    replaced = name in servers
    servers[name] = server
    mcp_config.save(config_dir, servers)
    verb = "replaced" if replaced else "added"
    app_ctx.env.stdout.write(f"{verb} MCP server '{name}' ({server.transport}: {server.target})\n"
                             f"list its tools: llmcli mcp tools {name}\n")


@mcp_app.command("list")
def mcp_list(ctx: typer.Context,
             as_json: bool = typer.Option(False, "--json", help="One JSON array.")) -> None:
    """The MCP servers added. Example: llmcli mcp list"""
    from llmcli.tools import mcp_config
    from llmcli.ui.tables import print_json

    app_ctx = app_context(ctx)
    servers = mcp_config.load(app_ctx.env.paths.config_dir)
    if as_json:
        print_json(app_ctx.env, [s.model_dump(exclude_none=True) for s in servers.values()])
        return
    out = app_ctx.env.stdout
    if not servers:
        out.write("no MCP servers yet: llmcli mcp add NAME -- COMMAND ARGS, or NAME URL\n")
        return
    width = max(len(n) for n in servers)
    for s in servers.values():
        out.write(f"{s.name:<{width}}  {s.transport:<5}  {s.target}\n")


@mcp_app.command("tools")
def mcp_tools(ctx: typer.Context, name: str = typer.Argument(..., help="The server's name."),
              as_json: bool = typer.Option(False, "--json", help="The tool specs as JSON.")
              ) -> None:
    """Connect to a server and list its tools. Example: llmcli mcp tools files"""
    from llmcli.tools.resolve import resolve_tools
    from llmcli.ui.tables import print_json

    app_ctx = app_context(ctx)
    with resolve_tools([f"mcp:{name}"], [], app_ctx.env.paths.config_dir, 30.0) as tool_set:
        specs = tool_set.toolbox.specs
    if as_json:
        print_json(app_ctx.env, [s.model_dump() for s in specs])
        return
    out = app_ctx.env.stdout
    for s in specs:
        params = ", ".join(s.parameters.get("properties", {}))
        line = " ".join(s.description.split())
        out.write(f"{s.name}({params})  {line[:100]}\n")
    out.write(f"use them: -T mcp:{name} (all) or -T mcp:{name}/TOOL\n")


@mcp_app.command("remove")
def mcp_remove(ctx: typer.Context, name: str = typer.Argument(..., help="The server's name.")
               ) -> None:
    """Forget an MCP server. Example: llmcli mcp remove files"""
    from llmcli.tools import mcp_config

    app_ctx = app_context(ctx)
    config_dir = app_ctx.env.paths.config_dir
    mcp_config.get(config_dir, name)  # unknown: exit 18, naming those there are
    servers = mcp_config.load(config_dir)
    del servers[name]
    mcp_config.save(config_dir, servers)
    app_ctx.env.stdout.write(f"removed MCP server '{name}'\n")
