"""From the flags to a toolbox: `-T NAME` (a built-in), `-T mcp:SERVER` (all its tools),
`-T mcp:SERVER/TOOL` (one), `--functions FILE` (its public functions). Unknown names are a
ToolError (exit 18) naming what exists; MCP servers are connected once per command."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from llmcli.core.errors import ToolError

if TYPE_CHECKING:
    from llmcli.tools.mcp_client import McpConnection
    from llmcli.tools.toolbox import LocalToolbox, Tool


class ToolSet:
    """The toolbox of a command and the MCP connections to close when it ends."""

    def __init__(self, toolbox: LocalToolbox, connections: list[McpConnection]):
        self.toolbox = toolbox
        self.connections = connections

    def close(self) -> None:
        for c in self.connections:
            c.close()

    def __enter__(self) -> ToolSet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def builtin_names() -> list[str]:
    from llmcli.tools.builtins import BUILTINS

    return sorted(BUILTINS)


def resolve_tools(specs: Sequence[str], functions: Sequence[Path], config_dir: Path,
                  timeout: float) -> ToolSet:
    """The tools named by -T and --functions, in that order, each name once."""
    from llmcli.tools.builtins import BUILTINS
    from llmcli.tools.functions import FunctionTool, load_functions
    from llmcli.tools.toolbox import LocalToolbox

    tools: list[Tool] = []
    connections: dict[str, McpConnection] = {}
    try:
        for spec in specs:
            spec = spec.strip()
            if spec.startswith("mcp:"):
                tools += _mcp_tools(spec[4:], config_dir, connections, timeout)
            elif spec in BUILTINS:
                tools.append(FunctionTool(BUILTINS[spec]))
            else:
                raise ToolError(f"unknown tool '{spec}'",
                                hint=f"built-ins: {', '.join(builtin_names())}; MCP: "
                                     "-T mcp:SERVER or mcp:SERVER/TOOL; your own: --functions")
        for path in functions:
            tools += load_functions(Path(path))
        seen: set[str] = set()
        for t in tools:
            if t.name in seen:
                raise ToolError(f"two tools are named '{t.name}'",
                                hint="give each -T or --functions tool once")
            seen.add(t.name)
    except BaseException:
        for c in connections.values():
            c.close()
        raise
    return ToolSet(LocalToolbox(tools, timeout=timeout), list(connections.values()))


def _mcp_tools(spec: str, config_dir: Path, connections: dict[str, McpConnection],
               timeout: float) -> list[Tool]:
    from llmcli.tools import mcp_config
    from llmcli.tools.mcp_client import McpConnection, McpTool

    name, _, only = spec.partition("/")
    server = mcp_config.get(config_dir, name)
    if name not in connections:
        connections[name] = McpConnection(server)
        connections[name].open()
    conn = connections[name]
    listed = conn.list_tools()
    if only:
        listed = [t for t in listed if t.name == only]
        if not listed:
            names = ", ".join(t.name for t in conn.list_tools()) or "none"
            raise ToolError(f"MCP server '{name}' has no tool '{only}' (it has: {names})",
                            hint=f"see 'llmcli mcp tools {name}'")
    return [McpTool(conn, t, timeout) for t in listed]
